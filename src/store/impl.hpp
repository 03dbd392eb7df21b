// The SQLite store's private parts, shared by its translation units.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <SQLiteCpp/VariadicBind.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "feedd/store/store.hpp"
#include "store/backend.hpp"
#include "store/rules.hpp"

namespace feedd::store {

// The single-writer lock: flock on "<archive>.lock". The kernel drops it when the process dies,
// so a crashed daemon never leaves a stale lock behind (unlike a PID file).
class FileLock {
  public:
    FileLock() = default;
    explicit FileLock(const std::filesystem::path& path);  // throws ArchiveBusy / StoreError
    FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

  private:
    int fd_ = -1;
};

namespace detail {

// The SQLite store: the archive's connection and what belongs to it, behind the `Backend` seam
// (backend.hpp). Its public calls are defined in store.cpp (opening, feeds), ingest.cpp and
// query.cpp; the translation units pass it around as a `Connection&`.
class Connection final : public Backend {
  public:
    std::filesystem::path path;
    OpenMode mode = OpenMode::read_only;
    FileLock lock;  // before `db`: released after the connection closes
    SQLite::Database db;
    int commits_since_optimize = 0;

    Connection(std::filesystem::path p, OpenMode m, FileLock l, SQLite::Database d)
        : path(std::move(p)), mode(m), lock(std::move(l)), db(std::move(d)) {}
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() override;

    void sync_feeds(const std::vector<FeedSource>& feeds) override;
    FeedState feed_state(const std::string& name) override;
    std::vector<FeedState> feed_states() override;
    std::vector<FeedSummary> feed_summaries(SummaryDetail detail) override;
    std::vector<EntryTimes> entry_times(const std::string& feed, TimePoint since) override;
    void record_gap(const std::string& feed, const GapRecord& gap) override;
    std::vector<GapRecord> gaps(const std::string& feed, TimePoint since) override;
    void set_feed_state(const FeedState& state) override;
    std::vector<PollCommit> commit_polls(std::span<const PollWrite> polls) override;
    bool packs_html() const override { return true; }  // store/pack.hpp
    std::vector<ArticleRow> query(const ArticleQuery& query) override;
    std::vector<ArticleRow> articles(const std::vector<std::int64_t>& ids) override;
    std::optional<ArticleDetail> article(std::int64_t id) override;
    void backup(const std::filesystem::path& destination) override;
    std::vector<std::string> check() override;
    void vacuum() override;
    PruneCounts purge_feed(const std::string& name) override;
    std::int64_t article_count() override;
    std::int64_t stored_bytes() override;
    PruneCounts prune(int default_keep_days, TimePoint now) override;
    EntryPage reader_entries(const EntryFilter& filter) override;
    std::vector<ReadCounts> read_counts(const std::string& user) override;
    void set_read(const std::string& user, const std::vector<std::int64_t>& entry_ids, bool read) override;
    void set_starred(const std::string& user, std::int64_t entry_id, bool starred) override;
    void mark_feed_read(const std::string& user, const std::string& feed,
                        std::optional<TimePoint> seen_until) override;
    void request_pages(const std::vector<PageRequest>& requests, TimePoint now) override;
    std::vector<PageTask> claim_pages(TimePoint now, TimePoint lease_until, int limit,
                                      const std::vector<std::string>& feeds) override;
    std::optional<TimePoint> next_page_due(const std::vector<std::string>& feeds) override;
    bool record_page(const PageFetch& fetch) override;
    std::optional<PageDetail> page(std::int64_t article_id) override;
    std::unique_ptr<Tables> tables(bool write) override;  // tables.cpp

    // Resets the cached statements when a call ends, however it ends.
    class StatementScope {
      public:
        explicit StatementScope(Connection& connection) : connection_(connection) {}
        StatementScope(const StatementScope&) = delete;
        StatementScope& operator=(const StatementScope&) = delete;
        ~StatementScope() { connection_.reset_statements(); }

      private:
        Connection& connection_;
    };

    // A cached statement, reset and with its bindings cleared.
    SQLite::Statement& statement(const char* sql);
    // Ends every cached statement: one left stepped keeps a read transaction open across commits,
    // and then no WAL checkpoint can pass it (the WAL grows without bound).
    void reset_statements() noexcept;
    std::optional<std::int64_t> feed_id(const std::string& name);
    // An entry's enclosures in their order in the feed.
    std::vector<Enclosure> enclosures(std::int64_t entry_id);

    // "<context>: <SQLite's message>", with the system's reason (errno) when a file operation
    // failed: "disk I/O error" alone does not tell a full disk from a read-only or a failing one.
    std::string failure(std::string_view context, const SQLite::Exception& e) const;

    // One public call of the archive: the cached statements are reset when it ends, however it
    // ends, and an SQLite failure becomes a StoreError with `failure(context, …)`. The store's own
    // errors (StoreError, QueryError) pass through as they are.
    template <class Work>
    decltype(auto) call(std::string_view context, Work&& work) {
        StatementScope scope(*this);
        try {
            return std::forward<Work>(work)();
        } catch (const SQLite::Exception& e) {
            throw StoreError(failure(context, e));
        }
    }

  private:
    // Prepared statements by their SQL text's address (the SQL lives in string literals).
    std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

inline std::optional<TimePoint> time_column(const SQLite::Column& column) {
    if (column.isNull()) return std::nullopt;
    return TimePoint(std::chrono::seconds(column.getInt64()));
}
// Binds the time in seconds since the epoch, NULL when absent.
inline void bind_time(SQLite::Statement& statement, const char* name, const std::optional<TimePoint>& time) {
    if (time)
        statement.bind(name, static_cast<std::int64_t>(time->time_since_epoch().count()));
    else
        statement.bind(name);
}
// Binds a value that may be an article's whole text (content, summary, plain text) without
// SQLite's copy of it (SQLITE_STATIC): a 100 MiB article is not held twice more while its row is
// written. `value` must stay alive and unchanged until the statement's bindings are cleared:
// bind such values only inside a `LargeBinds` scope. Text without a NUL is bound NUL-terminated,
// so that a reader asking SQLite for terminated text (FTS5's tokenizers) reads it where it is
// instead of copying it once more.
inline void bind_no_copy(SQLite::Statement& statement, const char* name, const std::string& value) {
    if (value.find('\0') == std::string::npos)
        statement.bindNoCopy(name, value.c_str());
    else
        statement.bindNoCopy(name, value);
}
inline void bind_no_copy(SQLite::Statement& statement, int index, const std::string& value) {
    if (value.find('\0') == std::string::npos)
        statement.bindNoCopy(index, value.c_str());
    else
        statement.bindNoCopy(index, value);
}
// Clears a statement's bindings when the scope ends, however it ends: a value bound with
// bind_no_copy never stays bound past the scope of the string it points into.
class LargeBinds {
  public:
    explicit LargeBinds(SQLite::Statement& statement) : statement_(statement) {}
    LargeBinds(const LargeBinds&) = delete;
    LargeBinds& operator=(const LargeBinds&) = delete;
    ~LargeBinds() {
        try {
            statement_.clearBindings();
        } catch (const SQLite::Exception&) {
            // sqlite3_clear_bindings reports no error; the bindings are cleared
        }
    }

  private:
    SQLite::Statement& statement_;
};

void write_state(Connection& impl, std::int64_t feed_id, const FeedState& state, bool identity_fallback);
std::int64_t ensure_feed(Connection& impl, const FeedSource& feed, TimePoint now);
bool stored_fallback(Connection& impl, std::int64_t feed_id);
std::string problem(const SQLite::Exception& e);  // SQLite's message, one line

// An HTML column as stored (schema v5, store/pack.hpp): TEXT as it is, a BLOB unpacked against
// `prefix` (the entry's plain text for its summary and content, nothing for a revision's). A damaged
// value is a StoreError naming its row: "<row> <id>: <column> is damaged (…)".
std::string stored_text(const SQLite::Column& column, std::string_view prefix, const char* row,
                        std::int64_t id);
// Binds `text` in its stored form; `frame` keeps the packed bytes alive until the statement runs
// (bound without a copy).
void bind_packed(SQLite::Statement& statement, const char* name, const std::string& text,
                 std::string_view prefix, std::string& frame);
// Binds `text` as stored: its packed `frame` (bound without a copy), or the text itself when
// there is none (pack found no smaller form).
void bind_stored(SQLite::Statement& statement, const char* name, const std::string& text,
                 const std::string* frame);
// Every SQL text prepared through Connection::statement in this process, so that tests can
// check their query plans.
std::vector<std::string> prepared_sql();
}  // namespace detail

}  // namespace feedd::store
