// The seam between `Archive` and the database it keeps: one implementation per store (SQLite in
// store.cpp/ingest.cpp/query.cpp/schema.cpp, PostgreSQL in postgres*.cpp), chosen by
// `Archive::open` from the location. One virtual call per public call of `Archive`, none per row:
// what both stores share per entry (identity, merging, revisions) is the template of rules.hpp.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "feedd/store/store.hpp"
#include "store/tables.hpp"

namespace feedd::store::detail {

class Backend {
  public:
    Backend() = default;
    Backend(const Backend&) = delete;
    Backend& operator=(const Backend&) = delete;
    virtual ~Backend() = default;

    virtual void sync_feeds(const std::vector<FeedSource>& feeds) = 0;
    virtual FeedState feed_state(const std::string& name) = 0;
    virtual std::vector<FeedState> feed_states() = 0;
    virtual std::vector<FeedSummary> feed_summaries(SummaryDetail detail) = 0;
    virtual std::vector<EntryTimes> entry_times(const std::string& feed, TimePoint since) = 0;
    virtual void record_gap(const std::string& feed, const GapRecord& gap) = 0;
    virtual std::vector<GapRecord> gaps(const std::string& feed, TimePoint since) = 0;
    virtual void set_feed_state(const FeedState& state) = 0;
    virtual std::vector<PollCommit> commit_polls(std::span<const PollWrite> polls) = 0;
    virtual std::vector<ArticleRow> query(const ArticleQuery& query) = 0;
    virtual std::vector<ArticleRow> articles(const std::vector<std::int64_t>& ids) = 0;
    virtual std::optional<ArticleDetail> article(std::int64_t id) = 0;
    virtual void backup(const std::filesystem::path& destination) = 0;
    virtual std::vector<std::string> check() = 0;
    virtual void vacuum() = 0;
    virtual PruneCounts purge_feed(const std::string& name) = 0;
    virtual std::int64_t article_count() = 0;
    virtual std::int64_t stored_bytes() = 0;
    virtual PruneCounts prune(int default_keep_days, TimePoint now) = 0;
    // Full text (pages.cpp for SQLite, postgres_pages.cpp for PostgreSQL).
    virtual void request_pages(const std::vector<PageRequest>& requests, TimePoint now) = 0;
    virtual std::vector<PageTask> claim_pages(TimePoint now, TimePoint lease_until, int limit,
                                              const std::vector<std::string>& feeds) = 0;
    virtual std::optional<TimePoint> next_page_due(const std::vector<std::string>& feeds) = 0;
    virtual bool record_page(const PageFetch& fetch) = 0;
    virtual std::optional<PageDetail> page(std::int64_t article_id) = 0;
    // Reading state (reading.cpp for SQLite, postgres_reading.cpp for PostgreSQL).
    virtual EntryPage reader_entries(const EntryFilter& filter) = 0;
    virtual std::vector<ReadCounts> read_counts(const std::string& user) = 0;
    virtual void set_read(const std::string& user, const std::vector<std::int64_t>& entry_ids, bool read) = 0;
    virtual void set_starred(const std::string& user, std::int64_t entry_id, bool starred) = 0;
    virtual void mark_feed_read(const std::string& user, const std::string& feed,
                                std::optional<TimePoint> seen_until) = 0;
    virtual bool packs_html() const = 0;  // Archive::packs_html
    // Several nodes (store.hpp). These defaults are SQLite's one node, which holds every feed:
    // nothing is recorded; PostgreSQL overrides them (postgres.cpp).
    virtual bool shared() const { return false; }
    virtual std::int64_t add_node(const NodeInfo&, TimePoint) { return 0; }
    virtual ClaimedWork claim_work(std::int64_t, const WorkClaim& claim, TimePoint now, TimePoint, int limit);
    virtual bool heartbeat(std::int64_t, const std::vector<std::string>&, const std::string&, TimePoint,
                           TimePoint) {
        return true;
    }
    virtual void remove_node(std::int64_t) {}
    virtual std::vector<NodeStatus> nodes(TimePoint) { return {}; }
    // `Archive::copy` (tables.hpp): the tables in one read snapshot, or in one write transaction.
    virtual std::unique_ptr<Tables> tables(bool write) = 0;
};

std::unique_ptr<Backend> open_sqlite(const std::filesystem::path& path, OpenMode mode);
bool sqlite_locked(const std::filesystem::path& path);
// `password`: the configuration's (Location), else empty.
std::unique_ptr<Backend> open_postgres(const std::string& uri, const std::string& password, OpenMode mode);
bool postgres_locked(const std::string& uri, const std::string& password);
bool postgres_exists(const std::string& uri, const std::string& password);

// The archive's tables at a location that hold rows, each as "name: rows" in archive_tables'
// order, read without opening it as an archive (no lock, no migration): `Archive::copy` refuses a
// non-empty target before opening it could migrate it. Nothing for a location with no such tables;
// SQLite also nothing for a file it cannot read (opening it says why).
std::vector<std::string> sqlite_held_rows(const std::filesystem::path& path);
std::vector<std::string> postgres_held_rows(const std::string& uri, const std::string& password);

}  // namespace feedd::store::detail

namespace feedd::store {
struct Archive::Impl {
    std::unique_ptr<detail::Backend> backend;
};
}  // namespace feedd::store
