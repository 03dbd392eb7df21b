// Opening the archive (lock, validation, migrations, pragmas), feeds and their fetch state.
#include "feedd/store/store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>

#include "store/impl.hpp"
#include "store/pack.hpp"
#include "store/rank.hpp"
#include "store/schema.hpp"
#include "store/testing.hpp"

namespace feedd::store {

using detail::bind_time;
using detail::seconds;
using detail::time_column;

namespace {

bool in_memory(const std::filesystem::path& path) {
    return path.empty() || path == ":memory:";
}

std::filesystem::path lock_path(const std::filesystem::path& path) {
    auto lock = path;
    lock += ".lock";
    return lock;
}

// A file that does not start with SQLite's magic is refused before SQLite opens it, so that no
// journal or WAL file is created beside someone else's data.
void check_header(const std::filesystem::path& path) {
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    if (error || size == 0) return;
    std::ifstream in(path, std::ios::binary);
    if (!in.is_open()) throw StoreError("cannot read " + path.string() + ": " + std::strerror(errno));
    char header[16] = {};
    in.read(header, sizeof header);
    if (in.gcount() != sizeof header || std::memcmp(header, "SQLite format 3", 16) != 0)
        throw StoreError("refusing " + path.string() + ": not an SQLite database (left untouched)");
}

std::string sqlite_problem(const SQLite::Exception& e) {
    std::string message = e.what();
    auto newline = message.find('\n');
    return newline == std::string::npos ? message : message.substr(0, newline);
}

// With the system's reason for a failed file operation: "disk I/O error" alone does not tell a
// full disk from a read-only or a failing one.
std::string sqlite_problem(const SQLite::Exception& e, const SQLite::Database& db) {
    auto message = sqlite_problem(e);
    const int primary = e.getErrorCode() & 0xff;
    if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
        if (const int error = sqlite3_system_errno(db.getHandle()); error != 0)
            message += std::string(" (") + std::strerror(error) + ")";
    }
    return message;
}

// The disk or the system failed, not the file's content: such an archive is not to be called
// damaged or foreign.
bool environment_failure(const SQLite::Exception& e) {
    switch (e.getErrorCode() & 0xff) {
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_BUSY:
        case SQLITE_NOMEM: return true;
        default: return false;
    }
}

std::filesystem::path free_backup_name(const std::filesystem::path& path, int version) {
    for (int n = 0;; ++n) {
        auto candidate = path;
        candidate += ".v" + std::to_string(version) + (n == 0 ? "" : "." + std::to_string(n)) + ".bak";
        if (!std::filesystem::exists(candidate)) return candidate;
    }
}

std::string quote_sql(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw StoreError("cannot open the lock file " + path.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        int error = errno;
        ::close(fd_);
        fd_ = -1;
        if (error == EWOULDBLOCK)
            throw ArchiveBusy("another feedd holds the archive (lock " + path.string() +
                              "); an SQLite archive has one writer: for several nodes, use a PostgreSQL "
                              "archive (database = \"postgresql://…\" in [settings])");
        throw StoreError("cannot lock " + path.string() + ": " + std::strerror(error));
    }
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

FileLock::~FileLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

detail::Connection::~Connection() {
    if (mode == OpenMode::read_write) db.tryExec("PRAGMA optimize");
}

namespace {
struct PreparedRegistry {
    std::mutex mutex;
    std::set<std::string> texts;
};
PreparedRegistry& registry() {
    static PreparedRegistry instance;
    return instance;
}
}  // namespace

std::vector<std::string> detail::prepared_sql() {
    std::lock_guard lock(registry().mutex);
    return {registry().texts.begin(), registry().texts.end()};
}

SQLite::Statement& detail::Connection::statement(const char* sql) {
    auto& slot = statements_[sql];
    if (!slot) {
        slot = std::make_unique<SQLite::Statement>(db, sql);
        std::lock_guard lock(registry().mutex);
        registry().texts.insert(sql);
    } else {
        slot->reset();
        slot->clearBindings();
    }
    return *slot;
}

void detail::Connection::reset_statements() noexcept {
    for (auto& [sql, statement] : statements_) {
        try {
            statement->reset();
        } catch (const SQLite::Exception&) {
            // reset() reports the statement's last error again; the statement is reset anyway
        }
    }
}

std::optional<std::int64_t> detail::Connection::feed_id(const std::string& name) {
    auto& find = statement("SELECT id FROM feeds WHERE name = ?");
    find.bind(1, name);
    if (!find.executeStep()) return std::nullopt;
    const auto id = find.getColumn("id").getInt64();
    find.reset();  // not left open while the caller writes (e.g. `purge_feed` deleting the feed)
    return id;
}

std::vector<Enclosure> detail::Connection::enclosures(std::int64_t entry_id) {
    auto& select = statement("SELECT url, type, length FROM enclosures WHERE entry_id = ? ORDER BY position");
    select.bind(1, entry_id);
    std::vector<Enclosure> out;
    while (select.executeStep()) {
        Enclosure enclosure{select.getColumn("url").getString(), select.getColumn("type").getString(), {}};
        if (const auto length = select.getColumn("length"); !length.isNull())
            enclosure.length = length.getInt64();
        out.push_back(std::move(enclosure));
    }
    return out;
}

std::string detail::Connection::failure(std::string_view context, const SQLite::Exception& e) const {
    return std::string(context) + ": " + sqlite_problem(e, db);
}

void Testing::limit_value_length(Archive& archive, int bytes) {
    if (auto* sqlite = dynamic_cast<detail::Connection*>(archive.impl_->backend.get()))
        sqlite3_limit(sqlite->db.getHandle(), SQLITE_LIMIT_LENGTH, bytes);
}

bool detail::sqlite_locked(const std::filesystem::path& path) {
    if (in_memory(path) || !std::filesystem::exists(lock_path(path))) return false;
    try {
        FileLock probe(lock_path(path));
        return false;
    } catch (const ArchiveBusy&) {
        return true;
    } catch (const StoreError&) {
        return false;  // cannot even open it: nobody can be holding it through this path
    }
}

std::unique_ptr<detail::Backend> detail::open_sqlite(const std::filesystem::path& path, OpenMode mode) {
    const bool memory = in_memory(path);
    const std::string name = memory ? ":memory:" : path.string();
    const int latest = detail::latest_schema_version();

    if (!memory) {
        std::error_code error;
        bool exists = std::filesystem::exists(path, error);
        if (mode == OpenMode::read_only && !exists)
            throw StoreError("no archive at " + name + " (the daemon creates it on its first run)");
        if (exists && std::filesystem::is_directory(path))
            throw StoreError("refusing " + name + ": it is a directory");
        if (exists) check_header(path);
    }

    FileLock lock;
    if (!memory && mode == OpenMode::read_write) {
        // The daemon's first run creates the archive's folder (e.g. `database = "var/feedd.db"`).
        std::error_code error;
        if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), error);
        if (error) throw StoreError("cannot create the folder of " + name + ": " + error.message());
        lock = FileLock(lock_path(path));
    }

    try {
        int flags = mode == OpenMode::read_only ? SQLite::OPEN_READONLY
                                                : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
        // SQLite counts every allocation under one global mutex (SQLITE_CONFIG_MEMSTATUS, on in
        // Debian's build) for sqlite3_memory_used, which feedd never asks for: a lock and an
        // unlock around every sqlite3_malloc and sqlite3_free, 2 % of a cold poll's CPU. The
        // setting only takes before SQLite's first use in the process; after that the call fails
        // harmlessly and the counting stays.
        static const bool counting_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
        (void)counting_off;
        SQLite::Database db(name, flags | SQLite::OPEN_NOMUTEX, 5000);
        if (detail::register_functions(db.getHandle()) != SQLITE_OK ||
            detail::register_rank(db.getHandle()) != SQLITE_OK)
            throw StoreError("cannot open archive " + name + ": cannot register its SQL functions");

        // Validate before anything writes: a damaged or foreign file is refused as it is.
        int objects = 0;
        try {
            objects = db.execAndGet("SELECT count(*) FROM sqlite_schema").getInt();
        } catch (const SQLite::Exception& e) {
            if (environment_failure(e))
                throw StoreError("cannot open archive " + name + ": " + sqlite_problem(e, db));
            throw StoreError("refusing " + name + ": " + sqlite_problem(e) + " (left untouched)");
        }
        int version = db.execAndGet("PRAGMA user_version").getInt();
        int app = db.execAndGet("PRAGMA application_id").getInt();
        if ((app != 0 && app != detail::application_id) || (version == 0 && objects > 0) ||
            (version > 0 && app != detail::application_id))
            throw StoreError("refusing " + name +
                             ": an SQLite database but not a feedd archive (left untouched)");
        if (version > latest)
            throw StoreError("archive " + name + " has schema version " + std::to_string(version) +
                             ", newer than this feedd understands (" + std::to_string(latest) +
                             "): upgrade feedd");

        if (mode == OpenMode::read_only) {
            if (version < latest)
                throw StoreError("archive " + name + " has the older schema version " +
                                 std::to_string(version) +
                                 ": open it once read-write (e.g. start the daemon) to upgrade it");
            db.exec("PRAGMA query_only = ON");
        } else {
            // SQLite quietly opens a file it may not write read-only; say so now rather than at
            // the first write.
            if (!memory && sqlite3_db_readonly(db.getHandle(), "main") == 1)
                throw StoreError("cannot open archive " + name +
                                 " for writing: the file is read-only (read-only mount or no write "
                                 "permission)");
            if (version > 0 && version < latest && !memory) {
                auto integrity = db.execAndGet("PRAGMA quick_check").getString();
                if (integrity != "ok")
                    throw StoreError("refusing " + name + ": damaged (" + integrity + "), not migrated");
                auto backup = free_backup_name(path, version);
                db.exec("VACUUM INTO " + quote_sql(backup.string()));
            }
            // A new archive gets 4 KiB pages. Since v5 an entry's row is the plain text plus its
            // packed HTML (3 KB on average): on README's corpus an 8 KiB page held two and left a
            // quarter of the table empty (196 MB against 186 MB with 4 KiB pages, same run); 16 KiB
            // and larger pages waste less (182-170 MB) but every small write (a feed's state after
            // a 304) then puts a whole large page in the WAL. (Before v5, rows of 5 KB and more
            // had made 8 KiB the better size.)
            if (version == 0 && objects == 0)
                db.exec("PRAGMA page_size = " + std::to_string(detail::page_size));
            if (!memory) db.exec("PRAGMA journal_mode = WAL");
            db.exec("PRAGMA synchronous = NORMAL");
            db.exec("PRAGMA journal_size_limit = 67108864");
            // The writer's page cache, chosen on a cold poll of 1 000 feeds (bench/README.md): with
            // 512 KiB the writer re-read evicted pages 340 000 times (one pread each) and spilled
            // pages to the WAL mid-transaction; 4 MiB read less than a third of that. With FTS5
            // merging 8 segments at a time (schema v9) 8 MiB reads another 27 % fewer pages and
            // writes 8 % fewer than 4 MiB for about 4 MiB of peak memory; 16 MiB saved nothing
            // more (the cache fills only as far as a batch and its merges need). The checkpoint
            // stays SQLite's (every 1000 pages): a WAL of 32 MiB saved a few percent of writes,
            // not worth a WAL that holds the archive's last 32 MiB. At 5 000 feeds, 16 MiB and a
            // checkpoint every 30 000 pages each read a quarter fewer pages but cost no less CPU,
            // and 16 MiB passes half of newsboat's peak (docs/ARCHITECTURE.md, "Growth"). Since
            // the daemon parses a batch ahead of the writer (its preparing thread), 4 MiB: the
            // documents parsed ahead need the memory more. A cold poll took the same wall time and
            // CPU with 4, 5 and 6 MiB (within 2 %; 6 and 8 alike the round before), and its peak
            // fell by 2.5 MiB from 6 to 4, to under half of newsboat's (bench/README.md, tenth
            // round).
            db.exec("PRAGMA cache_size = -4096");
            db.exec("PRAGMA foreign_keys = ON");
            detail::migrate(db, latest);
        }
        db.exec("PRAGMA foreign_keys = ON");
        return std::make_unique<detail::Connection>(path, mode, std::move(lock), std::move(db));
    } catch (const SQLite::Exception& e) {
        throw StoreError("cannot open archive " + name + ": " + sqlite_problem(e));
    }
}

// ---------------------------------------------------------------------------------------------
// Feeds and their state

namespace {

void upsert_feed(detail::Connection& connection, const FeedSource& feed, TimePoint now) {
    auto& upsert = connection.statement(R"sql(
INSERT INTO feeds (name, url, configured_title, category, tags, identity, keep_days, configured, added_at)
VALUES (:name, :url, :title, :category, :tags, :identity, :keep_days, 1, :now)
ON CONFLICT (name) DO UPDATE SET url = :url, configured_title = :title, category = :category, tags = :tags,
                                 identity = :identity, keep_days = :keep_days, configured = 1)sql");
    upsert.bind(":name", feed.name);
    upsert.bind(":url", feed.url);
    upsert.bind(":title", feed.title);
    upsert.bind(":category", feed.category);
    upsert.bind(":tags", detail::join_lines(feed.tags));
    upsert.bind(":identity", to_string(feed.identity));
    if (feed.keep_days)
        upsert.bind(":keep_days", *feed.keep_days);
    else
        upsert.bind(":keep_days");
    upsert.bind(":now", seconds(now));
    upsert.exec();
}

// Read by `read_state` by their names.
constexpr const char* state_columns =
    "f.name, s.etag, s.last_modified, s.last_poll, s.last_success, s.next_poll, s.last_status, s.last_error, "
    "s.consecutive_failures, s.configured_url, s.gone, s.moved_to, s.redirect_candidate, "
    "s.redirect_first_seen, s.redirect_count, s.identity_fallback, s.retry_after, s.document_items";

FeedState read_state(const SQLite::Statement& row) {
    FeedState state;
    state.name = row.getColumn("name").getString();
    if (row.getColumn("etag").isNull()) return state;  // never polled
    state.etag = row.getColumn("etag").getString();
    state.last_modified = row.getColumn("last_modified").getString();
    state.last_poll = time_column(row.getColumn("last_poll"));
    state.last_success = time_column(row.getColumn("last_success"));
    state.next_poll = time_column(row.getColumn("next_poll"));
    state.last_status = static_cast<long>(row.getColumn("last_status").getInt64());
    state.last_error = row.getColumn("last_error").getString();
    state.consecutive_failures = row.getColumn("consecutive_failures").getInt();
    state.configured_url = row.getColumn("configured_url").getString();
    state.gone = row.getColumn("gone").getInt() != 0;
    state.moved_to = row.getColumn("moved_to").getString();
    state.redirect_candidate = row.getColumn("redirect_candidate").getString();
    state.redirect_first_seen = time_column(row.getColumn("redirect_first_seen"));
    state.redirect_count = row.getColumn("redirect_count").getInt();
    state.identity_fallback = row.getColumn("identity_fallback").getInt() != 0;
    state.retry_after = time_column(row.getColumn("retry_after"));
    state.document_items = row.getColumn("document_items").getInt();
    return state;
}

}  // namespace

void detail::Connection::sync_feeds(const std::vector<FeedSource>& feeds) {
    this->call(detail::write_failed, [&] {
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        this->db.exec("UPDATE feeds SET configured = 0");
        auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        for (const auto& feed : feeds) upsert_feed(*this, feed, now);
        transaction.commit();
    });
}

FeedState detail::Connection::feed_state(const std::string& name) {
    return this->call(detail::read_failed, [&] {
        static const std::string sql =
            std::string("SELECT ") + state_columns +
            " FROM feeds f LEFT JOIN feed_state s ON s.feed_id = f.id WHERE f.name = ?";
        auto& select = this->statement(sql.c_str());
        select.bind(1, name);
        if (!select.executeStep()) {
            FeedState state;
            state.name = name;
            return state;
        }
        return read_state(select);
    });
}

std::vector<FeedState> detail::Connection::feed_states() {
    return this->call(detail::read_failed, [&] {
        static const std::string sql =
            std::string("SELECT ") + state_columns +
            " FROM feeds f LEFT JOIN feed_state s ON s.feed_id = f.id ORDER BY f.name";
        auto& select = this->statement(sql.c_str());
        std::vector<FeedState> states;
        while (select.executeStep()) states.push_back(read_state(select));
        return states;
    });
}

void detail::Connection::set_feed_state(const FeedState& state) {
    this->call(detail::write_failed, [&] {
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        auto id = this->feed_id(state.name);
        if (!id) throw StoreError("unknown feed '" + state.name + "'");
        detail::write_state(*this, *id, state, state.identity_fallback);
        transaction.commit();
    });
}

std::vector<EntryTimes> detail::Connection::entry_times(const std::string& feed, TimePoint since) {
    return this->call(detail::read_failed, [&] {
        auto& select = this->statement(R"sql(
SELECT e.published, e.first_seen FROM entries e JOIN feeds f ON f.id = e.feed_id
WHERE f.name = ? AND e.first_seen >= ? ORDER BY e.first_seen, e.id)sql");
        select.bind(1, feed);
        select.bind(2, seconds(since));
        std::vector<EntryTimes> out;
        while (select.executeStep())
            out.push_back({time_column(select.getColumn(0)), *time_column(select.getColumn(1))});
        return out;
    });
}

void detail::Connection::record_gap(const std::string& feed, const GapRecord& gap) {
    this->call(detail::write_failed, [&] {
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        auto id = this->feed_id(feed);
        if (!id) throw StoreError("unknown feed '" + feed + "'");
        auto& insert = this->statement(R"sql(
INSERT INTO gaps (feed_id, detected_at, seen_until, seen_again, estimated, pace_ms) VALUES (?, ?, ?, ?, ?, ?))sql");
        SQLite::bind(insert, *id, seconds(gap.detected_at), seconds(gap.seen_until), seconds(gap.seen_again),
                     gap.estimated, static_cast<std::int64_t>(gap.pace.count()));
        insert.exec();
        transaction.commit();
    });
}

std::vector<GapRecord> detail::Connection::gaps(const std::string& feed, TimePoint since) {
    return this->call(detail::read_failed, [&] {
        auto& select = this->statement(R"sql(
SELECT g.detected_at, g.seen_until, g.seen_again, g.estimated, g.pace_ms FROM gaps g JOIN feeds f ON f.id = g.feed_id
WHERE f.name = ? AND g.detected_at >= ? ORDER BY g.detected_at)sql");
        select.bind(1, feed);
        select.bind(2, seconds(since));
        std::vector<GapRecord> out;
        while (select.executeStep()) {
            GapRecord gap;
            gap.detected_at = *time_column(select.getColumn(0));
            gap.seen_until = *time_column(select.getColumn(1));
            gap.seen_again = *time_column(select.getColumn(2));
            gap.estimated = select.getColumn(3).getInt64();
            gap.pace = Duration{select.getColumn(4).getInt64()};
            out.push_back(gap);
        }
        return out;
    });
}

std::vector<FeedSummary> detail::Connection::feed_summaries(SummaryDetail detail) {
    return this->call(detail::read_failed, [&] {
        static const std::string head =
            std::string("SELECT ") + state_columns + ", f.url, f.title, f.site_link, f.configured, f.id";
        static const std::string tail =
            " FROM feeds f LEFT JOIN feed_state s ON s.feed_id = f.id ORDER BY f.name";
        // Each from an index (entries_by_feed_seen, gaps_by_feed): a lookup per feed, no scan.
        static const std::string indexed =
            " (SELECT max(first_seen) FROM entries e WHERE e.feed_id = f.id) AS newest,"
            " (SELECT count(*) FROM gaps g WHERE g.feed_id = f.id AND g.detected_at >= :since) AS gaps,"
            " (SELECT coalesce(sum(estimated), 0) FROM gaps g WHERE g.feed_id = f.id"
            "  AND g.detected_at >= :since) AS gap_items,"
            " (SELECT max(detected_at) FROM gaps g WHERE g.feed_id = f.id) AS last_gap";
        static const std::string full =
            head +
            ", (SELECT count(DISTINCT article_id) FROM entries e WHERE e.feed_id = f.id) AS articles,"
            " (SELECT count(*) FROM entries e WHERE e.feed_id = f.id) AS entries," +
            indexed + tail;
        static const std::string state = head + "," + indexed + tail;
        static const std::string listing = head + tail;
        const bool counted = detail == SummaryDetail::full;
        const bool gaps = detail != SummaryDetail::listing;
        auto& select = this->statement(counted ? full.c_str() : gaps ? state.c_str() : listing.c_str());
        if (gaps) {
            const auto now =
                std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
            select.bind(":since", seconds(now - std::chrono::days(30)));
        }
        std::vector<FeedSummary> out;
        while (select.executeStep()) {
            FeedSummary summary;
            summary.state = read_state(select);
            summary.name = summary.state.name;
            summary.url = select.getColumn("url").getString();
            summary.title = select.getColumn("title").getString();
            summary.site_link = select.getColumn("site_link").getString();
            summary.configured = select.getColumn("configured").getInt() != 0;
            summary.id = select.getColumn("id").getInt64();
            if (counted) {
                summary.articles = select.getColumn("articles").getInt64();
                summary.entries = select.getColumn("entries").getInt64();
            }
            if (gaps) {
                summary.newest = time_column(select.getColumn("newest"));
                summary.recent_gaps = select.getColumn("gaps").getInt64();
                summary.recent_gap_items = select.getColumn("gap_items").getInt64();
                summary.last_gap = time_column(select.getColumn("last_gap"));
            }
            out.push_back(std::move(summary));
        }
        return out;
    });
}

namespace detail {

void write_state(Connection& connection, std::int64_t feed_id, const FeedState& state,
                 bool identity_fallback) {
    auto& upsert = connection.statement(R"sql(
INSERT INTO feed_state (feed_id, etag, last_modified, last_poll, last_success, next_poll, last_status, last_error,
                        consecutive_failures, configured_url, gone, moved_to, redirect_candidate,
                        redirect_first_seen, redirect_count, identity_fallback, retry_after, document_items)
VALUES (:feed_id, :etag, :last_modified, :last_poll, :last_success, :next_poll, :last_status, :last_error,
        :consecutive_failures, :configured_url, :gone, :moved_to, :redirect_candidate,
        :redirect_first_seen, :redirect_count, :identity_fallback, :retry_after, :document_items)
ON CONFLICT (feed_id) DO UPDATE SET
    etag = :etag, last_modified = :last_modified, last_poll = :last_poll, last_success = :last_success,
    next_poll = :next_poll, last_status = :last_status, last_error = :last_error,
    consecutive_failures = :consecutive_failures, configured_url = :configured_url, gone = :gone,
    moved_to = :moved_to, redirect_candidate = :redirect_candidate, redirect_first_seen = :redirect_first_seen,
    redirect_count = :redirect_count, identity_fallback = :identity_fallback, retry_after = :retry_after,
    document_items = :document_items)sql");
    upsert.bind(":feed_id", feed_id);
    upsert.bind(":etag", state.etag);
    upsert.bind(":last_modified", state.last_modified);
    bind_time(upsert, ":last_poll", state.last_poll);
    bind_time(upsert, ":last_success", state.last_success);
    bind_time(upsert, ":next_poll", state.next_poll);
    upsert.bind(":last_status", static_cast<std::int64_t>(state.last_status));
    upsert.bind(":last_error", state.last_error);
    upsert.bind(":consecutive_failures", state.consecutive_failures);
    upsert.bind(":configured_url", state.configured_url);
    upsert.bind(":gone", state.gone ? 1 : 0);
    upsert.bind(":moved_to", state.moved_to);
    upsert.bind(":redirect_candidate", state.redirect_candidate);
    bind_time(upsert, ":redirect_first_seen", state.redirect_first_seen);
    upsert.bind(":redirect_count", state.redirect_count);
    upsert.bind(":identity_fallback", identity_fallback ? 1 : 0);
    bind_time(upsert, ":retry_after", state.retry_after);
    upsert.bind(":document_items", state.document_items);
    upsert.exec();
}

std::int64_t ensure_feed(Connection& connection, const FeedSource& feed, TimePoint now) {
    if (auto id = connection.feed_id(feed.name)) return *id;
    upsert_feed(connection, feed, now);
    return *connection.feed_id(feed.name);
}

bool stored_fallback(Connection& connection, std::int64_t feed_id) {
    auto& select = connection.statement("SELECT identity_fallback FROM feed_state WHERE feed_id = ?");
    select.bind(1, feed_id);
    return select.executeStep() && select.getColumn("identity_fallback").getInt() != 0;
}

std::string problem(const SQLite::Exception& e) {
    return sqlite_problem(e);
}

std::string stored_text(const SQLite::Column& column, std::string_view prefix, const char* row,
                        std::int64_t id) {
    if (column.getType() != SQLITE_BLOB) return column.getString();
    try {
        return unpack(
            {static_cast<const char*>(column.getBlob()), static_cast<std::size_t>(column.getBytes())},
            prefix);
    } catch (const DamagedValue& e) {
        throw StoreError(std::string(read_failed) + ": " + row + " " + std::to_string(id) + ": " +
                         column.getName() + " is damaged (" + e.what() + ")");
    }
}

void bind_packed(SQLite::Statement& statement, const char* name, const std::string& text,
                 std::string_view prefix, std::string& frame) {
    auto packed = pack(text, prefix);
    if (packed) frame = std::move(*packed);
    bind_stored(statement, name, text, packed ? &frame : nullptr);
}

void bind_stored(SQLite::Statement& statement, const char* name, const std::string& text,
                 const std::string* frame) {
    if (frame != nullptr)
        statement.bindNoCopy(name, static_cast<const void*>(frame->data()), static_cast<int>(frame->size()));
    else
        statement.bind(name, text);
}

}  // namespace detail

}  // namespace feedd::store
