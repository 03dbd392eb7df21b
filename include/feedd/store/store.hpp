// The archive: schema, migrations, identity, revisions, feed state, queries, maintenance, in an
// SQLite file (the embedded default) or a PostgreSQL database (a `postgresql://` location).
// The only module that speaks SQL; its interface carries no database type.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/model/location.hpp"
#include "feedd/model/model.hpp"
#include "feedd/store/reading.hpp"

namespace feedd::store {

// Opening failures (corrupt file, newer schema, not a database, missing archive) and failed
// writes (disk full, read-only): one line.
class StoreError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Another feedd process holds the archive for writing (the single-writer lock).
class ArchiveBusy : public StoreError {
  public:
    using StoreError::StoreError;
};

// A query the user can fix: FTS syntax error, unknown feed. The CLI answers with exit status 2.
class QueryError : public StoreError {
  public:
    using StoreError::StoreError;
};

// The location as messages show it: a URI's password replaced by *** (model/location.hpp).
using feedd::shown_location;

// Where an archive is: an SQLite file or a PostgreSQL URI (is_database_url), and for PostgreSQL
// the password from the configuration (`database_password_file`, `_env`, `_credential`), kept
// apart from the URI that messages show. No password: libpq's own ways (peer authentication over
// the Unix socket, PGPASSFILE).
struct Location {
    std::filesystem::path path;
    std::string password;
};

enum class OpenMode {
    read_write,  // creates the archive, migrates it and takes the single-writer lock
    read_only,   // never creates: a missing archive is a StoreError; takes no lock
};

// What one poll changed.
struct IngestCounts {
    int new_articles = 0;
    int new_entries = 0;  // also counts entries that joined an existing article
    int updated_entries = 0;
    int unchanged_entries = 0;
    int tombstoned_entries = 0;  // entries of pruned articles seen again: ignored
    std::vector<std::int64_t> new_article_ids;
    // Articles that existed before and gained an entry of this poll (the same story through one
    // more feed): full text asks for their pages too, when this feed wants pages.
    std::vector<std::int64_t> joined_article_ids;
    // Entries the archive could not store (too large for SQLite, or over max_storable_body), one
    // line each; the rest of the poll is kept.
    std::vector<std::string> refused_entries;
};

// What the archive computes of a document's entries before it reads anything of itself: each
// entry's canonical link and seen hash and, when all of them are new to the archive (a feed's
// first document), their plain text and stored HTML. Made by `digest_document` on any thread (the
// daemon's preparing thread) so that the thread that writes spends its time on the archive;
// `commit_polls` computes what a digest lacks. It holds values only, one per entry in the
// document's order: it goes with the ParsedFeed it was made of (or a copy), not with another.
// Copies share the values.
class DocumentDigest {
  public:
    struct Entries;  // store/rules.hpp
    DocumentDigest() = default;
    explicit DocumentDigest(std::shared_ptr<const Entries> entries) : entries_(std::move(entries)) {}
    [[nodiscard]] const Entries* entries() const { return entries_.get(); }

  private:
    std::shared_ptr<const Entries> entries_;
};

struct DigestOptions {
    bool all_new = false;    // the feed's first document: text and stored HTML too
    bool pack_html = false;  // the archive stores HTML packed (Archive::packs_html)
};
[[nodiscard]] DocumentDigest digest_document(const ParsedFeed& parsed, DigestOptions options);

// What the archive's trigram (CJK) index holds of an entry: its title, author and plain text when
// one of them has CJK script, else nothing. Benchmarks build the same index from it.
[[nodiscard]] std::string cjk_index_text(const std::string& title, const std::string& author,
                                         const std::string& text);

// One poll to write: the feed's entries (when `parsed` is not null) and its new state. The
// members refer to the caller's values.
struct PollWrite {
    const FeedSource& feed;
    const ParsedFeed* parsed;
    const FeedState& state;
    TimePoint now;
    // An earlier page of the feed's history (a backfill): its entries only. The feed's state and
    // metadata (title, link, ...) stay as its own document left them; `state` is not written.
    bool history = false;
    const DocumentDigest* digest = nullptr;  // of `parsed`, when one was made
};

// What writing one poll did: its counts, or why nothing of it was kept.
struct PollCommit {
    IngestCounts counts;
    std::string error;  // empty when written
    [[nodiscard]] bool ok() const { return error.empty(); }
};

// `feedd query`. Empty/absent members do not filter.
struct ArticleQuery {
    std::string search;              // FTS5 syntax; ranked by bm25 when set
    std::vector<std::string> feeds;  // feed names; an unknown name is a QueryError
    std::string category;            // feed folder ("News" matches "News/Asia"), feed tag or entry category
    std::optional<TimePoint> since;  // by the article's date (published, else first seen)
    std::optional<TimePoint> until;  // exclusive
    std::optional<std::int64_t> after_id;  // a cursor: only ids above it, oldest id first
    int limit = 50;                        // <= 0: no limit
};

// One line of `feedd query`; the text comes from the article's fullest entry.
struct ArticleRow {
    std::int64_t id = 0;
    std::string title;
    std::string link;
    std::string author;
    std::optional<TimePoint> published;
    TimePoint first_seen{};
    TimePoint date{};  // what the archive sorts by: published, else first seen
    std::vector<std::string> feeds;
    std::string snippet;  // search: the match with [ ] around hits; else the start of the text
    std::string summary;  // plain text of the summary (or the start of the text)
};

struct Revision {
    TimePoint recorded_at{};  // when it was replaced
    std::string title;
    std::string summary;  // HTML
    std::string content;  // HTML
    std::string text;     // plain text of content, else summary
};

// One feed's version of the article.
struct EntryDetail {
    std::int64_t id = 0;
    std::string feed;  // feed name
    std::string guid;
    std::string identity;  // the key the feed is matched by: "guid:…", "link:…", "hash:…"
    Entry entry;           // as last merged (values never replaced by nothing)
    std::string text;      // plain text of content, else summary
    TimePoint first_seen{};
    std::optional<TimePoint> changed_at;  // last time title or text changed
    std::vector<Revision> revisions;      // oldest first
};

// ----- Full text (docs/ARCHITECTURE.md, "Full text"): the page an article links to, archived as a
// version of the article of its own (table `pages`, one row per article, whichever feeds carry it).

// An article whose page is wanted: fetched when due, once, whichever feeds it came through.
struct PageRequest {
    std::int64_t article_id = 0;
    std::string url;
};

// A page due for a fetch (claim_pages), with what the schedule of its next fetch depends on.
struct PageTask {
    std::int64_t article_id = 0;
    std::string url;
    int failures = 0;       // failed fetches in a row before this one
    int unchanged = 0;      // refetches in a row that found the text archived already
    std::string text_hash;  // text::hash_hex of the archived text; empty: none archived yet
};

// What one fetch of an article's page gave, to write (record_page).
struct PageFetch {
    std::int64_t article_id = 0;
    std::string url;        // what was fetched
    std::string final_url;  // after redirects
    long status = 0;        // HTTP status, 0 when no answer came
    TimePoint tried_at{};
    std::string error;  // empty: a page was fetched and extracted; else why not (one line)
    int failures = 0;   // failed fetches in a row, this one counted
    int unchanged = 0;
    std::optional<TimePoint> next_try;  // nothing: not fetched again
    // The extracted article, when `error` is empty.
    std::string title;
    std::string html;  // not sanitised: whoever serves it does
    std::string text;
    std::string method;  // "heuristic", "site rule HOST"
};

// An earlier extraction of a page that a later fetch found changed.
struct PageRevision {
    TimePoint recorded_at{};  // when it was replaced
    std::string html;
    std::string text;
};

struct PageDetail {
    std::string url;
    std::string final_url;
    long status = 0;
    std::optional<TimePoint> fetched_at;  // the last fetch that gave the archived text
    std::optional<TimePoint> tried_at;    // the last fetch, failed or not
    std::optional<TimePoint> next_try;    // nothing: not fetched again
    int failures = 0;
    std::string error;  // the last fetch's, empty when it succeeded
    std::string title;
    std::string html;
    std::string text;
    std::string method;
    std::vector<PageRevision> revisions;  // oldest first
};

struct ArticleDetail {
    std::int64_t id = 0;
    std::string canonical_link;  // empty when the article has no specific link
    TimePoint first_seen{};
    TimePoint date{};
    std::vector<std::string> feeds;
    std::int64_t fullest_entry = 0;  // the entry that the article shows
    std::vector<EntryDetail> entries;
    std::optional<PageDetail> page;  // when its page was asked for (full text)

    [[nodiscard]] const EntryDetail& fullest() const;
};

// What `Archive::copy` did with one table: its rows and a checksum of their content (every copied
// column's value, HTML unpacked; independent of the rows' order) read from each side.
struct CopiedTable {
    std::string name;
    std::int64_t source_rows = 0;
    std::int64_t target_rows = 0;
    std::string source_checksum;
    std::string target_checksum;
    [[nodiscard]] bool same() const {
        return source_rows == target_rows && source_checksum == target_checksum;
    }
};

struct CopyReport {
    std::vector<CopiedTable> tables;  // in the order they were copied
    bool committed = false;           // false: a table differs, and nothing was written
};

// Called as a copy goes: the table, its rows copied so far and its rows in all.
using CopyProgress = std::function<void(const std::string& table, std::int64_t done, std::int64_t total)>;

// `feeds list`: what the archive knows of each feed.
struct FeedSummary {
    std::int64_t id = 0;  // the archive's number of the feed (ReadCounts::feed_id)
    std::string name;
    std::string url;
    std::string title;       // the feed's own title
    std::string site_link;   // the feed's own link
    bool configured = true;  // false: no longer in feeds.toml (its articles stay)
    std::int64_t articles = 0;
    std::int64_t entries = 0;
    std::optional<TimePoint> newest;    // newest first-seen time of its entries
    std::int64_t recent_gaps = 0;       // gaps found in the last 30 days (GapRecord)
    std::int64_t recent_gap_items = 0;  // the items they probably lost
    std::optional<TimePoint> last_gap;  // when the latest gap was found
    FeedState state;
};

// What feed_summaries reads. `full`: each feed's articles, entries and gaps counted (a scan of
// them: `feeds list`). `listing`: only what the feeds and their state hold, the counts left at
// zero, for what a reader asks on every request (the API's feed objects). `state`: the listing,
// its recent gaps and newest entry, each read from an index without a scan of the feed's entries
// (articles and entries left at zero): health (`status`, /healthz, /metrics on every scrape) and
// Google Reader's unread-count.
enum class SummaryDetail { full, listing, state };

// When one entry of a feed appeared, for the adaptive interval (schedule::arrival_time).
struct EntryTimes {
    std::optional<TimePoint> published;
    TimePoint first_seen{};
};

// A poll came too late and items were probably lost between two polls (schedule::Gap).
struct GapRecord {
    TimePoint detected_at{};
    TimePoint seen_until{};  // the newest arrival seen before
    TimePoint seen_again{};  // the oldest arrival of the poll that found the gap
    std::int64_t estimated = 1;
    Duration pace{};  // between the items of that poll's document
};

// ----- Several nodes on one archive (docs/ARCHITECTURE.md, "Several nodes"). On PostgreSQL any
// number of `feedd run` share the feeds: each node registers itself (`add_node`), claims due feeds with
// a lease (`claim_feeds`), renews what it holds with a heartbeat and gives everything back when it
// stops (`remove_node`); a poll's write gives its feed's lease back. SQLite has one node, which holds
// every feed: nothing is recorded.

// Who a node is, as `feedd status` shows it.
struct NodeInfo {
    std::string host;
    std::int64_t pid = 0;
    std::string version;
    std::string config_digest;  // text::hash_hex of its feeds.toml: nodes should agree
    Duration lease{};           // how long its claims last without a heartbeat
};

struct NodeStatus {
    std::int64_t id = 0;
    NodeInfo node;
    TimePoint started{};
    TimePoint heartbeat{};
    std::int64_t feeds_held = 0;  // leases not expired yet
    std::int64_t leases = 0;      // lease rows, expired or not: a dead node's until others take them
    // No heartbeat for longer than its lease: it died or lost the database.
    [[nodiscard]] bool silent(TimePoint now) const { return heartbeat + node.lease < now; }
};

// Politeness across nodes: a registered domain (the host key of schedule::HostGate) is held by
// one node at a time, which alone sends requests there, so per_host, per_host_gap and the 429
// pause hold for the cluster as for one node. A host passes between nodes with `not_before`.
struct HostHold {
    std::string domain;
    std::int64_t not_before_ms = 0;  // Unix milliseconds: no request starts earlier (gap, pause)
};

// A node's claim: due feeds, and the hosts their requests go to.
struct WorkClaim {
    std::vector<std::string> feeds;  // candidates, by name
    // Each candidate's registered domain, in the order of `feeds`; empty: feeds are claimed
    // without hosts (SQLite's one node, the store's tests).
    std::vector<std::string> hosts;
    std::vector<HostHold> holding;  // hosts the node holds and uses: its gate's not_before, recorded
    std::vector<HostHold> release;  // hosts it holds and no longer uses: given back with not_before
    std::vector<std::string> want;  // hosts wanted for requests other than polls (pages): taken if free
    // A free host is taken only when its not_before is at most a second after this (Unix ms): a
    // paused host's feeds are not claimed to wait out the pause on a node.
    std::int64_t now_ms = 0;
};

struct ClaimedWork {
    std::vector<FeedState> feeds;
    std::vector<HostHold> hosts;  // every host the node holds now, with not_before as recorded
    // Due feeds the claim found, up to its limit, whether it took them or another node did first:
    // at the limit, more are due now; below it, nothing more is due until the next schedule.
    int due_found = 0;
};

struct PruneCounts {
    std::int64_t articles = 0;
    std::int64_t entries = 0;
};

class Archive {
  public:
    // An SQLite file (":memory:" works for tests) or a PostgreSQL URI (is_server_location).
    // Throws StoreError (ArchiveBusy when another feedd holds it).
    [[nodiscard]] static Archive open(const std::filesystem::path& path, OpenMode mode);
    [[nodiscard]] static Archive open(const Location& location, OpenMode mode);

    // True when some process holds the single-writer lock of the archive at `path`.
    [[nodiscard]] static bool is_locked(const std::filesystem::path& path);
    [[nodiscard]] static bool is_locked(const Location& location);

    // True when there is an archive at `path` to read: the SQLite file exists, or the PostgreSQL
    // database holds feedd's schema. Before the daemon's first run there is none, and commands
    // that read say so instead of failing. A server that cannot be reached is a StoreError.
    [[nodiscard]] static bool exists(const std::filesystem::path& path);
    [[nodiscard]] static bool exists(const Location& location);

    // `feedd db copy`: the whole archive at `from` (read in one snapshot, while a daemon may write
    // it) into the empty archive at `to`, either store to either, ids kept, in one transaction on
    // `to`, which is created when missing. Then both sides are read back and compared per table;
    // the copy is committed only when every table has the same rows and checksum. Throws
    // StoreError when `to` holds anything (or is held by a writer), or the two differ in schema.
    [[nodiscard]] static CopyReport copy(const Location& from, const Location& to,
                                         const CopyProgress& progress = {});

    Archive(Archive&&) noexcept;
    Archive& operator=(Archive&&) noexcept;
    ~Archive();

    // Registers feeds of the configuration (by name) and refreshes their configured metadata.
    // Feeds no longer configured keep their articles.
    void sync_feeds(const std::vector<FeedSource>& feeds);

    // Learned state of one feed; a default FeedState (with `name`) when never polled.
    [[nodiscard]] FeedState feed_state(const std::string& name);
    [[nodiscard]] std::vector<FeedState> feed_states();
    [[nodiscard]] std::vector<FeedSummary> feed_summaries(SummaryDetail detail = SummaryDetail::full);
    // A feed's entries first seen since `since`, oldest first (one indexed read).
    [[nodiscard]] std::vector<EntryTimes> entry_times(const std::string& feed, TimePoint since);
    void record_gap(const std::string& feed, const GapRecord& gap);
    [[nodiscard]] std::vector<GapRecord> gaps(const std::string& feed, TimePoint since);

    // Writes a feed's state outside a poll, `identity_fallback` included (e.g. `feedd feeds enable`
    // clearing what was learned). An unknown feed is a StoreError.
    void set_feed_state(const FeedState& state);

    // One poll, one transaction: the feed's entries (when `parsed` is not null) and its new state.
    // The feed is registered if `sync_feeds` did not. `state.identity_fallback` is the store's
    // to decide: it is kept once set and set when the poll shows broken guids.
    // Throws StoreError when the write fails (disk full, read-only): nothing of it is kept.
    IngestCounts commit_poll(const FeedSource& feed, const ParsedFeed* parsed, const FeedState& state,
                             TimePoint now);
    // Several polls at once, in one transaction when all of them can be written; otherwise each
    // in its own, so that one poll the archive refuses costs only that poll. One result per poll,
    // in order; a failure is in its `error` (this does not throw for a refused write).
    [[nodiscard]] std::vector<PollCommit> commit_polls(std::span<const PollWrite> polls);

    // Reading. `query` throws QueryError for FTS syntax errors and unknown feeds.
    [[nodiscard]] std::vector<ArticleRow> query(const ArticleQuery& query);
    [[nodiscard]] std::vector<ArticleRow> articles(
        const std::vector<std::int64_t>& ids);  // in the given order
    [[nodiscard]] std::optional<ArticleDetail> article(std::int64_t id);

    // Maintenance.
    void backup(const std::filesystem::path& destination);  // online, consistent copy
    [[nodiscard]] std::vector<std::string> check();         // problems found; empty when sound
    void vacuum();
    // Deletes a feed with its entries, and the articles no other feed holds (no tombstones: the
    // operator asked for them to go). QueryError for an unknown feed.
    PruneCounts purge_feed(const std::string& name);
    // Articles in the archive (each once, whatever the number of its feeds).
    [[nodiscard]] std::int64_t article_count();
    // What the archive takes on disk, search indexes included: the SQLite file and its WAL, or the
    // PostgreSQL tables and indexes of the archive's schema.
    [[nodiscard]] std::int64_t stored_bytes();
    // Removes articles whose every entry is older (first seen) than its feed's keep_days, else
    // `default_keep_days` (0 keeps forever). Pruned articles leave tombstones.
    PruneCounts prune(int default_keep_days, TimePoint now);

    // Full text. Asks for the pages of these articles (an article asked for already is left as it
    // is): they are due at `now`.
    void request_pages(const std::vector<PageRequest>& requests, TimePoint now);
    // At most `limit` pages due at `now`, earliest first; each is not due again before
    // `lease_until` (a fetch that never reports back, a daemon killed, is tried again then).
    // With `feeds`, only pages of articles one of those feeds carries (`poll --once --feed`).
    [[nodiscard]] std::vector<PageTask> claim_pages(TimePoint now, TimePoint lease_until, int limit,
                                                    const std::vector<std::string>& feeds = {});
    // When the next page is due (of articles `feeds` carry, when given); nothing when none is.
    [[nodiscard]] std::optional<TimePoint> next_page_due(const std::vector<std::string>& feeds = {});
    // Writes one fetch of a page, in one transaction. A fetch whose text differs from the text
    // archived keeps the archived one as a revision (at most 20); a failure keeps the archived text
    // and records its error. Returns true when a revision was kept.
    bool record_page(const PageFetch& fetch);
    [[nodiscard]] std::optional<PageDetail> page(std::int64_t article_id);

    // Reading state, per user (reading.hpp). Reads see every configured feed's entries; an entry
    // is read when its article was marked read or unread, else when its feed was marked read up
    // to it (mark_feed_read), else unread.
    [[nodiscard]] EntryPage reader_entries(const EntryFilter& filter);
    [[nodiscard]] std::vector<ReadCounts> read_counts(const std::string& user);  // configured feeds
    // Marks the articles of these entries read or unread; unknown ids are ignored.
    void set_read(const std::string& user, const std::vector<std::int64_t>& entry_ids, bool read);
    void set_starred(const std::string& user, std::int64_t entry_id, bool starred);
    // Every entry of the feed archived so far (or first seen until `seen_until`) is read: one row,
    // whatever the feed's size; entries that come later are unread. QueryError for an unknown feed.
    void mark_feed_read(const std::string& user, const std::string& feed,
                        std::optional<TimePoint> seen_until = std::nullopt);

    // Several nodes (above). True on PostgreSQL: the daemon then polls only the feeds it claimed.
    [[nodiscard]] bool shared() const;
    // The entries' HTML is stored packed (SQLite: store/pack.hpp), so a digest may pack it ahead.
    [[nodiscard]] bool packs_html() const;
    // Registers this node; its id for the calls below. SQLite: 0, nothing recorded.
    [[nodiscard]] std::int64_t add_node(const NodeInfo& node, TimePoint now);
    // Of `candidates` (names), at most `limit` feeds due at `now` (never polled, or next poll not
    // after `now`) that no live lease holds, earliest due first, each now leased to `node` until
    // `until`; with their state as the archive has it (another node may have polled them). A feed
    // another node polled since it was due is not returned. SQLite: the due feeds, nothing leased.
    [[nodiscard]] std::vector<FeedState> claim_feeds(std::int64_t node,
                                                     const std::vector<std::string>& candidates,
                                                     TimePoint now, TimePoint until, int limit);
    // claim_feeds with hosts: `claim.release` is given back and `claim.holding` recorded first;
    // then a feed is claimed only when its host is free or this node's, and takes the host with
    // it (until `until`, renewed by the heartbeat); then the hosts of `claim.want` that are free.
    // SQLite: the due feeds, no hosts.
    [[nodiscard]] ClaimedWork claim_work(std::int64_t node, const WorkClaim& claim, TimePoint now,
                                         TimePoint until, int limit);
    // The node is alive: its heartbeat and config digest are recorded, its leases on `held` and
    // on the hosts it holds last until `until`, and its leases on any other feed are given back. Returns
    // false when the node's row is gone (removed by hand): the caller adds itself again.
    bool heartbeat(std::int64_t node, const std::vector<std::string>& held, const std::string& config_digest,
                   TimePoint now, TimePoint until);
    // The node stops: every lease it holds is given back and its row removed; its hosts are free
    // (with the not_before last recorded).
    void remove_node(std::int64_t node);
    // Every registered node, with the feeds it holds, in the order they joined. SQLite: none.
    [[nodiscard]] std::vector<NodeStatus> nodes(TimePoint now);

  private:
    friend struct Testing;  // src/store/testing.hpp, for the archive's own tests
    struct Impl;            // the connection and its statement cache (src/store/impl.hpp)
    explicit Archive(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace feedd::store
