// The PostgreSQL archive: the same contract as the SQLite one (store.hpp), behind the Backend seam.
// The rules that are not SQL (identity, merging, revisions, rows) are rules.hpp's, shared.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_set>

#include "feedd/text/text.hpp"
#include "store/backend.hpp"
#include "store/pg.hpp"
#include "store/postgres_pages.hpp"
#include "store/postgres_reading.hpp"
#include "store/postgres_schema.hpp"
#include "store/rules.hpp"
#include "store/search.hpp"
#include "store/text.hpp"

namespace feedd::store {

namespace pg {

namespace {

// Unless the location (or PGCONNECT_TIMEOUT) says otherwise: a connection, or a reconnection after
// the database failed over, gives up after this.
constexpr int kConnectTimeoutSeconds = 10;

std::string first_line(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    auto newline = text.find('\n');
    return newline == std::string::npos ? text : text.substr(0, newline);
}

bool loopback(const std::string& host) {
    return host.empty() || host.front() == '/' || host.front() == '@' || host == "localhost" ||
           host.starts_with("127.") || host == "::1";
}

}  // namespace

Session::Session(const std::string& uri, const std::string& shown, const std::string& password)
    : shown_(shown) {
    // TCP to another machine uses TLS with verification unless the URI says otherwise.
    bool add_sslmode = false;
    bool has_connect_timeout = std::getenv("PGCONNECT_TIMEOUT") != nullptr;
    char* parse_error = nullptr;
    if (PQconninfoOption* options = PQconninfoParse(uri.c_str(), &parse_error)) {
        std::string host, sslmode;
        for (auto* o = options; o->keyword != nullptr; ++o) {
            if (o->val == nullptr) continue;
            if (std::strcmp(o->keyword, "host") == 0) host = o->val;
            if (std::strcmp(o->keyword, "hostaddr") == 0 && host.empty()) host = o->val;
            if (std::strcmp(o->keyword, "sslmode") == 0) sslmode = o->val;
            if (std::strcmp(o->keyword, "connect_timeout") == 0) has_connect_timeout = true;
        }
        PQconninfoFree(options);
        add_sslmode = sslmode.empty() && std::getenv("PGSSLMODE") == nullptr && !loopback(host) &&
                      host.find(',') == std::string::npos;
    } else {
        std::string why = first_line(parse_error);
        PQfreemem(parse_error);
        throw Error("08001", "cannot read the PostgreSQL location " + shown + ": " + why);
    }
    keywords_ = {"dbname"};
    values_ = {uri};
    if (add_sslmode) {
        keywords_.push_back("sslmode");
        values_.push_back("verify-full");
    }
    if (!has_connect_timeout) {
        // libpq waits for ever by default: a database host that drops packets, or accepts and never
        // answers, would hold a node's claims and writes (and a command) until the OS gives up.
        keywords_.push_back("connect_timeout");
        values_.push_back(std::to_string(kConnectTimeoutSeconds));
    }
    if (!password.empty()) {
        keywords_.push_back("password");
        values_.push_back(password);
    }
    if (!connect()) throw Error("08001", "cannot connect to " + shown + ": " + connection_error());
}

bool Session::connect() {
    std::vector<const char*> keywords, values;
    for (std::size_t i = 0; i < keywords_.size(); ++i) {
        keywords.push_back(keywords_[i].c_str());
        values.push_back(values_[i].c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    // A new connection has no prepared statements and nothing in flight.
    prepared_.clear();
    pipeline_.clear();
    conn_.reset(PQconnectdbParams(keywords.data(), values.data(), 1));
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_OK) return false;
    // Notices (e.g. "text-search query contains only stop words") are not the user's business.
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);
    for (const char* sql : settings_) {
        // Not through check(): a failure here is the reconnection's, reported by its caller.
        Result result(PQexec(conn_.get(), sql));
        if (!result.ok()) return false;
    }
    ++connections_;
    return true;
}

std::string Session::connection_error() const {
    return conn_ ? first_line(PQerrorMessage(conn_.get())) : "out of memory";
}

void Session::keep(const char* sql) {
    command(sql);
    settings_.push_back(sql);
}

void Session::reconnect_if_lost() {
    if (conn_ && PQstatus(conn_.get()) != CONNECTION_BAD) return;
    const std::string before = connection_error();
    if (!connect())
        throw Error("08006", "database connection lost (" + before + "); reconnecting to " + shown_ + ": " +
                                 connection_error());
}

Error Session::lost(Error error) {
    if (!conn_ || PQstatus(conn_.get()) != CONNECTION_BAD) return error;
    std::string message = "database connection lost: " + std::string(error.what());
    if (connect())
        message += "; reconnected";
    else
        message += "; reconnecting: " + connection_error() + " (tried again on next use)";
    return Error(error.state(), message);
}

Result Session::check(PGresult* raw) {
    Result result(raw);
    if (raw == nullptr) throw lost(Error("08006", first_line(PQerrorMessage(conn_.get()))));
    const auto status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    const char* state = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    throw lost(Error(state ? state : "XX000", first_line(PQresultErrorMessage(raw))));
}

const std::string& Session::statement(const char* sql, bool pipelined) {
    auto [slot, fresh] = prepared_.try_emplace(sql);
    if (!fresh) return slot->second;
    slot->second = "s" + std::to_string(++named_);
    if (pipelined) {
        if (PQsendPrepare(conn_.get(), slot->second.c_str(), sql, 0, nullptr) != 1) {
            prepared_.erase(slot);
            throw lost(Error("08006", first_line(PQerrorMessage(conn_.get()))));
        }
        pipeline_.push_back(sql);  // its result says whether the name exists
        return slot->second;
    }
    try {
        check(PQprepare(conn_.get(), slot->second.c_str(), sql, 0, nullptr));
    } catch (...) {
        prepared_.erase(sql);  // by its key: a reconnection emptied the cache
        throw;
    }
    return slot->second;
}

void Session::send(const char* sql, const Params& params) {
    if (pipeline_.empty()) reconnect_if_lost();
    if (PQpipelineStatus(conn_.get()) == PQ_PIPELINE_OFF && PQenterPipelineMode(conn_.get()) != 1)
        throw lost(Error("08006", first_line(PQerrorMessage(conn_.get()))));
    const auto& name = statement(sql, true);
    if (PQsendQueryPrepared(conn_.get(), name.c_str(), params.size(), params.values(), nullptr, nullptr, 0) !=
        1)
        throw lost(Error("08006", first_line(PQerrorMessage(conn_.get()))));
    pipeline_.push_back(nullptr);
}

Result Session::finish() {
    if (PQpipelineSync(conn_.get()) != 1) throw lost(Error("08006", first_line(PQerrorMessage(conn_.get()))));
    Result last;
    std::optional<Error> failure;
    for (const char* prepare : pipeline_) {
        // One result per command, then a NULL; after a failure the rest say "aborted".
        PGresult* raw = PQgetResult(conn_.get());
        const auto status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
        if (status == PGRES_FATAL_ERROR && !failure) {
            const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
            failure.emplace(state ? state : "08006",
                            first_line(raw ? PQresultErrorMessage(raw) : PQerrorMessage(conn_.get())));
        }
        if (prepare != nullptr && status != PGRES_COMMAND_OK) prepared_.erase(prepare);
        Result result(raw);
        if (raw != nullptr)
            while (PGresult* rest = PQgetResult(conn_.get())) PQclear(rest);
        if (prepare == nullptr) last = std::move(result);
    }
    pipeline_.clear();
    PQclear(PQgetResult(conn_.get()));  // PGRES_PIPELINE_SYNC
    if (PQexitPipelineMode(conn_.get()) != 1 && !failure)
        failure.emplace("08006", first_line(PQerrorMessage(conn_.get())));
    if (failure) throw lost(*failure);
    return last;
}

void Session::defer(const char* sql, const Params& params) {
    send(sql, params);
    // The server answers every statement; unread answers past its socket buffer would stall it
    // while we still send. A few hundred stay far below that.
    if (pipeline_.size() >= 512) finish();
}

void Session::flush() {
    if (!pipeline_.empty()) finish();
}

Result Session::exec(const char* sql, const Params& params) {
    if (!pipeline_.empty()) {
        send(sql, params);
        return finish();
    }
    reconnect_if_lost();
    const auto& name = statement(sql, false);
    return check(
        PQexecPrepared(conn_.get(), name.c_str(), params.size(), params.values(), nullptr, nullptr, 0));
}

Result Session::run(const std::string& sql, const Params& params) {
    if (!pipeline_.empty()) {
        // Rides along with what was deferred (one statement: the extended protocol takes no more).
        if (PQsendQueryParams(conn_.get(), sql.c_str(), params.size(), nullptr, params.values(), nullptr,
                              nullptr, 0) != 1)
            throw lost(Error("08006", first_line(PQerrorMessage(conn_.get()))));
        pipeline_.push_back(nullptr);
        return finish();
    }
    reconnect_if_lost();
    if (params.size() == 0) return check(PQexec(conn_.get(), sql.c_str()));
    return check(
        PQexecParams(conn_.get(), sql.c_str(), params.size(), nullptr, params.values(), nullptr, nullptr, 0));
}

}  // namespace pg

namespace detail {

std::optional<std::int64_t> pg_feed_id(pg::Session& db, const std::string& name) {
    auto r = db.exec("SELECT id FROM feeds WHERE name = $1", pg::Params::of(name));
    if (r.rows() == 0) return std::nullopt;
    return r.integer(0, 0);
}

std::vector<Enclosure> pg_enclosures(pg::Session& db, std::int64_t entry_id) {
    auto r = db.exec("SELECT url, type, length FROM enclosures WHERE entry_id = $1 ORDER BY position",
                     pg::Params::of(entry_id));
    std::vector<Enclosure> out;
    for (int i = 0; i < r.rows(); ++i) {
        Enclosure enclosure{r.text(i, 0), r.text(i, 1), {}};
        if (!r.null(i, 2)) enclosure.length = r.integer(i, 2);
        out.push_back(std::move(enclosure));
    }
    return out;
}

namespace {

using pg::Params;
using pg::Result;

// "syntax_error" and its kin: a search the user can fix.
bool is_search_error(const pg::Error& e) {
    return e.state().starts_with("42") || e.state() == "22023";
}

constexpr const char* state_columns =
    "f.name, s.etag, s.last_modified, s.last_poll, s.last_success, s.next_poll, s.last_status, s.last_error, "
    "s.consecutive_failures, s.configured_url, s.gone, s.moved_to, s.redirect_candidate, "
    "s.redirect_first_seen, s.redirect_count, s.identity_fallback, s.retry_after, s.document_items";
enum StateColumn : int {
    name_c,
    etag_c,
    last_modified_c,
    last_poll_c,
    last_success_c,
    next_poll_c,
    last_status_c,
    last_error_c,
    failures_c,
    configured_url_c,
    gone_c,
    moved_to_c,
    redirect_candidate_c,
    redirect_first_seen_c,
    redirect_count_c,
    identity_fallback_c,
    retry_after_c,
    document_items_c,
    state_column_count
};

FeedState read_state(const Result& r, int row) {
    FeedState state;
    state.name = r.text(row, name_c);
    if (r.null(row, etag_c)) return state;  // never polled
    state.etag = r.text(row, etag_c);
    state.last_modified = r.text(row, last_modified_c);
    state.last_poll = r.time(row, last_poll_c);
    state.last_success = r.time(row, last_success_c);
    state.next_poll = r.time(row, next_poll_c);
    state.last_status = static_cast<long>(r.integer(row, last_status_c));
    state.last_error = r.text(row, last_error_c);
    state.consecutive_failures = static_cast<int>(r.integer(row, failures_c));
    state.configured_url = r.text(row, configured_url_c);
    state.gone = r.integer(row, gone_c) != 0;
    state.moved_to = r.text(row, moved_to_c);
    state.redirect_candidate = r.text(row, redirect_candidate_c);
    state.redirect_first_seen = r.time(row, redirect_first_seen_c);
    state.redirect_count = static_cast<int>(r.integer(row, redirect_count_c));
    state.identity_fallback = r.integer(row, identity_fallback_c) != 0;
    state.retry_after = r.time(row, retry_after_c);
    state.document_items = static_cast<int>(r.integer(row, document_items_c));
    return state;
}

// The first columns of every query that lists articles.
constexpr const char* row_columns =
    "a.id, e.title, e.link, e.author, a.published, a.first_seen, a.sort_time, e.summary, e.text";
ArticleRow read_row(const Result& r, int row) {
    ArticleRow out;
    out.id = r.integer(row, 0);
    out.title = r.text(row, 1);
    out.link = r.text(row, 2);
    out.author = r.text(row, 3);
    out.published = r.time(row, 4);
    out.first_seen = *r.time(row, 5);
    out.date = *r.time(row, 6);
    fill_row_text(out, r.text(row, 7), r.text(row, 8));
    return out;
}

// A LIKE pattern that matches `text` anywhere, its wildcards taken literally.
std::string contains_pattern(const std::string& text) {
    std::string out = "%";
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out + "%";
}

// The hit with [ ] around it and some characters either side (the trigram search's snippet).
std::string substring_snippet(const std::string& text, const std::string& needle) {
    const auto at = text.find(needle);
    if (at == std::string::npos || needle.empty()) return excerpt(text, 200);
    auto back = [&](std::size_t from, int chars) {
        while (from > 0 && chars > 0) {
            --from;
            while (from > 0 && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) --from;
            --chars;
        }
        return from;
    };
    auto forward = [&](std::size_t from, int chars) {
        while (from < text.size() && chars > 0) {
            ++from;
            while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;
            --chars;
        }
        return from;
    };
    const auto begin = back(at, 24);
    const auto end = forward(at + needle.size(), 24);
    return (begin > 0 ? "\u2026" : "") + text.substr(begin, at - begin) + "[" + needle + "]" +
           text.substr(at + needle.size(), end - at - needle.size()) + (end < text.size() ? "\u2026" : "");
}

class PostgresStore;

// The PostgreSQL statements of the ingest for one feed (what rules.hpp's `EntryIngest` asks).
//
// Every statement to the server is a round trip, so a poll costs a fixed few of them rather than
// several per entry: `look_ahead` reads what the poll's lookups will ask (entries by key and by
// link, tombstones, articles by link) in one statement and takes ids for its new articles and
// entries from their sequences; the lookups answer from that, and the writes, which need no answer
// now that ids are known, are deferred (libpq's pipeline) and go with the next statement that
// waits, at the latest the COMMIT. A write drops what it could change from the read-ahead; a lookup
// of something not read ahead (or dropped) asks the server, which has run the writes before it.
struct PostgresIngest {
    PostgresIngest(pg::Session& session, std::int64_t feed) : db(session), feed_id(feed) {}
    pg::Session& db;
    std::int64_t feed_id;

    std::unordered_map<std::string, std::optional<Existing>> found;  // by key
    std::unordered_map<std::int64_t, std::string> key_of;            // entry id → key in `found`
    std::unordered_map<std::string, LinkMatch> links;                // by canonical link
    std::unordered_map<std::string, bool> tombstones, link_tombstones;
    std::unordered_map<std::string, std::optional<std::int64_t>> other_articles;  // article_by_link
    std::vector<std::int64_t> article_ids, entry_ids;  // taken for new rows, ascending
    std::size_t next_article = 0, next_entry = 0;

    // id, article id and seen hash from column `first` on.
    static Existing existing(const Result& r, int row, int first = 0) {
        return {r.integer(row, first), r.integer(row, first + 1), r.text(row, first + 2)};
    }

    void look_ahead(const std::vector<Candidate>& candidates) {
        std::vector<const std::string*> keys, canonicals;
        std::unordered_set<std::string_view> asked_keys, asked_links;
        for (const auto& c : candidates) {
            if (!found.contains(c.key) && asked_keys.insert(c.key).second) keys.push_back(&c.key);
            if (!c.canonical.empty() && !links.contains(c.canonical) &&
                asked_links.insert(c.canonical).second)
                canonicals.push_back(&c.canonical);
        }
        if (keys.empty() && canonicals.empty()) return;
        // Rows: kind, position in its list (1-based), id, article id, seen hash, guid. New rows
        // get ids for every key not found (an upper bound: some join an article, some are
        // tombstoned; the ids they leave unused are gaps, as a failed insert's).
        auto r = db.exec(R"sql(
WITH k AS (SELECT key, n FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n)),
     l AS (SELECT link, n FROM unnest($3::text[]) WITH ORDINALITY AS l(link, n)),
     e AS (SELECT k.n, e.id, e.article_id, e.seen_hash FROM k JOIN entries e ON e.feed_id = $1 AND e.identity = k.key)
SELECT 'k', n, id, article_id, seen_hash, '' FROM e
UNION ALL
SELECT 'l', l.n, x.id, x.article_id, x.seen_hash, x.guid FROM l CROSS JOIN LATERAL (
    SELECT id, article_id, seen_hash, guid FROM entries WHERE feed_id = $1 AND canonical_link = l.link
    ORDER BY id LIMIT 2) x
UNION ALL
SELECT 't', k.n, 0, 0, '', '' FROM k JOIN tombstones t ON t.feed_id = $1 AND t.identity = k.key
UNION ALL
SELECT 'u', l.n, 0, 0, '', '' FROM l JOIN tombstone_links t ON t.canonical_link = l.link
UNION ALL
SELECT 'a', l.n, a.id, 0, '', '' FROM l CROSS JOIN LATERAL (
    SELECT a.id FROM articles a WHERE a.canonical_link = l.link
      AND NOT EXISTS (SELECT 1 FROM entries x WHERE x.article_id = a.id AND x.feed_id = $1)
    ORDER BY a.id LIMIT 1) a
UNION ALL
SELECT 'r', 0, nextval(pg_get_serial_sequence('articles', 'id')), nextval(pg_get_serial_sequence('entries', 'id')),
       '', ''
FROM generate_series(1, cardinality($2::text[]) - (SELECT count(DISTINCT n) FROM e)))sql",
                         Params::of(feed_id, pg::array_literal(keys), pg::array_literal(canonicals)));
        for (const auto* key : keys) {
            found.emplace(*key, std::nullopt);
            tombstones.emplace(*key, false);
        }
        for (const auto* link : canonicals) {
            links.emplace(*link, LinkMatch{});
            link_tombstones.emplace(*link, false);
            other_articles.emplace(*link, std::nullopt);
        }
        for (int i = 0; i < r.rows(); ++i) {
            const auto kind = r.text(i, 0);
            const auto n = static_cast<std::size_t>(r.integer(i, 1)) - 1;
            if (kind == "k") {
                found[*keys[n]] = existing(r, i, 2);
                key_of[r.integer(i, 2)] = *keys[n];
            } else if (kind == "l") {
                auto& match = links[*canonicals[n]];
                if (match.count == 0 || r.integer(i, 2) < match.first.id) {
                    match.first = existing(r, i, 2);
                    match.guid = r.text(i, 5);
                }
                ++match.count;
            } else if (kind == "t") {
                tombstones[*keys[n]] = true;
            } else if (kind == "u") {
                link_tombstones[*canonicals[n]] = true;
            } else if (kind == "a") {
                other_articles[*canonicals[n]] = r.integer(i, 2);
            } else if (kind == "r") {
                article_ids.push_back(r.integer(i, 2));
                entry_ids.push_back(r.integer(i, 3));
            }
        }
        std::sort(article_ids.begin() + static_cast<std::ptrdiff_t>(next_article), article_ids.end());
        std::sort(entry_ids.begin() + static_cast<std::ptrdiff_t>(next_entry), entry_ids.end());
    }

    // What a write to an entry could change: its key's answer and every link answer.
    void forget_entry(std::int64_t entry_id) {
        if (auto at = key_of.find(entry_id); at != key_of.end()) {
            found.erase(at->second);
            key_of.erase(at);
        }
        links.clear();
    }

    std::optional<Existing> find(const std::string& key) {
        if (auto at = found.find(key); at != found.end()) return at->second;
        auto r = db.exec("SELECT id, article_id, seen_hash FROM entries WHERE feed_id = $1 AND identity = $2",
                         Params::of(feed_id, key));
        if (r.rows() == 0) return std::nullopt;
        return existing(r, 0);
    }
    LinkMatch by_link(const std::string& canonical) {
        if (auto at = links.find(canonical); at != links.end()) return at->second;
        auto r = db.exec(
            "SELECT id, article_id, seen_hash, guid FROM entries WHERE feed_id = $1 AND canonical_link = $2 "
            "ORDER BY id LIMIT 2",
            Params::of(feed_id, canonical));
        LinkMatch match;
        match.count = r.rows();
        if (match.count > 0) {
            match.first = existing(r, 0);
            match.guid = r.text(0, 3);
        }
        return match;
    }
    void unlink(const std::string& canonical) {
        other_articles.erase(canonical);
        db.defer(R"sql(
UPDATE articles SET canonical_link = NULL
WHERE canonical_link = $1
  AND id IN (SELECT article_id FROM entries WHERE feed_id = $2 AND canonical_link = $1))sql",
                 Params::of(canonical, feed_id));
    }
    bool tombstoned(const std::string& key) {
        if (auto at = tombstones.find(key); at != tombstones.end()) return at->second;
        return db.exec("SELECT 1 FROM tombstones WHERE feed_id = $1 AND identity = $2",
                       Params::of(feed_id, key))
                   .rows() > 0;
    }
    bool link_tombstoned(const std::string& canonical) {
        if (auto at = link_tombstones.find(canonical); at != link_tombstones.end()) return at->second;
        return db.exec("SELECT 1 FROM tombstone_links WHERE canonical_link = $1", Params::of(canonical))
                   .rows() > 0;
    }
    std::optional<std::int64_t> article_by_link(const std::string& canonical) {
        if (auto at = other_articles.find(canonical); at != other_articles.end()) return at->second;
        auto r = db.exec(R"sql(
SELECT a.id FROM articles a WHERE a.canonical_link = $1
  AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.article_id = a.id AND e.feed_id = $2)
ORDER BY a.id LIMIT 1)sql",
                         Params::of(canonical, feed_id));
        if (r.rows() == 0) return std::nullopt;
        return r.integer(0, 0);
    }
    std::int64_t insert_article(const std::string* link, TimePoint now, const std::optional<TimePoint>& date,
                                TimePoint sort_time) {
        if (link != nullptr) other_articles.erase(*link);
        if (next_article < article_ids.size()) {
            const auto id = article_ids[next_article++];
            db.defer(
                "INSERT INTO articles (id, canonical_link, first_seen, published, sort_time) VALUES ($1, $2, "
                "$3, "
                "$4, $5)",
                Params::of(id, link, now, date, sort_time));
            return id;
        }
        return db
            .exec(
                "INSERT INTO articles (canonical_link, first_seen, published, sort_time) VALUES ($1, $2, $3, "
                "$4) "
                "RETURNING id",
                Params::of(link, now, date, sort_time))
            .integer(0, 0);
    }
    void adopt_date(std::int64_t article_id, TimePoint published) {
        db.defer(R"sql(
UPDATE articles SET published = $1::bigint,
                    sort_time = CASE WHEN $1::bigint <= first_seen THEN $1::bigint ELSE sort_time END
WHERE id = $2 AND published IS NULL)sql",
                 Params::of(published, article_id));
    }
    void update_fullest(std::int64_t article_id, std::int64_t entry_id) {
        db.defer(R"sql(
UPDATE articles SET fullest_entry = $1::bigint
WHERE id = $2 AND (fullest_entry IS NULL OR fullest_entry = $1::bigint OR
                   (SELECT length(text) + length(title) FROM entries WHERE id = fullest_entry) <
                   (SELECT length(text) + length(title) FROM entries WHERE id = $1::bigint)))sql",
                 Params::of(entry_id, article_id));
    }
    void write_enclosures(std::int64_t entry_id, const std::vector<Enclosure>& enclosures) {
        db.defer("DELETE FROM enclosures WHERE entry_id = $1", Params::of(entry_id));
        int position = 0;
        for (const auto& enclosure : enclosures) {
            if (enclosure.url.empty()) continue;
            Params params;
            params.add(entry_id).add(position++).add(enclosure.url).add(enclosure.type);
            if (enclosure.length)
                params.add(static_cast<std::int64_t>(*enclosure.length));
            else
                params.null();
            db.defer(
                "INSERT INTO enclosures (entry_id, position, url, type, length) VALUES ($1, $2, $3, $4, $5)",
                params);
        }
    }
    std::int64_t insert_entry(std::int64_t article_id, const Candidate& c, const std::string& cjk,
                              TimePoint now) {
        const Entry& entry = *c.entry;
        const auto categories = join_lines(entry.categories);
        Params params;
        params.add(article_id).add(feed_id).add(c.key).add(entry.id).add(entry.link).add(c.canonical);
        params.add(c.content_hash).add(c.seen_hash).add(entry.title).add(entry.author).add(entry.summary);
        params.add(entry.content).add(c.text()).add(cjk).add(entry.published).add(entry.updated);
        params.add(categories).add(entry.image).add(now);
        std::int64_t id = 0;
        if (next_entry < entry_ids.size()) {
            id = entry_ids[next_entry++];
            params.add(id);
            db.defer(R"sql(
INSERT INTO entries (article_id, feed_id, identity, guid, link, canonical_link, content_hash, seen_hash, title, author,
                     summary, content, text, cjk, published, updated, categories, image, first_seen, id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20))sql",
                     params);
        } else {
            id = db.exec(R"sql(
INSERT INTO entries (article_id, feed_id, identity, guid, link, canonical_link, content_hash, seen_hash, title, author,
                     summary, content, text, cjk, published, updated, categories, image, first_seen)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id)sql",
                         params)
                     .integer(0, 0);
        }
        found[c.key] = Existing{id, article_id, c.seen_hash};
        key_of[id] = c.key;
        links.erase(c.canonical);
        other_articles.erase(c.canonical);
        return id;
    }
    StoredEntry read_entry(std::int64_t id) {
        auto r = db.exec(
            "SELECT title, author, summary, content, link, published, updated, categories, image, guid, "
            "canonical_link, text, cjk FROM entries WHERE id = $1",
            Params::of(id));
        StoredEntry old;
        old.entry.title = r.text(0, 0);
        old.entry.author = r.text(0, 1);
        old.entry.summary = r.text(0, 2);
        old.entry.content = r.text(0, 3);
        old.entry.link = r.text(0, 4);
        old.entry.published = r.time(0, 5);
        old.entry.updated = r.time(0, 6);
        old.categories = r.text(0, 7);
        old.entry.image = r.text(0, 8);
        old.entry.id = r.text(0, 9);
        old.canonical = r.text(0, 10);
        old.text = r.text(0, 11);
        old.cjk = r.text(0, 12);
        return old;
    }
    void add_revision(std::int64_t entry_id, TimePoint now, const Entry& old) {
        db.defer(
            "INSERT INTO revisions (entry_id, recorded_at, title, summary, content) VALUES ($1, $2, $3, $4, "
            "$5)",
            Params::of(entry_id, now, old.title, old.summary, old.content));
        db.defer(R"sql(
DELETE FROM revisions WHERE entry_id = $1
  AND id NOT IN (SELECT id FROM revisions WHERE entry_id = $1 ORDER BY id DESC LIMIT $2))sql",
                 Params::of(entry_id, max_revisions));
    }
    // The search columns follow by themselves (a trigger writes `entry_search`, the trigram index is on
    // `cjk`).
    void update_text(std::int64_t entry_id, const TextUpdate& u, TimePoint now) {
        db.defer(R"sql(
UPDATE entries SET title = $1, author = $2, summary = $3, content = $4, text = $5, cjk = $6,
                   changed_at = CASE WHEN $7::boolean THEN $8::bigint ELSE changed_at END
WHERE id = $9)sql",
                 Params::of(u.title, u.author, u.summary, u.content, u.text, u.cjk, u.text_changed, now,
                            entry_id));
    }
    void update_meta(std::int64_t entry_id, const MetaUpdate& m) {
        forget_entry(entry_id);
        db.defer(R"sql(
UPDATE entries SET guid = $1, link = $2, canonical_link = $3, published = $4, updated = $5, categories = $6,
                   image = $7, seen_hash = $8, content_hash = $9
WHERE id = $10)sql",
                 Params::of(m.guid, m.link, m.canonical, m.published, m.updated, m.categories, m.image,
                            m.seen_hash, m.content_hash, entry_id));
    }
    void rekey(std::int64_t entry_id, const std::string& key) {
        forget_entry(entry_id);
        found.erase(key);
        db.defer("UPDATE entries SET identity = $1 WHERE id = $2", Params::of(key, entry_id));
    }
    // PostgreSQL takes values up to 1 GB: max_storable_body, checked before, is the limit.
    template <class Work>
    bool guard(std::size_t, Work work) {
        work();
        return true;
    }
};

// "feeds, feed_state, …": every table of the archive (tables.hpp), for VACUUM and ANALYZE, with
// the ones derived from them (`entry_search`: a search chooses its plan from that table's
// statistics, which only autovacuum gave it before).
std::string archive_table_list() {
    return text::join(archive_tables, ", ", [](const auto& table) { return identifier(table.name); }) + ", " +
           text::join(derived_tables, ", ", [](std::string_view table) { return identifier(table); });
}

// The statement cache is keyed by the address of a statement's text, which must outlive the
// session: a text assembled at run time (a copy's INSERT, from the table's columns) is kept here,
// one copy per distinct text, for the life of the process.
const char* interned(std::string text) {
    static std::mutex mutex;
    static std::unordered_set<std::string> texts;
    std::lock_guard lock(mutex);
    return texts.insert(std::move(text)).first->c_str();
}

class PostgresStore final : public Backend {
  public:
    PostgresStore(const std::string& uri, const std::string& password, OpenMode mode)
        : shown_(shown_location(uri)), mode_(mode), db_(uri, shown_, password) {}

    void open();

    // One public call: a PostgreSQL failure becomes a StoreError "<context>: <message>"; the
    // store's own errors (StoreError, QueryError) pass through.
    template <class Work>
    decltype(auto) call(std::string_view context, Work&& work) {
        try {
            return std::forward<Work>(work)();
        } catch (const pg::Error& e) {
            throw StoreError(failure(context, e));
        }
    }
    std::string failure(std::string_view context, const pg::Error& e) const {
        return std::string(context) + ": " + e.what();
    }

    // Full text: postgres_pages.cpp.
    void request_pages(const std::vector<PageRequest>& requests, TimePoint now) override {
        call(write_failed, [&] { pg_pages::request(db_, requests, now); });
    }
    std::vector<PageTask> claim_pages(TimePoint now, TimePoint lease_until, int limit,
                                      const std::vector<std::string>& feeds) override {
        return call(write_failed, [&] { return pg_pages::claim(db_, now, lease_until, limit, feeds); });
    }
    std::optional<TimePoint> next_page_due(const std::vector<std::string>& feeds) override {
        return call(read_failed, [&] { return pg_pages::next_due(db_, feeds); });
    }
    bool record_page(const PageFetch& fetch) override {
        return call(write_failed, [&] { return pg_pages::record(db_, fetch); });
    }
    std::optional<PageDetail> page(std::int64_t article_id) override {
        return call(read_failed, [&] { return pg_pages::read(db_, article_id); });
    }

    // Reading state: postgres_reading.cpp.
    EntryPage reader_entries(const EntryFilter& filter) override {
        return call(read_failed, [&] { return pg_reading::entries(db_, filter); });
    }
    std::vector<ReadCounts> read_counts(const std::string& user) override {
        return call(read_failed, [&] { return pg_reading::counts(db_, user); });
    }
    void set_read(const std::string& user, const std::vector<std::int64_t>& entry_ids, bool read) override {
        call(write_failed, [&] { pg_reading::set_read(db_, user, entry_ids, read); });
    }
    void set_starred(const std::string& user, std::int64_t entry_id, bool starred) override {
        call(write_failed, [&] { pg_reading::set_starred(db_, user, entry_id, starred); });
    }
    void mark_feed_read(const std::string& user, const std::string& feed,
                        std::optional<TimePoint> seen_until) override {
        call(write_failed, [&] { pg_reading::mark_feed_read(db_, user, feed, seen_until); });
    }

    std::unique_ptr<Tables> tables(bool write) override;

    void sync_feeds(const std::vector<FeedSource>& feeds) override {
        call(write_failed, [&] {
            pg::Transaction transaction(db_);
            take_turn();
            db_.exec("UPDATE feeds SET configured = 0");
            const auto now =
                std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
            for (const auto& feed : feeds) upsert_feed(feed, now);
            transaction.commit();
        });
    }

    FeedState feed_state(const std::string& name) override {
        return call(read_failed, [&] {
            static const std::string sql =
                std::string("SELECT ") + state_columns +
                " FROM feeds f LEFT JOIN feed_state s ON s.feed_id = f.id WHERE f.name = $1";
            auto r = db_.exec(sql.c_str(), Params::of(name));
            if (r.rows() == 0) {
                FeedState state;
                state.name = name;
                return state;
            }
            return read_state(r, 0);
        });
    }

    std::vector<FeedState> feed_states() override {
        return call(read_failed, [&] {
            static const std::string sql =
                std::string("SELECT ") + state_columns +
                " FROM feeds f LEFT JOIN feed_state s ON s.feed_id = f.id ORDER BY f.name";
            auto r = db_.exec(sql.c_str());
            std::vector<FeedState> out;
            for (int i = 0; i < r.rows(); ++i) out.push_back(read_state(r, i));
            return out;
        });
    }

    std::vector<FeedSummary> feed_summaries(SummaryDetail detail) override {
        return call(read_failed, [&] {
            static const std::string head =
                std::string("SELECT ") + state_columns + ", f.url, f.title, f.site_link, f.configured, f.id";
            static const std::string tail =
                " FROM feeds f LEFT JOIN feed_state s ON s.feed_id = f.id ORDER BY f.name";
            // Each from an index (entries_by_feed_seen, gaps_by_feed): a lookup per feed, no scan.
            static const std::string indexed =
                " (SELECT max(first_seen) FROM entries e WHERE e.feed_id = f.id),"
                " (SELECT count(*) FROM gaps g WHERE g.feed_id = f.id AND g.detected_at >= $1),"
                " (SELECT coalesce(sum(estimated), 0) FROM gaps g WHERE g.feed_id = f.id AND g.detected_at "
                ">= $1),"
                " (SELECT max(detected_at) FROM gaps g WHERE g.feed_id = f.id)";
            static const std::string full =
                head +
                ", (SELECT count(DISTINCT article_id) FROM entries e WHERE e.feed_id = f.id),"
                " (SELECT count(*) FROM entries e WHERE e.feed_id = f.id)," +
                indexed + tail;
            // Without the counts; the indexed columns where full has them (0 stands for each count).
            static const std::string state = head + ", 0, 0," + indexed + tail;
            static const std::string listing = head + tail;
            const bool counted = detail == SummaryDetail::full;
            const bool gaps = detail != SummaryDetail::listing;
            const auto now =
                std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
            auto r = gaps ? db_.exec((counted ? full : state).c_str(),
                                     Params::of(TimePoint(now - std::chrono::days(30))))
                          : db_.exec(listing.c_str());
            std::vector<FeedSummary> out;
            const int c = state_column_count;
            for (int i = 0; i < r.rows(); ++i) {
                FeedSummary summary;
                summary.state = read_state(r, i);
                summary.name = summary.state.name;
                summary.url = r.text(i, c);
                summary.title = r.text(i, c + 1);
                summary.site_link = r.text(i, c + 2);
                summary.configured = r.integer(i, c + 3) != 0;
                summary.id = r.integer(i, c + 4);
                if (counted) {
                    summary.articles = r.integer(i, c + 5);
                    summary.entries = r.integer(i, c + 6);
                }
                if (gaps) {
                    summary.newest = r.time(i, c + 7);
                    summary.recent_gaps = r.integer(i, c + 8);
                    summary.recent_gap_items = r.integer(i, c + 9);
                    summary.last_gap = r.time(i, c + 10);
                }
                out.push_back(std::move(summary));
            }
            return out;
        });
    }

    std::vector<EntryTimes> entry_times(const std::string& feed, TimePoint since) override {
        return call(read_failed, [&] {
            auto r = db_.exec(R"sql(
SELECT e.published, e.first_seen FROM entries e JOIN feeds f ON f.id = e.feed_id
WHERE f.name = $1 AND e.first_seen >= $2 ORDER BY e.first_seen, e.id)sql",
                              Params::of(feed, since));
            std::vector<EntryTimes> out;
            for (int i = 0; i < r.rows(); ++i) out.push_back({r.time(i, 0), *r.time(i, 1)});
            return out;
        });
    }

    void record_gap(const std::string& feed, const GapRecord& gap) override {
        call(write_failed, [&] {
            pg::Transaction transaction(db_);
            auto id = feed_id(feed);
            if (!id) throw StoreError("unknown feed '" + feed + "'");
            db_.exec(
                "INSERT INTO gaps (feed_id, detected_at, seen_until, seen_again, estimated, pace_ms) "
                "VALUES ($1, $2, $3, $4, $5, $6)",
                Params::of(*id, gap.detected_at, gap.seen_until, gap.seen_again, gap.estimated,
                           static_cast<std::int64_t>(gap.pace.count())));
            transaction.commit();
        });
    }

    std::vector<GapRecord> gaps(const std::string& feed, TimePoint since) override {
        return call(read_failed, [&] {
            auto r = db_.exec(R"sql(
SELECT g.detected_at, g.seen_until, g.seen_again, g.estimated, g.pace_ms FROM gaps g JOIN feeds f ON f.id = g.feed_id
WHERE f.name = $1 AND g.detected_at >= $2 ORDER BY g.detected_at)sql",
                              Params::of(feed, since));
            std::vector<GapRecord> out;
            for (int i = 0; i < r.rows(); ++i) {
                GapRecord gap;
                gap.detected_at = *r.time(i, 0);
                gap.seen_until = *r.time(i, 1);
                gap.seen_again = *r.time(i, 2);
                gap.estimated = r.integer(i, 3);
                gap.pace = Duration{r.integer(i, 4)};
                out.push_back(gap);
            }
            return out;
        });
    }

    void set_feed_state(const FeedState& state) override {
        call(write_failed, [&] {
            pg::Transaction transaction(db_);
            auto id = feed_id(state.name);
            if (!id) throw StoreError("unknown feed '" + state.name + "'");
            write_state(*id, state, state.identity_fallback);
            transaction.commit();
        });
    }

    std::vector<PollCommit> commit_polls(std::span<const PollWrite> polls) override;
    std::vector<ArticleRow> query(const ArticleQuery& query) override;
    std::vector<ArticleRow> articles(const std::vector<std::int64_t>& ids) override;
    std::optional<ArticleDetail> article(std::int64_t id) override;

    void backup(const std::filesystem::path& destination) override {
        throw StoreError("a PostgreSQL archive is backed up by PostgreSQL: pg_dump --format=custom --file=" +
                         destination.string() + " '" + shown_ + "'");
    }

    std::vector<std::string> check() override;

    void vacuum() override {
        if (mode_ != OpenMode::read_write) throw StoreError("vacuum needs the archive open for writing");
        call("vacuum failed", [&] { db_.run("VACUUM (ANALYZE) " + archive_table_list()); });
    }

    PruneCounts purge_feed(const std::string& name) override;
    std::int64_t article_count() override {
        return call("counting articles",
                    [&] { return db_.exec("SELECT count(*) FROM articles").integer(0, 0); });
    }
    // Tables with their indexes and TOAST, every one in the archive's schema (the database may
    // hold other things: pg_database_size would count them).
    std::int64_t stored_bytes() override {
        return call(read_failed, [&] {
            return db_
                .exec(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c "
                    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'm')")
                .integer(0, 0);
        });
    }
    PruneCounts prune(int default_keep_days, TimePoint now) override;

    // Several nodes (store.hpp; docs/ARCHITECTURE.md, "Several nodes").
    // TEXT columns: PostgreSQL compresses large values itself (TOAST).
    bool packs_html() const override { return false; }
    bool shared() const override { return true; }
    std::int64_t add_node(const NodeInfo& node, TimePoint now) override;
    ClaimedWork claim_work(std::int64_t node, const WorkClaim& claim, TimePoint now, TimePoint until,
                           int limit) override;
    bool heartbeat(std::int64_t node, const std::vector<std::string>& held, const std::string& config_digest,
                   TimePoint now, TimePoint until) override;
    void remove_node(std::int64_t node) override;
    std::vector<NodeStatus> nodes(TimePoint now) override;

  private:
    std::optional<std::int64_t> feed_id(const std::string& name) { return pg_feed_id(db_, name); }

    // Inside a write transaction: waits for other nodes' writes of polls and feeds to commit
    // (pg_ingest_lock), so this one's lookups see them.
    void take_turn() {
        db_.defer("SELECT pg_advisory_xact_lock($1, $2)", Params::of(pg_lock_class, pg_ingest_lock));
    }

    void upsert_feed(const FeedSource& feed, TimePoint now) {
        const auto tags = join_lines(feed.tags);
        const std::string identity = to_string(feed.identity);
        Params params;
        params.add(feed.name).add(feed.url).add(feed.title).add(feed.category).add(tags).add(identity);
        if (feed.keep_days)
            params.add(*feed.keep_days);
        else
            params.null();
        params.add(now);
        db_.exec(R"sql(
INSERT INTO feeds (name, url, configured_title, category, tags, identity, keep_days, configured, added_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)
ON CONFLICT (name) DO UPDATE SET url = $2, configured_title = $3, category = $4, tags = $5, identity = $6,
                                 keep_days = $7, configured = 1)sql",
                 params);
    }

    void write_state(std::int64_t id, const FeedState& s, bool identity_fallback) {
        Params p;
        p.add(id).add(s.etag).add(s.last_modified).add(s.last_poll).add(s.last_success).add(s.next_poll);
        p.add(static_cast<std::int64_t>(s.last_status)).add(s.last_error).add(s.consecutive_failures);
        p.add(s.configured_url)
            .add(s.gone)
            .add(s.moved_to)
            .add(s.redirect_candidate)
            .add(s.redirect_first_seen);
        p.add(s.redirect_count).add(identity_fallback).add(s.retry_after).add(s.document_items);
        db_.defer(R"sql(
INSERT INTO feed_state (feed_id, etag, last_modified, last_poll, last_success, next_poll, last_status, last_error,
                        consecutive_failures, configured_url, gone, moved_to, redirect_candidate,
                        redirect_first_seen, redirect_count, identity_fallback, retry_after, document_items)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (feed_id) DO UPDATE SET
    etag = $2, last_modified = $3, last_poll = $4, last_success = $5, next_poll = $6, last_status = $7,
    last_error = $8, consecutive_failures = $9, configured_url = $10, gone = $11, moved_to = $12,
    redirect_candidate = $13, redirect_first_seen = $14, redirect_count = $15, identity_fallback = $16,
    retry_after = $17, document_items = $18)sql",
                  p);
    }

    void update_feed_metadata(std::int64_t id, const ParsedFeed& parsed) {
        const std::string format = parsed.format == FeedFormat::unknown ? "" : to_string(parsed.format);
        db_.defer(R"sql(
UPDATE feeds SET title = coalesce(nullif($2, ''), title), site_link = coalesce(nullif($3, ''), site_link),
                 subtitle = coalesce(nullif($4, ''), subtitle), language = coalesce(nullif($5, ''), language),
                 image = coalesce(nullif($6, ''), image), format = coalesce(nullif($7, ''), format)
WHERE id = $1)sql",
                  Params::of(id, parsed.title, parsed.link, parsed.subtitle, parsed.language, parsed.image,
                             format));
    }

    IngestCounts ingest_poll(const PollWrite& poll) {
        const char* feed_sql =
            "SELECT f.id, coalesce(s.identity_fallback, 0) FROM feeds f LEFT JOIN feed_state s ON s.feed_id "
            "= f.id "
            "WHERE f.name = $1";
        auto feed = db_.exec(feed_sql, Params::of(poll.feed.name));
        if (feed.rows() == 0) {
            upsert_feed(poll.feed, poll.now);
            feed = db_.exec(feed_sql, Params::of(poll.feed.name));
        }
        const auto id = feed.integer(0, 0);
        const bool stored = feed.integer(0, 1) != 0;
        bool fallback = stored;
        IngestCounts counts;
        if (poll.parsed != nullptr && poll.parsed->is_feed) {
            if (!poll.history) update_feed_metadata(id, *poll.parsed);
            PostgresIngest sql{db_, id};
            counts = ingest_entries(sql, poll.feed, *poll.parsed, fallback, poll.now, poll.digest);
        }
        // A page of the feed's history (PollWrite::history) writes its entries only; the guid
        // fallback it showed is the feed's for good, as on SQLite.
        if (!poll.history) {
            write_state(id, poll.state, fallback);
            // The poll is done: its feed is free for whichever node finds it due next (the next
            // poll written with it says when). Whoever's lease it was: a node whose lease ran out
            // while it fetched wrote the same due time's poll, and the feed is not due now.
            db_.defer("DELETE FROM feed_leases WHERE feed_id = $1", Params::of(id));
        } else if (fallback != stored)
            db_.defer("UPDATE feed_state SET identity_fallback = 1 WHERE feed_id = $1", Params::of(id));
        return counts;
    }

    std::vector<std::string> article_feeds(std::int64_t article_id) {
        auto r = db_.exec(
            "SELECT DISTINCT f.name FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.article_id = $1 "
            "ORDER BY f.name",
            Params::of(article_id));
        std::vector<std::string> feeds;
        for (int i = 0; i < r.rows(); ++i) feeds.push_back(r.text(i, 0));
        return feeds;
    }

    std::string shown_;
    OpenMode mode_;
    pg::Session db_;
};

// PostgreSQL's side of tables.hpp (SQLite's is tables.cpp). The HTML is plain here; the search
// vectors (`entry_search`, the pages' generated `search`) are derived from the rows and not copied;
// ids are inserted as they are and the identity sequences moved past them at the end.
class PostgresTables final : public Tables {
  public:
    // One snapshot for every table the reader reads, whatever a daemon commits meanwhile.
    PostgresTables(PostgresStore& store, pg::Session& db, bool write)
        : store_(store),
          db_(db),
          transaction_(db, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {}

    std::vector<std::string> columns(const ArchiveTable& table) override {
        return store_.call(read_failed, [&] { return columns_of(table); });
    }
    std::int64_t count(const ArchiveTable& table) override {
        return store_.call(read_failed, [&] {
            return db_.run("SELECT count(*) FROM " + identifier(table.name)).integer(0, 0);
        });
    }
    void read(const ArchiveTable& table, const std::vector<std::string>& columns,
              const std::function<void(std::span<const Value>)>& row) override {
        store_.call(read_failed, [&] { read_rows(table, columns, row); });
    }
    void write(const ArchiveTable& table, const std::vector<std::string>& columns,
               std::span<const Value> row) override {
        store_.call(write_failed, [&] { write_row(table, columns, row); });
    }
    void commit() override {
        store_.call(write_failed, [&] { finish(); });
    }

  private:
    std::vector<std::string> columns_of(const ArchiveTable& table) {
        auto r = db_.exec(R"sql(
SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position)sql",
                          Params::of(std::string(table.name)));
        std::vector<std::string> out;
        for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
        return out;
    }

    // Through a cursor, a batch at a time: a table is never held whole in memory.
    void read_rows(const ArchiveTable& table, const std::vector<std::string>& columns,
                   const std::function<void(std::span<const Value>)>& row) {
        const auto names = text::join(columns, ", ", [](const auto& column) { return identifier(column); });
        db_.run("DECLARE feedd_copy NO SCROLL CURSOR FOR SELECT " + names + " FROM " +
                identifier(table.name));
        std::vector<Value> values(columns.size());
        for (;;) {
            auto r = db_.run("FETCH 1000 FROM feedd_copy");
            if (r.rows() == 0) break;
            for (int i = 0; i < r.rows(); ++i) {
                for (int c = 0; c < static_cast<int>(columns.size()); ++c) {
                    auto& value = values[static_cast<std::size_t>(c)];
                    if (r.null(i, c))
                        value.reset();
                    else
                        value = r.text(i, c);
                }
                row(values);
            }
        }
        db_.run("CLOSE feedd_copy");
    }

    // Deferred (pipeline): rows travel in batches, not a round trip each.
    void write_row(const ArchiveTable& table, const std::vector<std::string>& columns,
                   std::span<const Value> row) {
        auto& sql = inserts_[std::string(table.name)];
        if (sql == nullptr) {
            std::string names, values;
            for (std::size_t i = 0; i < columns.size(); ++i) {
                names += (i > 0 ? ", " : "") + identifier(columns[i]);
                values += (i > 0 ? ", $" : "$") + std::to_string(i + 1);
            }
            sql = interned("INSERT INTO " + identifier(table.name) + " (" + names + ") VALUES (" + values +
                           ")");
        }
        Params params;
        for (const auto& value : row) params.add(value ? &*value : nullptr);
        db_.defer(sql, params);
    }

    void finish() {
        for (const auto& table : archive_tables) {
            auto identity = db_.exec(R"sql(
SELECT column_name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES')sql",
                                     Params::of(std::string(table.name)));
            for (int i = 0; i < identity.rows(); ++i) {
                const auto column = identity.text(i, 0);
                db_.run("SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(" + identifier(column) +
                            "), 0) + 1, false) FROM " + identifier(table.name),
                        Params::of(std::string(table.name), column));
            }
        }
        db_.run("ANALYZE " + archive_table_list());  // the planner's statistics of the new rows
        transaction_.commit();
    }

    PostgresStore& store_;
    pg::Session& db_;
    std::unordered_map<std::string, const char*> inserts_;
    pg::Transaction transaction_;  // rolled back unless commit() ends the copy
};

std::unique_ptr<Tables> PostgresStore::tables(bool write) {
    if (write && mode_ != OpenMode::read_write)
        throw StoreError("copying needs the archive open for writing");
    return call(write ? write_failed : read_failed,
                [&] { return std::make_unique<PostgresTables>(*this, db_, write); });
}

void PostgresStore::open() {
    const int latest = static_cast<int>(pg_migrations().size());
    try {
        // No lock of the writer: several nodes write one archive, each poll under the leases of
        // docs/ARCHITECTURE.md, "Several nodes".
        // Read before anything is written: a foreign database and a newer archive stay untouched.
        auto probe = db_.exec(
            "SELECT to_regclass('feedd_schema') IS NOT NULL, "
            "to_regclass('entries') IS NOT NULL OR to_regclass('feeds') IS NOT NULL");
        const bool tracked = probe.text(0, 0) == "t";
        const bool tables = probe.text(0, 1) == "t";
        if (!tracked && tables)
            throw StoreError("refusing " + shown_ +
                             ": a PostgreSQL database but not a feedd archive (left untouched)");
        auto version_of = [&] {
            return static_cast<int>(
                db_.exec("SELECT coalesce(max(version), 0) FROM feedd_schema").integer(0, 0));
        };
        int version = tracked ? version_of() : 0;
        auto newer = [&](int v) {
            return StoreError("archive " + shown_ + " has schema version " + std::to_string(v) +
                              ", newer than this feedd understands (" + std::to_string(latest) +
                              "): upgrade feedd");
        };
        if (version > latest) throw newer(version);
        if (mode_ == OpenMode::read_only) {
            if (version == 0)
                throw StoreError("no archive at " + shown_ + " (the daemon creates it on its first run)");
            if (version < latest)
                throw StoreError("archive " + shown_ + " has the older schema version " +
                                 std::to_string(version) +
                                 ": open it once read-write (e.g. start the daemon) to upgrade it");
            db_.keep("SET default_transaction_read_only = on");
            return;
        }
        // Each step in its own transaction, under a transaction-level advisory lock: a second feedd
        // starting at the same time waits, then finds the steps done.
        for (;;) {
            pg::Transaction transaction(db_);
            db_.exec("SELECT pg_advisory_xact_lock($1, $2)", Params::of(pg_lock_class, pg_migration_lock));
            db_.command(
                "CREATE TABLE IF NOT EXISTS feedd_schema (version integer PRIMARY KEY, "
                "applied_at timestamptz NOT NULL DEFAULT now())");
            version = version_of();
            if (version > latest) throw newer(version);
            if (version == latest) {
                transaction.commit();
                break;
            }
            const auto& step = pg_migrations()[static_cast<std::size_t>(version)];
            db_.run(std::string(step.sql));
            if (step.code != nullptr) step.code(db_);
            db_.exec("INSERT INTO feedd_schema (version) VALUES ($1)", Params::of(version + 1));
            transaction.commit();
        }
    } catch (const pg::Error& e) {
        throw StoreError("cannot open archive " + shown_ + ": " + e.what());
    }
}

std::vector<PollCommit> PostgresStore::commit_polls(std::span<const PollWrite> polls) {
    std::vector<PollCommit> results(polls.size());
    auto write_together = [&](std::size_t first, std::size_t count) {
        pg::Transaction transaction(db_);
        take_turn();
        for (std::size_t i = first; i < first + count; ++i) results[i].counts = ingest_poll(polls[i]);
        transaction.commit();
    };
    commit_together_else_each<pg::Error>(results, write_together,
                                         [this](const pg::Error& e) { return failure(write_failed, e); });
    return results;
}

std::vector<ArticleRow> PostgresStore::query(const ArticleQuery& q) {
    return call(read_failed, [&] {
        std::vector<std::int64_t> feed_ids;
        for (const auto& name : q.feeds) {
            auto id = feed_id(name);
            if (!id) throw QueryError("unknown feed '" + name + "'");
            feed_ids.push_back(*id);
        }
        enum class Kind { none, words, substring } kind = Kind::none;
        std::string needle;
        if (!q.search.empty()) {
            if (has_cjk(q.search)) {
                // Scripts without spaces: the search as a substring (quotes are syntax, not text).
                kind = Kind::substring;
                for (char c : q.search)
                    if (c != '"') needle += c;
                needle = collapse_space(needle);
            } else {
                kind = Kind::words;
                needle = tsquery_text(q.search);
            }
        }

        // Ranking every match of a common word is what makes a search slow (ts_rank reads each
        // match's tsvector), so, as on SQLite, a page of results ranks the newest `newest_ranked`
        // matching entries (ids grow with time); a page left short (filters) when there were more
        // matches ranks every match.
        constexpr int newest_ranked = 2000;
        constexpr int ranked_column = 12;  // how many matches the statement ranked (`AS ranked`)
        const bool may_bound = kind == Kind::words && q.limit > 0 && !q.after_id;
        // The newest 2 000 matches come from walking the ids down from the newest, each entry's
        // tsvector read (from TOAST) and checked, or from the GIN index's list of the entries holding
        // the words, sorted by id. For words in H of the N entries the walk reads 2 000 N / H vectors
        // (32 000 for a word in one entry of sixteen: 230 ms at 200 000 articles) where the list
        // visits H rows of `entry_search`, about 50 bytes each, and reads no vector (the index
        // decides words): 6-16 ms for those 12 000, a tenth of a vector's read or less per entry. A
        // phrase (or a column filter) needs each candidate's vector either way, and the planner
        // expects as many matches as entries hold its words: when the phrase is in a share p of
        // them, the walk reads 2 000 N / (p H) vectors and the list H (a phrase in 76 of the 11 000
        // entries holding its words: 1.4-1.8 s walked, 0.2 s listed). Both give the list when
        // H * H <= 10 * 2 000 N (the list's row a tenth of a vector; p = 1/10, the benchmark's phrases
        // match 0.4 % to 30 % of the entries holding their words); H is the planner's estimate
        // (EXPLAIN), N the table's. The walk stays for the words in most entries.
        //
        // Without a phrase, both give way to a window when the archive is large: the index's list
        // of the words AND the newest ids (`entry_id > bound`, a bitmap of each index), sized for
        // twice the 2 000 the estimate expects there (bound = newest id - 2 * 2 000 N / H). Only
        // the window's rows are read, and only those that hold the words; when the window holds
        // 2 000 matches they are the newest 2 000, else the search runs again without it. At
        // 2 000 000 articles: a word in 4 % of the entries 151-442 ms listed, 25-30 ms windowed; in
        // 14 %, 64-85 ms walked, 32-40 ms windowed. A phrase's candidates would each need their
        // vector read to find how few match, so phrases keep the list or the walk.
        struct Estimate {
            double holding = 0, entries = 0;
            std::int64_t newest = 0;
            bool phrase = false;
        };
        auto estimate = [&] {
            Params params;
            params.add(needle);
            std::string plan;
            try {
                plan = db_.run(
                              "EXPLAIN (FORMAT JSON) SELECT entry_id FROM entry_search WHERE search @@ "
                              "to_tsquery('feedd_search'::regconfig, $1)",
                              params)
                           .text(0, 0);
            } catch (const pg::Error& e) {
                if (is_search_error(e)) throw QueryError("bad search '" + q.search + "': " + e.what());
                throw;
            }
            const std::string key = "\"Plan Rows\": ";
            const auto at = plan.find(key);
            if (at == std::string::npos) return std::optional<Estimate>();
            Estimate e;
            e.holding = std::strtod(plan.c_str() + at + key.size(), nullptr);
            // A phrase shows as `<->` (or `<N>`) in the query the server reads: a quoted phrase, or
            // a word its parser splits ("foo-bar").
            auto table = db_.exec(
                "SELECT reltuples, (SELECT coalesce(max(entry_id), 0) FROM entry_search), "
                "strpos(to_tsquery('feedd_search'::regconfig, $1)::text, '<') > 0 FROM pg_class "
                "WHERE oid = 'entry_search'::regclass",
                params);
            e.entries = table.real(0, 0);  // -1 before the table's first ANALYZE
            e.newest = table.integer(0, 1);
            e.phrase = table.text(0, 2) == "t";
            return std::optional<Estimate>(e);
        };
        const auto estimated = may_bound ? estimate() : std::nullopt;
        const bool fence = estimated && estimated->holding * estimated->holding <=
                                            10.0 * newest_ranked * std::max(estimated->entries, 1.0);
        // No window without statistics: the estimates would be the planner's defaults.
        std::optional<std::int64_t> window;  // the lowest id not in it
        if (estimated && estimated->entries > 0 && estimated->holding >= 1 && !estimated->phrase) {
            const double span = 2.0 * newest_ranked * estimated->entries / estimated->holding;
            if (span < static_cast<double>(estimated->newest))
                window = estimated->newest - static_cast<std::int64_t>(span);
        }
        auto page = [&](bool bounded, std::optional<std::int64_t> below = std::nullopt) {
            // The statement's shape follows the filters given; every value is a parameter.
            Params params;
            int n = 0;
            auto next = [&n] { return "$" + std::to_string(++n); };
            std::string sql = "WITH ";
            if (kind == Kind::words) {
                const auto query = next();
                params.add(needle);
                // The tsquery as a constant of the statement (not a joined function): the planner sees
                // the words and weighs the GIN index against their frequency.
                const auto tsquery = "to_tsquery('feedd_search'::regconfig, " + query + ")";
                // The entries to rank (the final statement counts them too); ranked after the cut,
                // not before it.
                // The vectors are in `entry_search` (PostgreSQL schema v9), not in the entries' rows.
                const auto newest =
                    bounded ? " ORDER BY entry_id DESC LIMIT " + std::to_string(newest_ranked) : "";
                if (below) {
                    // The window: a bitmap of the words' list AND one of the newest ids (the query
                    // runs with index scans off, so that the ids are not walked with each vector
                    // read); ordered and cut as the list's rows.
                    const auto bound = next();
                    params.add(*below);
                    sql +=
                        "matches AS MATERIALIZED (SELECT entry_id AS id, article_id, search FROM (SELECT "
                        "entry_id, article_id, search FROM entry_search WHERE search @@ " +
                        tsquery + " AND entry_id > " + bound + "::bigint OFFSET 0) c" + newest + "), ";
                } else if (fence && bounded) {
                    // The index's list (a phrase's candidates each checked), behind OFFSET 0 so that the
                    // planner cannot turn it back into the walk. Its rows are ids and a pointer to the
                    // vector: sorted as they are (reading the newest 2 000 again by id cost more).
                    sql +=
                        "matches AS MATERIALIZED (SELECT entry_id AS id, article_id, search FROM (SELECT "
                        "entry_id, article_id, search FROM entry_search WHERE search @@ " +
                        tsquery + " OFFSET 0) c" + newest + "), ";
                } else {
                    sql +=
                        "matches AS MATERIALIZED (SELECT entry_id AS id, article_id, search FROM "
                        "entry_search "
                        "WHERE search @@ " +
                        tsquery + newest + "), ";
                }
                // An article's archived page (full text) is one more version of it to find: its hit
                // counts for the entry the article shows.
                sql += "hits AS (SELECT id AS entry_id, article_id, ts_rank(search, " + tsquery +
                       ") AS score FROM matches UNION ALL SELECT "
                       "a.fullest_entry, p.article_id, ts_rank(p.search, " +
                       tsquery + ") FROM pages p JOIN articles a ON a.id = p.article_id WHERE p.search @@ " +
                       tsquery + "), ";
            } else if (kind == Kind::substring) {
                const auto pattern = next();
                params.add(contains_pattern(needle));
                // Pages' CJK text too, through their own trigram index (pages_cjk).
                sql +=
                    "hits AS (SELECT e.id AS entry_id, e.article_id, 0::real AS score FROM entries e "
                    "WHERE e.cjk <> '' AND e.cjk LIKE " +
                    pattern +
                    " UNION ALL SELECT a.fullest_entry, p.article_id, 0::real FROM pages p JOIN articles a "
                    "ON "
                    "a.id = p.article_id WHERE p.cjk <> '' AND p.cjk LIKE " +
                    pattern + "), ";
            }
            // The page: its articles, their hit entries and scores, filtered, ordered and cut before
            // anything else of the rows is read.
            if (kind != Kind::none) {
                // Each article ranks by its best-matching entry.
                sql +=
                    "best AS (SELECT DISTINCT ON (article_id) article_id, entry_id, score FROM hits "
                    "ORDER BY article_id, score DESC, entry_id), ";
                // Without filters on the articles, the page is among the best `limit` scores and those
                // tied with the last: only they are looked up in `articles` for their times (each of the
                // 2 000 ranked, a tenth of a median search's time at 200 000 articles).
                const bool filtered =
                    !feed_ids.empty() || !q.category.empty() || q.since || q.until || q.after_id;
                if (kind == Kind::words && q.limit > 0 && !filtered) {
                    sql += "top AS (SELECT * FROM best ORDER BY score DESC FETCH FIRST (" + next() +
                           "::bigint) ROWS WITH TIES), ";
                    params.add(static_cast<std::int64_t>(q.limit));
                } else {
                    sql += "top AS (SELECT * FROM best), ";
                }
                sql +=
                    "page AS (SELECT a.id, top.entry_id AS hit, top.score, a.sort_time FROM top "
                    "JOIN articles a ON a.id = top.article_id WHERE true";
            } else {
                sql +=
                    "page AS (SELECT a.id, NULL::bigint AS hit, 0::real AS score, a.sort_time FROM articles "
                    "a "
                    "WHERE true";
            }
            std::string id_list;
            if (!feed_ids.empty()) {
                id_list = "{";
                for (std::size_t i = 0; i < feed_ids.size(); ++i)
                    id_list += (i ? "," : "") + std::to_string(feed_ids[i]);
                id_list += "}";
                sql += " AND EXISTS (SELECT 1 FROM entries x WHERE x.article_id = a.id AND x.feed_id = ANY(" +
                       next() + "::bigint[]))";
                params.add(id_list);
            }
            if (!q.category.empty()) {
                const auto c = next() + "::text";
                params.add(q.category);
                sql +=
                    " AND EXISTS (SELECT 1 FROM entries x JOIN feeds f ON f.id = x.feed_id WHERE "
                    "x.article_id = "
                    "a.id"
                    " AND (f.category = " +
                    c + " OR left(f.category, length(" + c + ") + 1) = " + c + " || '/'" +
                    " OR strpos(f.tags, E'\\n' || " + c + " || E'\\n') > 0" +
                    " OR strpos(x.categories, E'\\n' || " + c + " || E'\\n') > 0))";
            }
            if (q.since) {
                sql += " AND a.sort_time >= " + next() + "::bigint";
                params.add(*q.since);
            }
            if (q.until) {
                sql += " AND a.sort_time < " + next() + "::bigint";
                params.add(*q.until);
            }
            if (q.after_id) {
                sql += " AND a.id > " + next() + "::bigint";
                params.add(*q.after_id);
            }
            // The page's order, of its columns (`page`'s output, then `p`'s).
            auto order = [&](const std::string& of) {
                return q.after_id           ? of + "id ASC"
                       : kind != Kind::none ? of + "score DESC, " + of + "sort_time DESC, " + of + "id DESC"
                                            : of + "sort_time DESC, " + of + "id DESC";
            };
            sql += " ORDER BY " + order("");
            if (q.limit > 0) {
                sql += " LIMIT " + next() + "::bigint";
                params.add(static_cast<std::int64_t>(q.limit));
            }
            sql += ") ";
            // The page's rows with their feeds and snippets, for the page's rows only.
            std::string snippet = "''";
            if (kind == Kind::words)
                snippet =
                    "ts_headline('feedd_search'::regconfig, h.title || E'\\n' || h.text, "
                    "to_tsquery('feedd_search'::regconfig, $1), "
                    "'StartSel=[, StopSel=], MaxWords=16, MinWords=8, ShortWord=0, HighlightAll=false, "
                    "MaxFragments=1, FragmentDelimiter=\u2026')";
            else if (kind == Kind::substring)
                snippet = "h.cjk";
            sql += std::string("SELECT ") + row_columns +
                   ", p.hit, (SELECT string_agg(DISTINCT f.name, E'\\n' ORDER BY f.name) FROM "
                   "entries x JOIN feeds f ON f.id = x.feed_id WHERE x.article_id = p.id), " +
                   snippet + ", " +
                   (kind == Kind::words ? "(SELECT count(*) FROM matches)" : std::string("0")) +
                   " AS ranked FROM page p JOIN articles a ON a.id = p.id JOIN entries e ON e.id = "
                   "a.fullest_entry LEFT JOIN entries h ON h.id = p.hit ORDER BY " +
                   order("p.");

            try {
                return db_.run(sql, params);
            } catch (const pg::Error& e) {
                if (kind == Kind::words && is_search_error(e))
                    throw QueryError("bad search '" + q.search + "': " + e.what());
                throw;
            }
        };
        // The planner's settings for one statement, reset after it (a connection that is gone has
        // lost them anyway).
        auto planned_with = [&](std::initializer_list<const char*> settings, auto&& run) {
            struct Reset {
                pg::Session& db;
                std::initializer_list<const char*> settings;
                ~Reset() {
                    try {
                        for (const char* setting : settings) db.run("RESET " + std::string(setting));
                    } catch (const pg::Error&) {
                    }
                }
            } reset{db_, settings};
            for (const char* setting : settings) db_.run("SET " + std::string(setting) + " = off");
            return run();
        };
        Result r = [&] {
            if (window) {
                // Index scans off: the planner would walk the window's ids and read each vector
                // (it does not count TOAST reads), where the bitmaps read none to decide.
                auto windowed =
                    planned_with({"enable_seqscan", "enable_indexscan"}, [&] { return page(true, window); });
                if (windowed.rows() > 0 && windowed.integer(0, ranked_column) >= newest_ranked)
                    return windowed;
            }
            if (!fence) return page(may_bound);
            // Nor a sequential scan instead of the list: the planner does not count reading each
            // row's tsvector from TOAST, and on a narrow heap (the vectors in TOAST) it scanned all
            // 200 000 entries for a phrase whose words are in 25 000 (1.4 s).
            return planned_with({"enable_seqscan"}, [&] { return page(may_bound); });
        }();
        // Short, and there were more matches than ranked (an empty page does not say): all of them.
        if (may_bound && r.rows() < q.limit &&
            (r.rows() == 0 || r.integer(0, ranked_column) >= newest_ranked))
            r = page(false);
        std::vector<ArticleRow> rows;
        for (int i = 0; i < r.rows(); ++i) {
            rows.push_back(read_row(r, i));
            auto& row = rows.back();
            row.feeds = split_lines(r.text(i, 10));  // names hold no line breaks (config.cpp)
            if (kind == Kind::words)
                row.snippet = collapse_space(r.text(i, 11));
            else if (kind == Kind::substring)
                row.snippet = substring_snippet(collapse_space(r.text(i, 11)), needle);
        }
        return rows;
    });
}

std::vector<ArticleRow> PostgresStore::articles(const std::vector<std::int64_t>& ids) {
    return call(read_failed, [&] {
        static const std::string sql =
            std::string("SELECT ") + row_columns +
            " FROM articles a JOIN entries e ON e.id = a.fullest_entry WHERE a.id = $1";
        std::vector<ArticleRow> rows;
        for (auto id : ids) {
            auto r = db_.exec(sql.c_str(), Params::of(id));
            if (r.rows() == 0) continue;
            rows.push_back(read_row(r, 0));
            rows.back().feeds = article_feeds(id);
        }
        return rows;
    });
}

std::optional<ArticleDetail> PostgresStore::article(std::int64_t id) {
    return call(read_failed, [&]() -> std::optional<ArticleDetail> {
        auto a = db_.exec(
            "SELECT coalesce(canonical_link, ''), first_seen, sort_time, fullest_entry FROM articles WHERE "
            "id = $1",
            Params::of(id));
        if (a.rows() == 0) return std::nullopt;
        ArticleDetail detail;
        detail.id = id;
        detail.canonical_link = a.text(0, 0);
        detail.first_seen = *a.time(0, 1);
        detail.date = *a.time(0, 2);
        detail.fullest_entry = a.integer(0, 3);
        detail.feeds = article_feeds(id);
        auto e = db_.exec(R"sql(
SELECT e.id, f.name, e.guid, e.identity, e.title, e.link, e.published, e.updated, e.author, e.summary, e.content,
       e.categories, e.image, e.text, e.first_seen, e.changed_at
FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.article_id = $1 ORDER BY e.id)sql",
                          Params::of(id));
        for (int i = 0; i < e.rows(); ++i) {
            EntryDetail entry;
            entry.id = e.integer(i, 0);
            entry.feed = e.text(i, 1);
            entry.guid = e.text(i, 2);
            entry.identity = e.text(i, 3);
            entry.entry.id = entry.guid;
            entry.entry.title = e.text(i, 4);
            entry.entry.link = e.text(i, 5);
            entry.entry.published = e.time(i, 6);
            entry.entry.updated = e.time(i, 7);
            entry.entry.author = e.text(i, 8);
            entry.entry.summary = e.text(i, 9);
            entry.entry.content = e.text(i, 10);
            entry.entry.categories = split_lines(e.text(i, 11));
            entry.entry.image = e.text(i, 12);
            entry.text = e.text(i, 13);
            entry.first_seen = *e.time(i, 14);
            entry.changed_at = e.time(i, 15);
            entry.entry.enclosures = pg_enclosures(db_, entry.id);
            auto revisions = db_.exec(
                "SELECT recorded_at, title, summary, content FROM revisions WHERE entry_id = $1 ORDER BY id",
                Params::of(entry.id));
            for (int k = 0; k < revisions.rows(); ++k) {
                Revision revision{*revisions.time(k, 0), revisions.text(k, 1), revisions.text(k, 2),
                                  revisions.text(k, 3), ""};
                revision.text = html_to_text(revision.content.empty() ? revision.summary : revision.content);
                entry.revisions.push_back(std::move(revision));
            }
            detail.entries.push_back(std::move(entry));
        }
        return detail;
    });
}

std::vector<std::string> PostgresStore::check() {
    std::vector<std::string> problems;
    try {
        auto orphans = db_.exec(
                              "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM entries e "
                              "WHERE e.article_id = a.id) "
                              "OR NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = a.fullest_entry AND "
                              "e.article_id = a.id)")
                           .integer(0, 0);
        if (orphans > 0) problems.push_back(std::to_string(orphans) + " article(s) without their entries");
        // Every entry has its vector row (entry_search, written by a trigger) of its own article; one
        // missing or that differs from the expression means a damaged row.
        auto stale = db_.exec(
                            "SELECT count(*) FROM entries e LEFT JOIN entry_search s ON s.entry_id = e.id "
                            "WHERE s.search IS DISTINCT FROM feedd_entry_vector(e.title, e.author, e.text) "
                            "OR s.article_id IS DISTINCT FROM e.article_id")
                         .integer(0, 0);
        if (stale > 0)
            problems.push_back("search index: " + std::to_string(stale) + " entr(ies) indexed stale");
        if (const auto pages = db_.exec(pages_sql::stale_cjk).integer(0, 0); pages > 0)
            problems.push_back("search index: " + std::to_string(pages) + " page(s) whose CJK text is stale");
        // B-tree structure, when the amcheck extension is installed (CREATE EXTENSION amcheck).
        if (db_.exec("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'").rows() > 0) {
            std::vector<std::string_view> table_names;
            for (const auto& table : archive_tables) table_names.emplace_back(table.name);
            auto indexes = db_.exec(R"sql(
SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
JOIN pg_class t ON t.oid = i.indrelid
WHERE am.amname = 'btree' AND t.relname = ANY($1::text[])
  AND t.relnamespace = current_schema()::regnamespace ORDER BY 1)sql",
                                    Params::of(pg::array_literal(table_names)));
            for (int i = 0; i < indexes.rows(); ++i) {
                const auto name = indexes.text(i, 0);
                try {
                    db_.exec("SELECT bt_index_check(to_regclass($1), true)", Params::of(name));
                } catch (const pg::Error& e) {
                    problems.push_back("index " + name + ": " + e.what());
                }
            }
        }
    } catch (const pg::Error& e) {
        problems.push_back(std::string("integrity: ") + e.what());
    }
    return problems;
}

PruneCounts PostgresStore::purge_feed(const std::string& name) {
    if (mode_ != OpenMode::read_write) throw StoreError("purge needs the archive open for writing");
    return call("purging feed '" + name + "'", [&] {
        pg::Transaction transaction(db_);
        const auto id = feed_id(name);
        if (!id) throw QueryError("no feed named '" + name + "' in the archive");
        PruneCounts counts;
        counts.entries = db_.exec("DELETE FROM entries WHERE feed_id = $1", Params::of(*id)).affected();
        counts.articles = db_.exec(
                                 "DELETE FROM articles WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE "
                                 "e.article_id = articles.id)")
                              .affected();
        db_.exec(R"sql(
UPDATE articles SET fullest_entry = (SELECT e.id FROM entries e WHERE e.article_id = articles.id
                                     ORDER BY length(e.text) DESC, e.id LIMIT 1)
WHERE fullest_entry IS NULL OR NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = articles.fullest_entry))sql");
        db_.exec("DELETE FROM feeds WHERE id = $1", Params::of(*id));
        transaction.commit();
        return counts;
    });
}

PruneCounts PostgresStore::prune(int default_keep_days, TimePoint now) {
    return call("pruning failed", [&] {
        pg::Transaction transaction(db_);
        // One node prunes at a time; the others find the lock taken and leave it to that one.
        if (db_.exec("SELECT pg_try_advisory_xact_lock($1, $2)", Params::of(pg_lock_class, pg_retention_lock))
                .text(0, 0) != "t") {
            transaction.commit();
            return PruneCounts{};
        }
        db_.command("CREATE TEMP TABLE IF NOT EXISTS prune_ids (id bigint PRIMARY KEY)");
        db_.command("DELETE FROM prune_ids");
        // Pruned when every entry is older than its own feed's keep_days (0 keeps forever).
        db_.exec(R"sql(
INSERT INTO prune_ids (id)
SELECT a.id FROM articles a WHERE NOT EXISTS (
    SELECT 1 FROM entries e JOIN feeds f ON f.id = e.feed_id
    WHERE e.article_id = a.id
      AND (coalesce(f.keep_days, $1::integer) <= 0
           OR e.first_seen >= $2::bigint - coalesce(f.keep_days, $1::integer)::bigint * 86400)))sql",
                 Params::of(default_keep_days, now));
        PruneCounts counts;
        counts.articles = db_.exec("SELECT count(*) FROM prune_ids").integer(0, 0);
        if (counts.articles == 0) {
            transaction.commit();
            return counts;
        }
        counts.entries =
            db_.exec("SELECT count(*) FROM entries WHERE article_id IN (SELECT id FROM prune_ids)")
                .integer(0, 0);
        // Every key the entry could be found again by: its own, its guid, its specific link.
        db_.exec(R"sql(
INSERT INTO tombstones (feed_id, identity, pruned_at)
SELECT feed_id, identity, $1::bigint FROM entries WHERE article_id IN (SELECT id FROM prune_ids)
UNION SELECT feed_id, 'guid:' || guid, $1::bigint FROM entries WHERE guid <> '' AND article_id IN (SELECT id FROM prune_ids)
UNION SELECT e.feed_id, 'link:' || e.canonical_link, $1::bigint FROM entries e JOIN articles a ON a.id = e.article_id
      WHERE a.canonical_link IS NOT NULL AND e.canonical_link <> '' AND a.id IN (SELECT id FROM prune_ids)
ON CONFLICT DO NOTHING)sql",
                 Params::of(now));
        db_.exec(R"sql(
INSERT INTO tombstone_links (canonical_link, pruned_at)
SELECT DISTINCT canonical_link, $1::bigint FROM articles WHERE canonical_link IS NOT NULL AND id IN (SELECT id FROM prune_ids)
ON CONFLICT DO NOTHING)sql",
                 Params::of(now));
        db_.command("DELETE FROM articles WHERE id IN (SELECT id FROM prune_ids)");
        db_.command("DELETE FROM prune_ids");
        transaction.commit();
        return counts;
    });
}

std::int64_t PostgresStore::add_node(const NodeInfo& node, TimePoint now) {
    return call(write_failed, [&] {
        const auto lease = std::chrono::duration_cast<std::chrono::seconds>(node.lease).count();
        return db_
            .exec(R"sql(
INSERT INTO nodes (host, pid, version, config_digest, lease_seconds, started, heartbeat)
VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id)sql",
                  Params::of(node.host, node.pid, node.version, node.config_digest,
                             static_cast<std::int64_t>(lease), now))
            .integer(0, 0);
    });
}

namespace {

// The domains and the not_before of `holds`, as two arrays for unnest.
std::pair<std::string, std::string> holds_arrays(const std::vector<HostHold>& holds) {
    std::vector<std::string> domains, times;
    for (const auto& hold : holds) {
        domains.push_back(hold.domain);
        times.push_back(std::to_string(hold.not_before_ms));
    }
    return {pg::array_literal(domains), pg::array_literal(times)};
}

}  // namespace

ClaimedWork PostgresStore::claim_work(std::int64_t node, const WorkClaim& claim, TimePoint now,
                                      TimePoint until, int limit) {
    return call(write_failed, [&] {
        ClaimedWork out;
        pg::Transaction transaction(db_);
        // Hosts given back keep their not_before for the next node; the gates of hosts still held
        // are recorded, so a node that dies leaves them (within a claim, a second) for the next.
        if (!claim.release.empty() || !claim.holding.empty()) {
            std::vector<HostHold> all = claim.holding;
            std::vector<std::string> keep(claim.holding.size(), "t");
            all.insert(all.end(), claim.release.begin(), claim.release.end());
            keep.resize(all.size(), "f");
            const auto [domains, times] = holds_arrays(all);
            db_.defer(R"sql(
UPDATE hosts h SET not_before = greatest(h.not_before, v.not_before),
                   node_id = CASE WHEN v.keep THEN h.node_id END
FROM unnest($2::text[], $3::bigint[], $4::boolean[]) AS v(domain, not_before, keep)
WHERE h.domain = v.domain AND h.node_id = $1)sql",
                      Params::of(node, domains, times, pg::array_literal(keep)));
        }
        // The due feeds no live lease holds, earliest first, whose host is this node's or free (and
        // not paused); a feed row another node is claiming is skipped, not waited for. The upserts
        // judge the latest committed rows (what the first look's snapshot saw may be stale): a
        // host another node took meanwhile is not taken, nor are its feeds.
        auto claimed = db_.exec(R"sql(
WITH due AS (
    SELECT f.id, c.domain FROM unnest($1::text[], $6::text[]) AS c(name, domain)
    JOIN feeds f ON f.name = c.name
    LEFT JOIN feed_state s ON s.feed_id = f.id
    LEFT JOIN feed_leases l ON l.feed_id = f.id
    LEFT JOIN hosts h ON h.domain = c.domain
    WHERE coalesce(s.next_poll, 0) <= $2
      AND (l.feed_id IS NULL OR l.until < $2)
      AND (h.domain IS NULL OR (h.node_id = $3 AND h.until >= $2)
           OR ((h.node_id IS NULL OR h.until < $2) AND h.not_before <= $7::bigint + 1000))
    ORDER BY s.next_poll NULLS FIRST, f.id
    LIMIT $5
    FOR UPDATE OF f SKIP LOCKED),
took AS (
    INSERT INTO hosts (domain, node_id, until) SELECT DISTINCT domain, $3::bigint, $4::bigint FROM due
    WHERE domain IS NOT NULL
    ON CONFLICT (domain) DO UPDATE SET node_id = excluded.node_id, until = excluded.until
        WHERE hosts.node_id = excluded.node_id OR hosts.node_id IS NULL OR hosts.until < $2
    RETURNING domain),
leased AS (
    INSERT INTO feed_leases (feed_id, node_id, until)
    SELECT id, $3, $4 FROM due WHERE domain IS NULL OR domain IN (SELECT domain FROM took)
    ON CONFLICT (feed_id) DO UPDATE SET node_id = excluded.node_id, until = excluded.until
        WHERE feed_leases.until < $2
    RETURNING feed_id)
-- One row even when nothing was leased: how many due feeds the claim found tells the node whether
-- to claim again at once (another node took them first) or wait for the schedule.
SELECT l.feed_id, d.found FROM (SELECT count(*) AS found FROM due) d LEFT JOIN leased l ON true)sql",
                                Params::of(pg::array_literal(claim.feeds), now, node, until, limit,
                                           pg::array_literal(claim.hosts), claim.now_ms));
        std::vector<std::string> ids;
        for (int i = 0; i < claimed.rows(); ++i) {
            out.due_found = static_cast<int>(claimed.integer(i, 1));
            if (!claimed.null(i, 0)) ids.push_back(claimed.text(i, 0));
        }
        if (!ids.empty()) {
            const auto id_array = pg::array_literal(ids);
            // A new snapshot: a node whose poll of one of these committed after the claim's snapshot
            // was taken moved its next poll. Such a feed is not due any more: its lease goes back.
            db_.defer(R"sql(
DELETE FROM feed_leases l USING feed_state s
WHERE l.feed_id = ANY($1::bigint[]) AND l.node_id = $2 AND s.feed_id = l.feed_id AND s.next_poll > $3)sql",
                      Params::of(id_array, node, now));
            static const std::string sql = std::string("SELECT ") + state_columns +
                                           " FROM feed_leases l JOIN feeds f ON f.id = l.feed_id"
                                           " LEFT JOIN feed_state s ON s.feed_id = f.id"
                                           " WHERE l.feed_id = ANY($1::bigint[]) AND l.node_id = $2"
                                           " ORDER BY s.next_poll NULLS FIRST, f.id";
            auto r = db_.exec(sql.c_str(), Params::of(id_array, node));
            for (int i = 0; i < r.rows(); ++i) out.feeds.push_back(read_state(r, i));
        }
        if (!claim.want.empty()) {
            db_.defer(R"sql(
INSERT INTO hosts (domain, node_id, until) SELECT DISTINCT d, $2::bigint, $3::bigint FROM unnest($1::text[]) AS d
ON CONFLICT (domain) DO UPDATE SET node_id = excluded.node_id, until = excluded.until
    WHERE hosts.node_id = excluded.node_id
       OR ((hosts.node_id IS NULL OR hosts.until < $4) AND hosts.not_before <= $5::bigint + 1000))sql",
                      Params::of(pg::array_literal(claim.want), node, until, now, claim.now_ms));
        }
        if (!claim.hosts.empty() || !claim.want.empty() || !claim.holding.empty()) {
            auto held = db_.exec("SELECT domain, not_before FROM hosts WHERE node_id = $1 AND until >= $2",
                                 Params::of(node, now));
            for (int i = 0; i < held.rows(); ++i) out.hosts.push_back({held.text(i, 0), held.integer(i, 1)});
        }
        transaction.commit();
        return out;
    });
}

bool PostgresStore::heartbeat(std::int64_t node, const std::vector<std::string>& held,
                              const std::string& config_digest, TimePoint now, TimePoint until) {
    return call(write_failed, [&] {
        pg::Transaction transaction(db_);
        auto alive = db_.exec("UPDATE nodes SET heartbeat = $2, config_digest = $3 WHERE id = $1",
                              Params::of(node, now, config_digest));
        if (alive.affected() == 0) {
            transaction.commit();
            return false;
        }
        const auto list = pg::array_literal(held);
        // Only leases still live are renewed: one that ran out may be another node's by now.
        db_.defer(R"sql(
UPDATE feed_leases l SET until = $3 FROM feeds f
WHERE l.node_id = $1 AND f.id = l.feed_id AND f.name = ANY($2::text[]) AND l.until >= $4)sql",
                  Params::of(node, list, until, now));
        db_.defer(R"sql(
DELETE FROM feed_leases l USING feeds f
WHERE l.node_id = $1 AND f.id = l.feed_id AND NOT f.name = ANY($2::text[]))sql",
                  Params::of(node, list));
        db_.defer("UPDATE hosts SET until = $2 WHERE node_id = $1 AND until >= $3",
                  Params::of(node, until, now));
        // A node silent for a day (or ten leases, when longer) is gone for good: `feedd status`
        // has reported it since its lease ran out; its row would otherwise stay for ever. Its
        // leases ran out long ago (the cascade removes them; its hosts stay, free).
        db_.defer("DELETE FROM nodes WHERE heartbeat < $1::bigint - greatest(86400, 10 * lease_seconds)",
                  Params::of(now));
        transaction.commit();
        return true;
    });
}

void PostgresStore::remove_node(std::int64_t node) {
    call(write_failed, [&] {
        // Its leases go with it (ON DELETE CASCADE).
        db_.exec("DELETE FROM nodes WHERE id = $1", Params::of(node));
    });
}

std::vector<NodeStatus> PostgresStore::nodes(TimePoint now) {
    return call(read_failed, [&] {
        auto r = db_.exec(R"sql(
SELECT n.id, n.host, n.pid, n.version, n.config_digest, n.lease_seconds, n.started, n.heartbeat,
       (SELECT count(*) FROM feed_leases l WHERE l.node_id = n.id AND l.until >= $1),
       (SELECT count(*) FROM feed_leases l WHERE l.node_id = n.id)
FROM nodes n ORDER BY n.id)sql",
                          Params::of(now));
        std::vector<NodeStatus> out;
        for (int i = 0; i < r.rows(); ++i) {
            NodeStatus status;
            status.id = r.integer(i, 0);
            status.node.host = r.text(i, 1);
            status.node.pid = r.integer(i, 2);
            status.node.version = r.text(i, 3);
            status.node.config_digest = r.text(i, 4);
            status.node.lease = std::chrono::seconds(r.integer(i, 5));
            status.started = *r.time(i, 6);
            status.heartbeat = *r.time(i, 7);
            status.feeds_held = r.integer(i, 8);
            status.leases = r.integer(i, 9);
            out.push_back(std::move(status));
        }
        return out;
    });
}

}  // namespace

std::unique_ptr<Backend> open_postgres(const std::string& uri, const std::string& password, OpenMode mode) {
    std::unique_ptr<PostgresStore> store;
    try {
        store = std::make_unique<PostgresStore>(uri, password, mode);
    } catch (const pg::Error& e) {
        throw StoreError(e.what());
    }
    store->open();
    return store;
}

bool postgres_locked(const std::string& uri, const std::string& password) {
    // Held by a running daemon: some node's heartbeat is younger than its lease.
    try {
        pg::Session session(uri, shown_location(uri), password);
        if (session.exec("SELECT to_regclass('nodes') IS NOT NULL").text(0, 0) != "t") return false;
        auto r = session.exec(
            "SELECT EXISTS (SELECT 1 FROM nodes WHERE heartbeat + lease_seconds >= extract(epoch FROM "
            "now()))");
        return r.text(0, 0) == "t";
    } catch (const pg::Error&) {
        return false;  // cannot even connect: nobody holds it through this location
    }
}

bool postgres_exists(const std::string& uri, const std::string& password) {
    try {
        pg::Session session(uri, shown_location(uri), password);
        return session.exec("SELECT to_regclass('feedd_schema') IS NOT NULL").text(0, 0) == "t";
    } catch (const pg::Error& error) {
        throw StoreError(error.what());
    }
}

std::vector<std::string> postgres_held_rows(const std::string& uri, const std::string& password) {
    try {
        pg::Session session(uri, shown_location(uri), password);
        std::vector<std::string> held;
        for (const auto& table : archive_tables) {
            // An older archive may not have it yet.
            if (session.exec("SELECT to_regclass($1) IS NOT NULL", Params::of(std::string(table.name)))
                    .text(0, 0) != "t")
                continue;
            const auto rows = session.run("SELECT count(*) FROM " + identifier(table.name)).integer(0, 0);
            if (rows > 0) held.push_back(std::string(table.name) + ": " + std::to_string(rows));
        }
        return held;
    } catch (const pg::Error& error) {
        throw StoreError(error.what());
    }
}

}  // namespace detail
}  // namespace feedd::store
