#include "store/schema.hpp"

#include <SQLiteCpp/SQLiteCpp.h>

#include <string>

namespace feedd::store::detail {
namespace {

// Times are Unix seconds (UTC). Lists are stored one item per line between newlines
// ("\nPolitics\nChina\n") so that a membership test is one instr() without a JSON parser.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,              -- the feed's identity (feeds.toml `name`)
    url TEXT NOT NULL DEFAULT '',           -- as configured
    configured_title TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',      -- one folder path, "News/Asia"
    tags TEXT NOT NULL DEFAULT '',
    identity TEXT NOT NULL DEFAULT 'auto',  -- auto | guid | link | content
    keep_days INTEGER,                      -- NULL: the global keep_days
    configured INTEGER NOT NULL DEFAULT 1,  -- 0: no longer in feeds.toml, its articles stay
    title TEXT NOT NULL DEFAULT '',         -- what the feed itself says
    site_link TEXT NOT NULL DEFAULT '',
    subtitle TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT '',
    image TEXT NOT NULL DEFAULT '',
    format TEXT NOT NULL DEFAULT '',
    added_at INTEGER NOT NULL
);

CREATE TABLE feed_state (
    feed_id INTEGER PRIMARY KEY REFERENCES feeds(id) ON DELETE CASCADE,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_poll INTEGER,
    last_success INTEGER,
    next_poll INTEGER,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    configured_url TEXT NOT NULL DEFAULT '',
    gone INTEGER NOT NULL DEFAULT 0,
    moved_to TEXT NOT NULL DEFAULT '',
    redirect_candidate TEXT NOT NULL DEFAULT '',
    redirect_first_seen INTEGER,
    redirect_count INTEGER NOT NULL DEFAULT 0,
    identity_fallback INTEGER NOT NULL DEFAULT 0,
    retry_after INTEGER
);

-- The story. Its entries are the feeds' versions of it.
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    canonical_link TEXT,          -- NULL when it has no specific link (never merged by link)
    first_seen INTEGER NOT NULL,
    published INTEGER,
    sort_time INTEGER NOT NULL,   -- published, else first_seen (also when published lies ahead of it)
    fullest_entry INTEGER         -- entries.id of the entry with the most text: what the article shows
);
CREATE INDEX articles_by_link ON articles(canonical_link) WHERE canonical_link IS NOT NULL;
CREATE INDEX articles_by_time ON articles(sort_time, id);

-- Small columns first, long text last: SQLite reads a row's columns in order through its overflow
-- pages, so the lookups of ingest and the index's reads of `text` never walk the HTML.
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    feed_id INTEGER NOT NULL REFERENCES feeds(id),
    identity TEXT NOT NULL,       -- "guid:…", "link:…" or "hash:…": how the feed's entry is found again
    seen_hash TEXT NOT NULL,      -- the entry as last received: an unchanged entry costs one lookup
    content_hash TEXT NOT NULL,   -- title, date and text: the `content` identity
    guid TEXT NOT NULL DEFAULT '',
    canonical_link TEXT NOT NULL DEFAULT '',
    published INTEGER,
    updated INTEGER,
    first_seen INTEGER NOT NULL,
    changed_at INTEGER,                 -- last change of title or text
    title TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT '',
    image TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',      -- plain text of content, else summary (indexed)
    summary TEXT NOT NULL DEFAULT '',   -- HTML
    cjk TEXT NOT NULL DEFAULT '',       -- title, author and text again when they hold CJK script
    content TEXT NOT NULL DEFAULT '',   -- HTML
    UNIQUE (feed_id, identity)
);
CREATE INDEX entries_by_article ON entries(article_id);
CREATE INDEX entries_by_feed_link ON entries(feed_id, canonical_link);
CREATE INDEX entries_by_feed_seen ON entries(feed_id, first_seen);

CREATE TABLE enclosures (
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    url TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    length INTEGER,
    PRIMARY KEY (entry_id, position)
) WITHOUT ROWID;

-- An entry's previous title and text, kept when they changed (at most 20 per entry).
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES entries(id) ON DELETE CASCADE,
    recorded_at INTEGER NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT ''
);
CREATE INDEX revisions_by_entry ON revisions(entry_id, id);

-- What retention removed: never archived again as new.
CREATE TABLE tombstones (
    feed_id INTEGER NOT NULL,
    identity TEXT NOT NULL,
    pruned_at INTEGER NOT NULL,
    PRIMARY KEY (feed_id, identity)
) WITHOUT ROWID;
CREATE TABLE tombstone_links (
    canonical_link TEXT PRIMARY KEY,
    pruned_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Full-text search over every entry; the default tokenizer for words, a trigram index for scripts
-- written without spaces (Chinese, Japanese), whose column is empty for entries without them.
CREATE VIRTUAL TABLE entries_fts USING fts5(
    title, author, text, content='entries', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE entries_cjk USING fts5(cjk, content='entries', content_rowid='id', tokenize='trigram');
-- `rank` weighs a hit in the title above one in the author above one in the text.
INSERT INTO entries_fts(entries_fts, rank) VALUES ('rank', 'bm25(10.0, 2.0, 1.0)');

CREATE TRIGGER entries_fts_insert AFTER INSERT ON entries BEGIN
    INSERT INTO entries_fts(rowid, title, author, text) VALUES (new.id, new.title, new.author, new.text);
    INSERT INTO entries_cjk(rowid, cjk) VALUES (new.id, new.cjk);
END;
CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, title, author, text)
        VALUES ('delete', old.id, old.title, old.author, old.text);
    INSERT INTO entries_cjk(entries_cjk, rowid, cjk) VALUES ('delete', old.id, old.cjk);
END;
CREATE TRIGGER entries_fts_update AFTER UPDATE OF title, author, text, cjk ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, title, author, text)
        VALUES ('delete', old.id, old.title, old.author, old.text);
    INSERT INTO entries_cjk(entries_cjk, rowid, cjk) VALUES ('delete', old.id, old.cjk);
    INSERT INTO entries_fts(rowid, title, author, text) VALUES (new.id, new.title, new.author, new.text);
    INSERT INTO entries_cjk(rowid, cjk) VALUES (new.id, new.cjk);
END;
)sql";

// Views for people who open the archive with sqlite3; dates as ISO 8601 UTC text.
constexpr std::string_view schema_v2 = R"sql(
-- One row per article: its fullest entry's text, its feeds, its date.
CREATE VIEW articles_v AS
SELECT a.id,
       e.title,
       e.link,
       e.author,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.sort_time, 'unixepoch') AS date,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.published, 'unixepoch') AS published,
       strftime('%Y-%m-%dT%H:%M:%SZ', a.first_seen, 'unixepoch') AS first_seen,
       (SELECT group_concat(name, ', ') FROM (SELECT DISTINCT f.name FROM entries x JOIN feeds f ON f.id = x.feed_id
                                              WHERE x.article_id = a.id ORDER BY f.name)) AS feeds,
       e.summary,
       e.content,
       e.text,
       a.canonical_link
FROM articles a JOIN entries e ON e.id = a.fullest_entry;

-- One row per entry: one feed's version of an article.
CREATE VIEW entries_v AS
SELECT e.id, e.article_id, f.name AS feed, e.guid, e.title, e.link, e.author,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.published, 'unixepoch') AS published,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.updated, 'unixepoch') AS updated,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.first_seen, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.changed_at, 'unixepoch') AS changed_at,
       trim(e.categories, char(10)) AS categories,
       (SELECT count(*) FROM revisions r WHERE r.entry_id = e.id) AS revisions,
       e.summary, e.content, e.text
FROM entries e JOIN feeds f ON f.id = e.feed_id;

-- One row per feed with its counts and fetch state.
CREATE VIEW feeds_v AS
SELECT f.id, f.name, f.url, f.category, f.title, f.site_link, f.configured,
       (SELECT count(DISTINCT article_id) FROM entries e WHERE e.feed_id = f.id) AS articles,
       (SELECT count(*) FROM entries e WHERE e.feed_id = f.id) AS entries,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.last_poll, 'unixepoch') AS last_poll,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.last_success, 'unixepoch') AS last_success,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.next_poll, 'unixepoch') AS next_poll,
       s.last_status, s.last_error, s.consecutive_failures, s.gone, s.moved_to, s.identity_fallback
FROM feeds f LEFT JOIN feed_state s ON s.feed_id = f.id;

-- Previous versions of entries, newest first per entry.
CREATE VIEW revisions_v AS
SELECT r.id, r.entry_id, e.article_id, f.name AS feed,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.recorded_at, 'unixepoch') AS recorded_at,
       r.title, r.summary, r.content
FROM revisions r JOIN entries e ON e.id = r.entry_id JOIN feeds f ON f.id = e.feed_id;
)sql";

// Entries are indexed by the ingest's own statements rather than by triggers on insert and
// update: a trigger gives each INSERT or UPDATE of entries a statement journal, whose savepoint
// makes FTS5 flush its pending terms to a new segment for every row instead of once per
// transaction (a third of the ingest's time, and a merge debt that grows with every poll).
// Deletes (prune, purge) are rare and keep their trigger.
constexpr std::string_view schema_v3 = R"sql(
DROP TRIGGER entries_fts_insert;
DROP TRIGGER entries_fts_update;
)sql";

}  // namespace

const std::vector<std::string_view>& migrations() {
    static const std::vector<std::string_view> list{schema_v1, schema_v2, schema_v3};
    return list;
}

void migrate(SQLite::Database& db, int target) {
    int version = db.execAndGet("PRAGMA user_version").getInt();
    for (; version < target; ++version) {
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
        db.exec(std::string(migrations()[static_cast<std::size_t>(version)]));
        db.exec("PRAGMA user_version = " + std::to_string(version + 1));
        db.exec("PRAGMA application_id = " + std::to_string(application_id));
        transaction.commit();
    }
}

}  // namespace feedd::store::detail
