// The tables of reading state (reading_sql.hpp), SQLite's schema v6 and PostgreSQL's v2 (IF NOT EXISTS:
// a migration may run again over an archive that has them, see migrate_test). Keyed by
// the user's name (feeds.toml [[user]] name). The foreign keys end a user's state with the feed or
// article it is about (retention, purge); the indexes on those keys keep such deletes from
// scanning the tables.
#pragma once

#include <string_view>

namespace feedd::store::detail {

inline constexpr std::string_view reading_schema_sqlite = R"sql(
-- Per user and feed: the feed's entries up to this id are read ("mark all as read").
CREATE TABLE IF NOT EXISTS read_marks (
    user_name TEXT NOT NULL,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    up_to INTEGER NOT NULL,
    PRIMARY KEY (user_name, feed_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS read_marks_by_feed ON read_marks(feed_id);
-- Per user and article: read (1) or unread (0) whatever the watermarks say.
CREATE TABLE IF NOT EXISTS read_flags (
    user_name TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    is_read INTEGER NOT NULL,
    PRIMARY KEY (user_name, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS read_flags_by_article ON read_flags(article_id);
CREATE TABLE IF NOT EXISTS stars (
    user_name TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    starred_at INTEGER NOT NULL,
    PRIMARY KEY (user_name, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stars_by_article ON stars(article_id);
)sql";

inline constexpr std::string_view reading_schema_postgres = R"sql(
CREATE TABLE IF NOT EXISTS read_marks (
    user_name text NOT NULL,
    feed_id bigint NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    up_to bigint NOT NULL,
    PRIMARY KEY (user_name, feed_id)
);
CREATE INDEX IF NOT EXISTS read_marks_by_feed ON read_marks(feed_id);
CREATE TABLE IF NOT EXISTS read_flags (
    user_name text NOT NULL,
    article_id bigint NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    is_read integer NOT NULL,
    PRIMARY KEY (user_name, article_id)
);
CREATE INDEX IF NOT EXISTS read_flags_by_article ON read_flags(article_id);
CREATE TABLE IF NOT EXISTS stars (
    user_name text NOT NULL,
    article_id bigint NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    starred_at bigint NOT NULL,
    PRIMARY KEY (user_name, article_id)
);
CREATE INDEX IF NOT EXISTS stars_by_article ON stars(article_id);
)sql";

// SQLite v8, PostgreSQL v4: entries in the order readers list them by default (Miniflux's
// published_at, `reading_sql::entry_date`), so that a page of the newest is read from the index and
// not sorted out of every entry.
inline constexpr std::string_view entries_by_date_sqlite =
    "CREATE INDEX IF NOT EXISTS entries_by_date ON entries(coalesce(published, first_seen), id);";
inline constexpr std::string_view entries_by_date_postgres =
    "CREATE INDEX IF NOT EXISTS entries_by_date ON entries((coalesce(published, first_seen)), id);";

// SQLite v9, PostgreSQL v5: a feed's recent entries by first sight, with their published dates in
// the index, so that `entry_times` (read for every feed a poll stores, by the adaptive interval and
// the gap check) is answered from the index alone: the rows are about 3 KB, one page read each
// (15 % of a 10 %-changed poll's CPU before). Same name, one more column; the (feed_id,
// first_seen) prefix serves whatever used the index before. Runs again unchanged over an archive
// that has it.
inline constexpr std::string_view entries_by_feed_seen_published =
    "DROP INDEX IF EXISTS entries_by_feed_seen;"
    "CREATE INDEX entries_by_feed_seen ON entries(feed_id, first_seen, published);";

}  // namespace feedd::store::detail
