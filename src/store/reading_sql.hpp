// The SQL of reading state, one text for both stores: named parameters (:user) as SQLite binds
// them; the PostgreSQL store numbers them (`positional`). Each entry's state:
//   its article's flag (read_flags) when there is one, else read when its feed's watermark
//   (read_marks.up_to) reaches its id, else unread.
#pragma once

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "feedd/store/reading.hpp"
#include "feedd/text/text.hpp"

namespace feedd::store::reading_sql {

inline constexpr const char* is_read =
    "CASE WHEN x.is_read IS NOT NULL THEN x.is_read WHEN e.id <= coalesce(w.up_to, 0) THEN 1 ELSE 0 END";
// The joins `is_read` reads (w, x), then the stars (s).
inline constexpr const char* read_joins =
    " LEFT JOIN read_marks w ON w.user_name = :user AND w.feed_id = e.feed_id"
    " LEFT JOIN read_flags x ON x.user_name = :user AND x.article_id = e.article_id";
inline constexpr const char* star_join =
    " LEFT JOIN stars s ON s.user_name = :user AND s.article_id = e.article_id";
inline constexpr const char* entry_date = "coalesce(e.published, e.first_seen)";

// Every ReaderEntry has these; `entry_columns` adds the entry itself.
inline const std::string id_columns =
    std::string("SELECT e.id, e.article_id, e.feed_id, f.name AS feed, e.first_seen, e.changed_at, ") +
    entry_date + " AS entry_date, " + is_read + " AS is_read, " +
    "CASE WHEN s.article_id IS NULL THEN 0 ELSE 1 END AS starred ";
inline const std::string entry_columns =
    id_columns +
    ", e.identity, e.guid, e.title, e.link, e.author, e.published, e.updated, e.text, e.summary, e.content, "
    "e.categories, e.image ";

struct Shape {
    std::string from_where;  // "FROM … WHERE …" of the page
    // The count of the same entries, without the joins nothing in it reads. The state and star
    // joins are on unique keys, so they never change how many entries match, and each costs a
    // lookup per entry of the archive.
    std::string count;
    bool count_binds_user = false;  // whether `count` has :user (a state or star filter)
};

// "1,2,3": the ids entries_where puts into its IN lists (numbers, never text from outside).
inline std::string join_ids(const std::vector<std::int64_t>& ids) {
    return text::join(ids, ",", [](std::int64_t id) { return std::to_string(id); });
}

// `feed_ids`: the ids of filter.feeds (those that exist).
inline Shape entries_where(const EntryFilter& filter, const std::vector<std::int64_t>& feed_ids) {
    std::string sql;
    if (filter.read) sql += std::string(" AND (") + is_read + ") = " + (*filter.read ? "1" : "0");
    if (filter.starred)
        sql += *filter.starred ? " AND s.article_id IS NOT NULL" : " AND s.article_id IS NULL";
    if (!feed_ids.empty()) sql += " AND e.feed_id IN (" + join_ids(feed_ids) + ")";
    if (!filter.ids.empty()) sql += " AND e.id IN (" + join_ids(filter.ids) + ")";
    if (filter.by_articles) sql += " AND e.article_id IN (" + join_ids(filter.articles) + ")";
    if (filter.before) sql += std::string(" AND ") + entry_date + " < :before";
    if (filter.after) sql += std::string(" AND ") + entry_date + " > :after";
    if (filter.before_id) sql += " AND e.id < :before_id";
    if (filter.after_id) sql += " AND e.id > :after_id";
    if (filter.seen_from) sql += " AND e.first_seen >= :seen_from";
    if (filter.seen_to) sql += " AND e.first_seen <= :seen_to";
    const std::string joins = std::string(read_joins) + star_join;
    const std::string count_joins =
        std::string(filter.read ? read_joins : "") + (filter.starred ? star_join : "");
    // Every entry of the configured feeds: every entry but those of feeds no longer configured
    // (usually none), since SQLite counts a whole table without reading its rows (5 to 10 times
    // faster than counting feed by feed at 200 000 entries).
    const std::string count =
        sql.empty() ? "SELECT (SELECT count(*) FROM entries) - (SELECT count(*) FROM entries e"
                      " WHERE e.feed_id IN (SELECT id FROM feeds WHERE configured = 0))"
                    : "SELECT count(*) FROM entries e" + count_joins +
                          " WHERE e.feed_id IN (SELECT id FROM feeds WHERE configured = 1)" + sql;
    return {"FROM entries e JOIN feeds f ON f.id = e.feed_id" + joins + " WHERE f.configured = 1" + sql,
            count, filter.read || filter.starred};
}

// The total a page of `size` entries shows without a count: all that match when the page is not
// full (and not past the end). Nothing: the total must be counted.
inline std::optional<std::int64_t> total_of_page(const EntryFilter& filter, std::size_t size) {
    const bool full = filter.limit > 0 && size >= static_cast<std::size_t>(filter.limit);
    if (full || (size == 0 && filter.offset > 0)) return std::nullopt;
    return filter.offset + static_cast<std::int64_t>(size);
}

// `no_limit`: the LIMIT an OFFSET alone needs, SQLite's "LIMIT -1" or PostgreSQL's "LIMIT ALL".
inline std::string order_limit(const EntryFilter& filter, const char* no_limit) {
    const std::string direction = filter.descending ? " DESC" : " ASC";
    std::string sql = " ORDER BY ";
    if (filter.order == EntryFilter::Order::date) sql += std::string(entry_date) + direction + ", ";
    sql += "e.id" + direction;
    if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
    if (filter.offset > 0)
        sql += (filter.limit > 0 ? std::string() : std::string(" ") + no_limit) + " OFFSET " +
               std::to_string(filter.offset);
    return sql;
}

inline const std::string counts =
    std::string(
        "SELECT f.name, f.id, coalesce(sum(r.is_read), 0) AS read_count, "
        "count(r.id) - coalesce(sum(r.is_read), 0) AS unread_count "
        "FROM feeds f LEFT JOIN (SELECT e.id, e.feed_id, ") +
    is_read + " AS is_read FROM entries e" + read_joins +
    ") r ON r.feed_id = f.id WHERE f.configured = 1 GROUP BY f.id, f.name ORDER BY f.name";

inline constexpr const char* set_read =
    "INSERT INTO read_flags (user_name, article_id, is_read) SELECT :user, article_id, CAST(:read AS "
    "integer) FROM entries "
    "WHERE id = :entry ON CONFLICT (user_name, article_id) DO UPDATE SET is_read = excluded.is_read";
inline constexpr const char* star =
    "INSERT INTO stars (user_name, article_id, starred_at) SELECT :user, article_id, CAST(:now AS bigint) "
    "FROM entries "
    "WHERE id = :entry ON CONFLICT (user_name, article_id) DO NOTHING";
inline constexpr const char* unstar =
    "DELETE FROM stars WHERE user_name = :user AND article_id = (SELECT article_id FROM entries WHERE id = "
    ":entry)";
// The watermark moves to the feed's newest entry first seen until :until (ids grow with arrival,
// so that is every entry seen by then), and never back.
inline constexpr const char* mark_feed =
    "INSERT INTO read_marks (user_name, feed_id, up_to) SELECT :user, CAST(:feed AS bigint), "
    "coalesce(max(id), 0) FROM entries "
    "WHERE feed_id = :feed AND first_seen <= CAST(:until AS bigint) ON CONFLICT (user_name, feed_id) DO "
    "UPDATE "
    "SET up_to = CASE WHEN excluded.up_to > read_marks.up_to THEN excluded.up_to ELSE read_marks.up_to END";
// After mark_feed: the feed's articles marked unread by hand are read now like the rest.
inline constexpr const char* drop_unread_flags =
    "DELETE FROM read_flags WHERE user_name = :user AND is_read = 0 AND article_id IN "
    "(SELECT article_id FROM entries WHERE feed_id = :feed AND first_seen <= CAST(:until AS bigint))";

// `sql` with each :name replaced by $N, N its place in `names` (PostgreSQL's placeholders).
inline std::string positional(const std::string& sql, const std::vector<std::string>& names) {
    std::string out;
    for (std::size_t i = 0; i < sql.size();) {
        bool replaced = false;
        if (sql[i] == ':') {
            for (std::size_t n = 0; n < names.size() && !replaced; ++n) {
                const auto& name = names[n];
                const auto end = i + 1 + name.size();
                if (sql.compare(i + 1, name.size(), name) == 0 &&
                    (end >= sql.size() ||
                     !(std::isalnum(static_cast<unsigned char>(sql[end])) || sql[end] == '_'))) {
                    out += "$" + std::to_string(n + 1);
                    i = end;
                    replaced = true;
                }
            }
        }
        if (!replaced) out += sql[i++];
    }
    return out;
}

}  // namespace feedd::store::reading_sql
