// `Archive`: the store chosen by the location, and each call handed to it (backend.hpp).
#include <algorithm>
#include <string_view>
#include <unordered_set>

#include "store/backend.hpp"

namespace feedd::store {

Archive::Archive(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Archive::Archive(Archive&&) noexcept = default;
Archive& Archive::operator=(Archive&&) noexcept = default;
Archive::~Archive() = default;

Archive Archive::open(const std::filesystem::path& path, OpenMode mode) {
    return open(Location{path, {}}, mode);
}

Archive Archive::open(const Location& location, OpenMode mode) {
    auto impl = std::make_unique<Impl>();
    const auto& path = location.path;
    impl->backend = is_database_url(path.native())
                        ? detail::open_postgres(path.native(), location.password, mode)
                        : detail::open_sqlite(path, mode);
    return Archive(std::move(impl));
}

bool Archive::exists(const std::filesystem::path& path) {
    return exists(Location{path, {}});
}

bool Archive::exists(const Location& location) {
    const auto& path = location.path;
    return is_database_url(path.native()) ? detail::postgres_exists(path.native(), location.password)
                                          : std::filesystem::exists(path);
}

bool Archive::is_locked(const std::filesystem::path& path) {
    return is_locked(Location{path, {}});
}

bool Archive::is_locked(const Location& location) {
    const auto& path = location.path;
    return is_database_url(path.native()) ? detail::postgres_locked(path.native(), location.password)
                                          : detail::sqlite_locked(path);
}

void Archive::sync_feeds(const std::vector<FeedSource>& feeds) {
    impl_->backend->sync_feeds(feeds);
}
FeedState Archive::feed_state(const std::string& name) {
    return impl_->backend->feed_state(name);
}
std::vector<FeedState> Archive::feed_states() {
    return impl_->backend->feed_states();
}
std::vector<FeedSummary> Archive::feed_summaries(SummaryDetail detail) {
    return impl_->backend->feed_summaries(detail);
}
std::vector<EntryTimes> Archive::entry_times(const std::string& feed, TimePoint since) {
    return impl_->backend->entry_times(feed, since);
}
void Archive::record_gap(const std::string& feed, const GapRecord& gap) {
    impl_->backend->record_gap(feed, gap);
}
std::vector<GapRecord> Archive::gaps(const std::string& feed, TimePoint since) {
    return impl_->backend->gaps(feed, since);
}
void Archive::set_feed_state(const FeedState& state) {
    impl_->backend->set_feed_state(state);
}
std::vector<PollCommit> Archive::commit_polls(std::span<const PollWrite> polls) {
    return impl_->backend->commit_polls(polls);
}
IngestCounts Archive::commit_poll(const FeedSource& feed, const ParsedFeed* parsed, const FeedState& state,
                                  TimePoint now) {
    const PollWrite poll{feed, parsed, state, now};
    auto result = std::move(impl_->backend->commit_polls({&poll, 1}).front());
    if (!result.ok()) throw StoreError(result.error);
    return std::move(result.counts);
}
std::vector<ArticleRow> Archive::query(const ArticleQuery& query) {
    return impl_->backend->query(query);
}
std::vector<ArticleRow> Archive::articles(const std::vector<std::int64_t>& ids) {
    return impl_->backend->articles(ids);
}
std::optional<ArticleDetail> Archive::article(std::int64_t id) {
    auto detail = impl_->backend->article(id);
    if (detail) detail->page = impl_->backend->page(id);
    return detail;
}
void Archive::backup(const std::filesystem::path& destination) {
    impl_->backend->backup(destination);
}
std::vector<std::string> Archive::check() {
    return impl_->backend->check();
}
void Archive::vacuum() {
    impl_->backend->vacuum();
}
PruneCounts Archive::purge_feed(const std::string& name) {
    return impl_->backend->purge_feed(name);
}
std::int64_t Archive::article_count() {
    return impl_->backend->article_count();
}

std::int64_t Archive::stored_bytes() {
    return impl_->backend->stored_bytes();
}
PruneCounts Archive::prune(int default_keep_days, TimePoint now) {
    return impl_->backend->prune(default_keep_days, now);
}

const EntryDetail& ArticleDetail::fullest() const {
    for (const auto& entry : entries)
        if (entry.id == fullest_entry) return entry;
    return entries.at(0);
}

EntryPage Archive::reader_entries(const EntryFilter& filter) {
    return impl_->backend->reader_entries(filter);
}
std::vector<ReadCounts> Archive::read_counts(const std::string& user) {
    return impl_->backend->read_counts(user);
}
void Archive::set_read(const std::string& user, const std::vector<std::int64_t>& entry_ids, bool read) {
    impl_->backend->set_read(user, entry_ids, read);
}
void Archive::set_starred(const std::string& user, std::int64_t entry_id, bool starred) {
    impl_->backend->set_starred(user, entry_id, starred);
}
void Archive::mark_feed_read(const std::string& user, const std::string& feed,
                             std::optional<TimePoint> seen_until) {
    impl_->backend->mark_feed_read(user, feed, seen_until);
}

void Archive::request_pages(const std::vector<PageRequest>& requests, TimePoint now) {
    if (!requests.empty()) impl_->backend->request_pages(requests, now);
}
std::vector<PageTask> Archive::claim_pages(TimePoint now, TimePoint lease_until, int limit,
                                           const std::vector<std::string>& feeds) {
    return impl_->backend->claim_pages(now, lease_until, limit, feeds);
}
std::optional<TimePoint> Archive::next_page_due(const std::vector<std::string>& feeds) {
    return impl_->backend->next_page_due(feeds);
}
bool Archive::record_page(const PageFetch& fetch) {
    return impl_->backend->record_page(fetch);
}
std::optional<PageDetail> Archive::page(std::int64_t article_id) {
    return impl_->backend->page(article_id);
}

// Several nodes.
bool Archive::shared() const {
    return impl_->backend->shared();
}

bool Archive::packs_html() const {
    return impl_->backend->packs_html();
}
std::int64_t Archive::add_node(const NodeInfo& node, TimePoint now) {
    return impl_->backend->add_node(node, now);
}
std::vector<FeedState> Archive::claim_feeds(std::int64_t node, const std::vector<std::string>& candidates,
                                            TimePoint now, TimePoint until, int limit) {
    WorkClaim claim;
    claim.feeds = candidates;
    return impl_->backend->claim_work(node, claim, now, until, limit).feeds;
}
ClaimedWork Archive::claim_work(std::int64_t node, const WorkClaim& claim, TimePoint now, TimePoint until,
                                int limit) {
    return impl_->backend->claim_work(node, claim, now, until, limit);
}
bool Archive::heartbeat(std::int64_t node, const std::vector<std::string>& held,
                        const std::string& config_digest, TimePoint now, TimePoint until) {
    return impl_->backend->heartbeat(node, held, config_digest, now, until);
}
void Archive::remove_node(std::int64_t node) {
    impl_->backend->remove_node(node);
}
std::vector<NodeStatus> Archive::nodes(TimePoint now) {
    return impl_->backend->nodes(now);
}

namespace detail {

// The one node of an SQLite archive holds every feed: the due ones are its claim.
ClaimedWork Backend::claim_work(std::int64_t, const WorkClaim& claim, TimePoint now, TimePoint, int limit) {
    const std::unordered_set<std::string_view> candidates(claim.feeds.begin(), claim.feeds.end());
    std::vector<FeedState> due;
    for (auto& state : feed_states()) {
        if (!candidates.contains(state.name)) continue;
        if (state.next_poll && *state.next_poll > now) continue;
        due.push_back(std::move(state));
    }
    std::stable_sort(due.begin(), due.end(), [](const FeedState& a, const FeedState& b) {
        return a.next_poll.value_or(TimePoint{}) < b.next_poll.value_or(TimePoint{});
    });
    if (limit >= 0 && due.size() > static_cast<std::size_t>(limit))
        due.resize(static_cast<std::size_t>(limit));
    const auto found = static_cast<int>(due.size());
    return {std::move(due), {}, found};
}

}  // namespace detail
}  // namespace feedd::store
