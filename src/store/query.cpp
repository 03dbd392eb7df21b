// Reading the archive (query, show) and maintenance (backup, check, vacuum, retention).
#include <algorithm>
#include <cstdio>

#include <sqlite3.h>

#include "store/impl.hpp"
#include "store/pack.hpp"
#include "store/pages_sql.hpp"
#include "store/rules.hpp"
#include "store/schema.hpp"
#include "store/text.hpp"

namespace feedd::store {

using detail::bind_time;
using detail::seconds;
using detail::time_column;

namespace {

// An error of a statement that carries the user's search expression: FTS5 reports every fault of
// the expression as SQLITE_ERROR, whatever its words ("fts5: syntax error near", "unknown special
// query", "unterminated string", "no such column", "expression tree is too large"), so the code
// decides, not the message. Locks, I/O and damage have codes of their own.
bool is_search_error(const SQLite::Exception& e) {
    return (e.getErrorCode() & 0xff) == SQLITE_ERROR;
}

// Han, kana and Hangul runs shorter than three characters cannot use the trigram index.
bool has_short_cjk_run(const std::string& text) {
    int run = 0;
    bool short_run = false;
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : 4;
        bool cjk = detail::has_cjk(text.substr(i, length) + "  ");
        if (cjk) {
            ++run;
        } else {
            if (run > 0 && run < 3) short_run = true;
            run = 0;
        }
        i += length;
    }
    return short_run || (run > 0 && run < 3);
}

std::vector<std::string> article_feeds(detail::Connection& impl, std::int64_t article_id) {
    auto& select = impl.statement(
        "SELECT DISTINCT f.name FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.article_id = ? ORDER "
        "BY "
        "f.name");
    select.bind(1, article_id);
    std::vector<std::string> feeds;
    while (select.executeStep()) feeds.push_back(select.getColumn("name").getString());
    return feeds;
}

// The first columns of every query that lists articles, and their positions (read for each row of
// a result: by position rather than by name, which costs a map search per value).
constexpr const char* row_columns =
    "a.id, e.title, e.link, e.author, a.published, a.first_seen, a.sort_time, e.summary, e.text, e.id AS "
    "entry";
struct RowColumn {
    enum : int { id, title, link, author, published, first_seen, sort_time, summary, text, entry };
};

ArticleRow read_row(const SQLite::Statement& row) {
    ArticleRow out;
    out.id = row.getColumn(RowColumn::id).getInt64();
    out.title = row.getColumn(RowColumn::title).getString();
    out.link = row.getColumn(RowColumn::link).getString();
    out.author = row.getColumn(RowColumn::author).getString();
    out.published = time_column(row.getColumn(RowColumn::published));
    out.first_seen = TimePoint(std::chrono::seconds(row.getColumn(RowColumn::first_seen).getInt64()));
    out.date = TimePoint(std::chrono::seconds(row.getColumn(RowColumn::sort_time).getInt64()));
    const auto entry = row.getColumn(RowColumn::entry).getInt64();
    const auto plain = row.getColumn(RowColumn::text).getString();
    detail::fill_row_text(out, detail::stored_text(row.getColumn(RowColumn::summary), plain, "entry", entry),
                          plain);
    return out;
}

}  // namespace

namespace {

enum class SearchKind { none, words, trigram, substring };

// The query's SQL. With `top_hits`, only that many best-ranked entries are considered: enough when
// the answer fills its limit from them (an article outside them ranks below all inside).
// With `newest_bound` > 0, only entries from that rowid on are ranked (see `query`).
std::string query_sql(const ArticleQuery& q, std::size_t feed_count, SearchKind kind,
                      std::optional<std::int64_t> top_hits, std::int64_t newest_bound) {
    std::string sql;
    std::string cut = newest_bound > 0 ? " AND rowid >= " + std::to_string(newest_bound) : "";
    if (top_hits) cut += " ORDER BY rank LIMIT " + std::to_string(*top_hits);
    // An article's archived page (full text: pages_fts, pages_cjk) is one more version of it to
    // find: its hit counts for the entry the article shows. Every table ranks with feedd_rank
    // (rank.hpp: bm25 without visiting every row that holds a search of one phrase), with the
    // weights of its stored rank.
    switch (kind) {
        case SearchKind::substring:
            sql =
                "WITH hits AS (SELECT id AS entry_id, 0.0 AS score FROM entries_cjk_v "
                "WHERE instr(cjk, ?1) > 0 UNION ALL SELECT a.fullest_entry AS entry_id, 0.0 AS score "
                "FROM pages_cjk_v p JOIN articles a ON a.id = p.article_id WHERE instr(p.cjk, ?1) > 0), ";
            break;
        case SearchKind::trigram:
            sql =
                "WITH hits AS MATERIALIZED (SELECT * FROM (SELECT rowid AS entry_id, rank AS score "
                "FROM entries_cjk WHERE entries_cjk MATCH ?1 AND rank MATCH 'feedd_rank()'" +
                cut +
                ") UNION ALL SELECT a.fullest_entry AS entry_id, pages_cjk.rank AS score FROM pages_cjk "
                "JOIN articles a ON a.id = pages_cjk.rowid WHERE pages_cjk MATCH ?1 AND pages_cjk.rank MATCH "
                "'feedd_rank()'), ";
            break;
        case SearchKind::words:
            sql =
                "WITH hits AS MATERIALIZED (SELECT * FROM (SELECT rowid AS entry_id, rank AS score "
                "FROM entries_fts WHERE entries_fts MATCH ?1 AND rank MATCH 'feedd_rank(10.0, 2.0, 1.0)'" +
                cut +
                ") UNION ALL SELECT a.fullest_entry AS entry_id, pages_fts.rank AS score FROM pages_fts "
                "JOIN articles a ON a.id = pages_fts.rowid WHERE pages_fts MATCH ?1 AND pages_fts.rank MATCH "
                "'feedd_rank()'), ";
            break;
        case SearchKind::none: break;
    }
    if (kind != SearchKind::none) {
        // Each article ranks by its best-matching entry.
        sql +=
            "best AS (SELECT x.article_id, min(h.score) AS score, h.entry_id "
            "FROM hits h JOIN entries x ON x.id = h.entry_id GROUP BY x.article_id) ";
        sql += std::string("SELECT ") + row_columns +
               ", best.entry_id AS hit_entry FROM best JOIN articles a ON a.id = best.article_id "
               "JOIN entries e ON e.id = a.fullest_entry WHERE 1";
    } else {
        sql = std::string("SELECT ") + row_columns +
              ", NULL AS hit_entry FROM articles a JOIN entries e ON e.id = a.fullest_entry WHERE 1";
    }
    if (feed_count > 0) {
        sql += " AND EXISTS (SELECT 1 FROM entries x WHERE x.article_id = a.id AND x.feed_id IN (";
        for (std::size_t i = 0; i < feed_count; ++i) sql += i == 0 ? "?" : ", ?";
        sql += "))";
    }
    if (!q.category.empty())
        sql +=
            " AND EXISTS (SELECT 1 FROM entries x JOIN feeds f ON f.id = x.feed_id WHERE x.article_id = a.id"
            " AND (f.category = :category"
            " OR substr(f.category, 1, length(:category) + 1) = :category || '/'"
            " OR instr(f.tags, char(10) || :category || char(10)) > 0"
            " OR instr(x.categories, char(10) || :category || char(10)) > 0))";
    if (q.since) sql += " AND a.sort_time >= :since";
    if (q.until) sql += " AND a.sort_time < :until";
    if (q.after_id) sql += " AND a.id > :after";
    if (q.after_id)
        sql += " ORDER BY a.id ASC";
    else if (kind != SearchKind::none)
        sql += " ORDER BY best.score, a.sort_time DESC, a.id DESC";
    else
        sql += " ORDER BY a.sort_time DESC, a.id DESC";
    if (q.limit > 0) sql += " LIMIT :limit";
    return sql;
}

}  // namespace

std::vector<ArticleRow> detail::Connection::query(const ArticleQuery& q) {
    return this->call(detail::read_failed, [&] {
        // Every statement here that can fail on the expression (probe, select, count, snippet)
        // reaches this one mapping.
        try {
            std::vector<std::int64_t> feed_ids;
            for (const auto& name : q.feeds) {
                auto id = this->feed_id(name);
                if (!id) throw QueryError("unknown feed '" + name + "'");
                feed_ids.push_back(*id);
            }

            auto kind = SearchKind::none;
            std::string needle = q.search;
            if (!q.search.empty()) {
                kind = !detail::has_cjk(q.search)    ? SearchKind::words
                       : has_short_cjk_run(q.search) ? SearchKind::substring
                                                     : SearchKind::trigram;
                if (kind == SearchKind::substring) {
                    // A phrase searched as a substring: quotes are FTS syntax, not text.
                    needle.clear();
                    for (char c : q.search)
                        if (c != '"') needle += c;
                    needle = detail::collapse_space(needle);
                }
            }
            const bool ranked = kind == SearchKind::words || kind == SearchKind::trigram;

            // Ranking every match of a common word is what makes a search slow (bm25 reads each
            // match's positions). So a page of results starts from the best few hundred entries, and a
            // search matching more than `newest_ranked` entries ranks the newest that many of them
            // (rowids grow with time). A page left short by filters widens to every match.
            constexpr int newest_ranked = 2000;
            const char* fts_table = kind == SearchKind::trigram ? "entries_cjk" : "entries_fts";
            std::optional<std::int64_t> top_hits;  // 64 bits: a --limit near INT_MAX times 4 or 8
            std::int64_t newest_bound = 0;         // 0: all
            if (ranked && q.limit > 0 && !q.after_id) {
                top_hits = std::max<std::int64_t>(200, std::int64_t{q.limit} * 4);
                const std::string probe_sql =
                    std::string("SELECT rowid AS entry_id FROM ") + fts_table + " WHERE " + fts_table +
                    " MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET " + std::to_string(newest_ranked - 1);
                SQLite::Statement probe(this->db, probe_sql);
                probe.bind(1, needle);
                if (probe.executeStep()) newest_bound = probe.getColumn("entry_id").getInt64();
            }

            std::vector<ArticleRow> rows;
            std::vector<std::int64_t> hit_entries;
            for (;;) {
                SQLite::Statement select(this->db,
                                         query_sql(q, feed_ids.size(), kind, top_hits, newest_bound));
                int index = 1;
                if (kind != SearchKind::none) select.bind(index++, needle);
                for (auto id : feed_ids) select.bind(index++, id);
                if (!q.category.empty()) select.bind(":category", q.category);
                if (q.since) select.bind(":since", seconds(*q.since));
                if (q.until) select.bind(":until", seconds(*q.until));
                if (q.after_id) select.bind(":after", *q.after_id);
                if (q.limit > 0) select.bind(":limit", q.limit);
                rows.clear();
                hit_entries.clear();
                const int hit_entry = select.getColumnIndex("hit_entry");
                while (select.executeStep()) {
                    rows.push_back(read_row(select));
                    hit_entries.push_back(
                        select.getColumn(hit_entry).isNull() ? 0 : select.getColumn(hit_entry).getInt64());
                }
                if (!top_hits || static_cast<std::int64_t>(rows.size()) >= q.limit) break;
                if (newest_bound > 0) {
                    newest_bound = 0;  // short among the newest: look at all matches
                    continue;
                }
                // Short: were there more matching entries than considered?
                SQLite::Statement count(this->db, std::string("SELECT count(*) AS matches FROM ") +
                                                      fts_table + " WHERE " + fts_table + " MATCH ?");
                count.bind(1, needle);
                count.executeStep();
                auto matches = count.getColumn("matches").getInt64();
                if (matches <= *top_hits) break;
                if (*top_hits * 8 >= matches)
                    top_hits.reset();  // all of them
                else
                    top_hits = *top_hits * 8;
            }

            for (std::size_t i = 0; i < rows.size(); ++i) {
                rows[i].feeds = article_feeds(*this, rows[i].id);
                if (!ranked) continue;
                const char* snippet_sql = kind == SearchKind::trigram
                                              ? "SELECT snippet(entries_cjk, 0, '[', ']', '\u2026', 24) AS "
                                                "snippet FROM entries_cjk "
                                                "WHERE entries_cjk MATCH ? AND rowid = ?"
                                              : "SELECT snippet(entries_fts, -1, '[', ']', '\u2026', 16) AS "
                                                "snippet FROM entries_fts "
                                                "WHERE entries_fts MATCH ? AND rowid = ?";
                auto& snippet = this->statement(snippet_sql);
                SQLite::bind(snippet, needle, hit_entries[i]);
                if (snippet.executeStep())
                    rows[i].snippet = detail::collapse_space(snippet.getColumn("snippet").getString());
            }
            return rows;
        } catch (const SQLite::Exception& e) {
            if (!q.search.empty() && is_search_error(e))
                throw QueryError("bad search '" + q.search + "': " + detail::problem(e));
            throw;
        }
    });
}

std::vector<ArticleRow> detail::Connection::articles(const std::vector<std::int64_t>& ids) {
    return this->call(detail::read_failed, [&] {
        std::vector<ArticleRow> rows;
        static const std::string sql =
            std::string("SELECT ") + row_columns +
            " FROM articles a JOIN entries e ON e.id = a.fullest_entry WHERE a.id = ?";
        for (auto id : ids) {
            auto& select = this->statement(sql.c_str());
            select.bind(1, id);
            if (!select.executeStep()) continue;
            rows.push_back(read_row(select));
            select.reset();
            rows.back().feeds = article_feeds(*this, id);
        }
        return rows;
    });
}

std::optional<ArticleDetail> detail::Connection::article(std::int64_t id) {
    return this->call(detail::read_failed, [&]() -> std::optional<ArticleDetail> {
        auto& select = this->statement(
            "SELECT coalesce(canonical_link, '') AS canonical_link, first_seen, sort_time, fullest_entry "
            "FROM articles WHERE id = ?");
        select.bind(1, id);
        if (!select.executeStep()) return std::nullopt;
        ArticleDetail detail;
        detail.id = id;
        detail.canonical_link = select.getColumn("canonical_link").getString();
        detail.first_seen = TimePoint(std::chrono::seconds(select.getColumn("first_seen").getInt64()));
        detail.date = TimePoint(std::chrono::seconds(select.getColumn("sort_time").getInt64()));
        const auto fullest = select.getColumn("fullest_entry");
        detail.fullest_entry = fullest.isNull() ? 0 : fullest.getInt64();
        select.reset();
        detail.feeds = article_feeds(*this, id);

        auto& entries = this->statement(R"sql(
SELECT e.id, f.name AS feed, e.guid, e.identity, e.title, e.link, e.published, e.updated, e.author, e.summary, e.content,
       e.categories, e.image, e.text, e.first_seen, e.changed_at
FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE e.article_id = ? ORDER BY e.id)sql");
        entries.bind(1, id);
        while (entries.executeStep()) {
            EntryDetail entry;
            entry.id = entries.getColumn("id").getInt64();
            entry.feed = entries.getColumn("feed").getString();
            entry.guid = entries.getColumn("guid").getString();
            entry.identity = entries.getColumn("identity").getString();
            entry.entry.id = entry.guid;
            entry.entry.title = entries.getColumn("title").getString();
            entry.entry.link = entries.getColumn("link").getString();
            entry.entry.published = time_column(entries.getColumn("published"));
            entry.entry.updated = time_column(entries.getColumn("updated"));
            entry.entry.author = entries.getColumn("author").getString();
            entry.text = entries.getColumn("text").getString();
            entry.entry.summary =
                detail::stored_text(entries.getColumn("summary"), entry.text, "entry", entry.id);
            entry.entry.content =
                detail::stored_text(entries.getColumn("content"), entry.text, "entry", entry.id);
            entry.entry.categories = detail::split_lines(entries.getColumn("categories").getString());
            entry.entry.image = entries.getColumn("image").getString();
            entry.first_seen = TimePoint(std::chrono::seconds(entries.getColumn("first_seen").getInt64()));
            entry.changed_at = time_column(entries.getColumn("changed_at"));
            detail.entries.push_back(std::move(entry));
        }
        for (auto& entry : detail.entries) {
            entry.entry.enclosures = this->enclosures(entry.id);
            auto& revisions = this->statement(
                "SELECT id, recorded_at, title, summary, content FROM revisions WHERE entry_id = ? ORDER BY "
                "id");
            revisions.bind(1, entry.id);
            while (revisions.executeStep()) {
                const auto revision_id = revisions.getColumn("id").getInt64();
                Revision revision{
                    TimePoint(std::chrono::seconds(revisions.getColumn("recorded_at").getInt64())),
                    revisions.getColumn("title").getString(),
                    detail::stored_text(revisions.getColumn("summary"), {}, "revision", revision_id),
                    detail::stored_text(revisions.getColumn("content"), {}, "revision", revision_id), ""};
                revision.text =
                    detail::html_to_text(revision.content.empty() ? revision.summary : revision.content);
                entry.revisions.push_back(std::move(revision));
            }
        }
        return detail;
    });
}

// ---------------------------------------------------------------------------------------------
// Maintenance

void detail::Connection::backup(const std::filesystem::path& destination) {
    const std::string failed = "backup to " + destination.string() + " failed";
    this->call(failed, [&] {
        this->reset_statements();
        std::error_code error;
        if (std::filesystem::exists(destination, error) &&
            std::filesystem::equivalent(destination, this->path, error))
            throw StoreError("refusing to back up the archive onto itself");
        auto temporary = destination;
        temporary += ".partial";
        std::filesystem::remove(temporary, error);
        try {
            // One read transaction: a consistent copy even while the daemon writes.
            // query_only guards readers against writes; VACUUM INTO writes only the new file.
            this->db.exec("PRAGMA query_only = OFF");
            SQLite::Statement vacuum(this->db, "VACUUM INTO ?");
            vacuum.bind(1, temporary.string());
            vacuum.exec();
            if (this->mode == OpenMode::read_only) this->db.exec("PRAGMA query_only = ON");
        } catch (const SQLite::Exception&) {
            if (this->mode == OpenMode::read_only) this->db.tryExec("PRAGMA query_only = ON");
            std::filesystem::remove(temporary, error);
            throw;
        }
        std::filesystem::rename(temporary, destination, error);
        if (error) {
            std::filesystem::remove(temporary, error);
            throw StoreError(failed + ": " + error.message());
        }
    });
}

std::vector<std::string> detail::Connection::check() {
    detail::Connection::StatementScope scope(*this);
    std::vector<std::string> problems;
    try {
        SQLite::Statement integrity(this->db, "PRAGMA integrity_check");
        while (integrity.executeStep()) {
            auto line = integrity.getColumn("integrity_check").getString();
            if (line != "ok") problems.push_back("integrity: " + line);
        }
        SQLite::Statement keys(this->db, "PRAGMA foreign_key_check");
        while (keys.executeStep())
            problems.push_back("foreign key: row " + keys.getColumn("rowid").getString() + " of " +
                               keys.getColumn("table").getString() + " points to a missing " +
                               keys.getColumn("parent").getString());
        auto orphans = this->db
                           .execAndGet(
                               "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM entries e "
                               "WHERE e.article_id = a.id) "
                               "OR NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = a.fullest_entry AND "
                               "e.article_id = a.id)")
                           .getInt64();
        if (orphans > 0) problems.push_back(std::to_string(orphans) + " article(s) without their entries");
        if (const auto rows = this->db.execAndGet(std::string(detail::stale_link_keys)).getInt64(); rows > 0)
            problems.push_back("link keys: " + std::to_string(rows) +
                               " article(s) or entries whose link_key is not their link's (feedd_link_key)");
        if (const auto pages = this->db.execAndGet(pages_sql::stale_cjk).getInt64(); pages > 0)
            problems.push_back("search index: " + std::to_string(pages) + " page(s) whose CJK text is stale");
    } catch (const SQLite::Exception& e) {
        problems.push_back("integrity: " + detail::problem(e));
        return problems;
    }

    // The FTS checks are write statements to SQLite, although they change nothing: a read-only
    // archive is checked through a second connection inside a transaction that is rolled back.
    // IMMEDIATE: the check reads before it writes, and SQLite does not wait for a busy writer (the
    // running daemon) when a reader asks to write: it would report "database is locked" as a
    // problem of the archive.
    auto fts_check = [&problems](SQLite::Database& db) {
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
        for (const char* table : {"entries_fts", "entries_cjk", "pages_fts", "pages_cjk"}) {
            try {
                db.exec(std::string("INSERT INTO ") + table + "(" + table +
                        ", rank) VALUES ('integrity-check', 1)");
            } catch (const SQLite::Exception& e) {
                problems.push_back(std::string("search index ") + table + ": " + detail::problem(e));
            }
        }
    };  // the transaction rolls back in its destructor
    try {
        if (this->mode == OpenMode::read_write || this->path.empty() || this->path == ":memory:") {
            fts_check(this->db);
        } else {
            SQLite::Database writer(this->path, SQLite::OPEN_READWRITE, 5000);
            fts_check(writer);
        }
    } catch (const SQLite::Exception& e) {
        problems.push_back("search index not checked: " + detail::problem(e));
    }
    return problems;
}

PruneCounts detail::Connection::purge_feed(const std::string& name) {
    if (this->mode != OpenMode::read_write) throw StoreError("purge needs the archive open for writing");
    return this->call("purging feed '" + name + "'", [&] {
        this->reset_statements();
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        const auto feed_id = this->feed_id(name);
        if (!feed_id) throw QueryError("no feed named '" + name + "' in the archive");
        PruneCounts counts;
        SQLite::Statement entries(this->db, "DELETE FROM entries WHERE feed_id = ?");
        entries.bind(1, *feed_id);
        counts.entries = entries.exec();
        counts.articles = this->db.exec(
            "DELETE FROM articles WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.article_id = "
            "articles.id)");
        // Articles that other feeds still hold show their fullest remaining entry.
        this->db.exec(R"sql(
UPDATE articles SET fullest_entry = (SELECT e.id FROM entries e WHERE e.article_id = articles.id
                                     ORDER BY length(e.text) DESC, e.id LIMIT 1)
WHERE fullest_entry IS NULL OR NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = articles.fullest_entry))sql");
        SQLite::Statement feed(this->db, "DELETE FROM feeds WHERE id = ?");
        feed.bind(1, *feed_id);
        feed.exec();
        transaction.commit();
        return counts;
    });
}

std::int64_t detail::Connection::article_count() {
    return this->call("counting articles",
                      [&] { return this->db.execAndGet("SELECT count(*) FROM articles").getInt64(); });
}

std::int64_t detail::Connection::stored_bytes() {
    std::int64_t size = 0;
    if (this->path == ":memory:") return size;
    for (const char* suffix : {"", "-wal"}) {
        std::error_code ignored;
        const auto bytes = std::filesystem::file_size(this->path.string() + suffix, ignored);
        if (!ignored) size += static_cast<std::int64_t>(bytes);
    }
    return size;
}

void detail::Connection::vacuum() {
    if (this->mode != OpenMode::read_write) throw StoreError("vacuum needs the archive open for writing");
    this->call("vacuum failed", [&] {
        this->reset_statements();
        this->db.exec("INSERT INTO entries_fts(entries_fts) VALUES ('optimize')");
        this->db.exec("INSERT INTO entries_cjk(entries_cjk) VALUES ('optimize')");
        // An archive made with smaller pages moves to the current size: SQLite changes the page
        // size only in a VACUUM outside WAL mode. A reader holding the file keeps the old size
        // (leaving WAL needs the file to itself); the vacuum itself goes on.
        const bool other_size = this->db.execAndGet("PRAGMA page_size").getInt() != detail::page_size;
        const bool wal = !this->path.empty() && this->path != ":memory:";
        bool resized = false;
        if (other_size && wal) {
            try {
                // Answers the mode it is in: still "wal" when another connection holds the file.
                resized = this->db.execAndGet("PRAGMA journal_mode = DELETE").getString() == "delete";
            } catch (const SQLite::Exception&) {
                resized = false;
            }
        }
        if (resized) this->db.exec("PRAGMA page_size = " + std::to_string(detail::page_size));
        this->db.exec("VACUUM");
        if (resized) this->db.exec("PRAGMA journal_mode = WAL");
        this->db.exec("PRAGMA optimize");
        this->db.tryExec("PRAGMA wal_checkpoint(TRUNCATE)");
    });
}

PruneCounts detail::Connection::prune(int default_keep_days, TimePoint now) {
    return this->call("pruning failed", [&] {
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        this->db.exec("CREATE TEMP TABLE IF NOT EXISTS prune_ids (id INTEGER PRIMARY KEY)");
        this->db.exec("DELETE FROM prune_ids");
        // Pruned when every entry is older than its own feed's keep_days (0 keeps forever).
        SQLite::Statement select(this->db, R"sql(
INSERT INTO prune_ids (id)
SELECT a.id FROM articles a WHERE NOT EXISTS (
    SELECT 1 FROM entries e JOIN feeds f ON f.id = e.feed_id
    WHERE e.article_id = a.id
      AND (coalesce(f.keep_days, ?1) <= 0 OR e.first_seen >= ?2 - coalesce(f.keep_days, ?1) * 86400)))sql");
        SQLite::bind(select, default_keep_days, seconds(now));
        select.exec();
        PruneCounts counts;
        counts.articles = this->db.execAndGet("SELECT count(*) FROM prune_ids").getInt64();
        if (counts.articles == 0) return counts;
        counts.entries =
            this->db.execAndGet("SELECT count(*) FROM entries WHERE article_id IN (SELECT id FROM prune_ids)")
                .getInt64();
        // Every key the entry could be found again by: its own, its guid, its specific link.
        SQLite::Statement tomb(this->db, R"sql(
INSERT OR IGNORE INTO tombstones (feed_id, identity, pruned_at)
SELECT feed_id, identity, ?1 FROM entries WHERE article_id IN (SELECT id FROM prune_ids)
UNION SELECT feed_id, 'guid:' || guid, ?1 FROM entries WHERE guid <> '' AND article_id IN (SELECT id FROM prune_ids)
UNION SELECT e.feed_id, 'link:' || e.canonical_link, ?1 FROM entries e JOIN articles a ON a.id = e.article_id
      WHERE a.canonical_link IS NOT NULL AND e.canonical_link <> '' AND a.id IN (SELECT id FROM prune_ids))sql");
        tomb.bind(1, seconds(now));
        tomb.exec();
        SQLite::Statement links(this->db, R"sql(
INSERT OR IGNORE INTO tombstone_links (canonical_link, pruned_at)
SELECT canonical_link, ?1 FROM articles WHERE canonical_link IS NOT NULL AND id IN (SELECT id FROM prune_ids))sql");
        links.bind(1, seconds(now));
        links.exec();
        this->db.exec("DELETE FROM articles WHERE id IN (SELECT id FROM prune_ids)");
        this->db.exec("DELETE FROM prune_ids");
        transaction.commit();
        return counts;
    });
}

}  // namespace feedd::store
