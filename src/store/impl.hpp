// The archive's private parts, shared by its translation units.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "feedd/store/store.hpp"

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

struct Archive::Impl {
    std::filesystem::path path;
    OpenMode mode = OpenMode::read_only;
    FileLock lock;  // before `db`: released after the connection closes
    SQLite::Database db;
    // Prepared statements by their SQL text's address (the SQL lives in string literals).
    std::unordered_map<const char*, std::unique_ptr<SQLite::Statement>> statements;
    int commits_since_optimize = 0;

    Impl(std::filesystem::path p, OpenMode m, FileLock l, SQLite::Database d)
        : path(std::move(p)), mode(m), lock(std::move(l)), db(std::move(d)) {}
    ~Impl();

    // A cached statement, reset and with its bindings cleared.
    SQLite::Statement& statement(const char* sql);
    // Ends every cached statement: one left stepped keeps a read transaction open across commits,
    // and then no WAL checkpoint can pass it (the WAL grows without bound).
    void reset_statements() noexcept;
    std::optional<std::int64_t> feed_id(const std::string& name);
};

// Resets the cached statements when a public call ends, however it ends.
class StatementScope {
  public:
    explicit StatementScope(Archive::Impl& impl) : impl_(impl) {}
    StatementScope(const StatementScope&) = delete;
    StatementScope& operator=(const StatementScope&) = delete;
    ~StatementScope() { impl_.reset_statements(); }

  private:
    Archive::Impl& impl_;
};

namespace detail {
inline std::optional<TimePoint> time_column(const SQLite::Column& column) {
    if (column.isNull()) return std::nullopt;
    return TimePoint(std::chrono::seconds(column.getInt64()));
}
inline void bind_time(SQLite::Statement& statement, int index, const std::optional<TimePoint>& time) {
    if (time)
        statement.bind(index, static_cast<std::int64_t>(time->time_since_epoch().count()));
    else
        statement.bind(index);
}
inline std::int64_t seconds(TimePoint time) {
    return time.time_since_epoch().count();
}
std::string join_lines(const std::vector<std::string>& items);  // "\na\nb\n"; "" when empty
std::vector<std::string> split_lines(const std::string& text);
void write_state(Archive::Impl& impl, std::int64_t feed_id, const FeedState& state, bool identity_fallback);
std::int64_t ensure_feed(Archive::Impl& impl, const FeedSource& feed, TimePoint now);
bool stored_fallback(Archive::Impl& impl, std::int64_t feed_id);
std::string problem(const SQLite::Exception& e);  // SQLite's message, one line
// The same, with the system's reason (errno) when a file operation failed.
std::string problem(const SQLite::Exception& e, const SQLite::Database& db);
// Every SQL text prepared through Archive::Impl::statement in this process, so that tests can
// check their query plans.
std::vector<std::string> prepared_sql();
}  // namespace detail

}  // namespace feedd::store
