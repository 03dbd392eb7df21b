#include "store/schema.hpp"
#include "store/pages_sql.hpp"
#include "store/reading_schema.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <SQLiteCpp/VariadicBind.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "store/text.hpp"

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

struct Rekey {
    std::int64_t id = 0;
    std::int64_t feed_id = 0;
    std::string old_key;
    std::string new_key;
    bool keeps_old = false;
};

// Gives each `hash:` entry its new key unless another entry of its feed takes it: the key is
// unique per feed, and two entries whose texts differed only in what the new reader drops now
// hash the same. Then the older entry (lower id; an entry whose key does not change before all)
// takes the key and the other keeps its old one, which no poll will find again: the next poll
// matches the first and stores nothing twice. A kept old key is itself taken, so a new key equal
// to it loses too (repeated until nothing changes).
void assign_keys(std::vector<Rekey>& entries) {
    std::map<std::pair<std::int64_t, std::string>, std::size_t> owner;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        auto [slot, inserted] = owner.try_emplace({e.feed_id, e.new_key}, i);
        if (!inserted && e.new_key == e.old_key) slot->second = i;
    }
    std::set<std::pair<std::int64_t, std::string>> kept;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto& e = entries[i];
        if (owner.at({e.feed_id, e.new_key}) == i) continue;
        e.keeps_old = true;
        kept.emplace(e.feed_id, e.old_key);
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (auto& e : entries) {
            if (e.keeps_old || !kept.contains({e.feed_id, e.new_key})) continue;
            e.keeps_old = true;
            kept.emplace(e.feed_id, e.old_key);
            changed = true;
        }
    }
}

// Schema v4 (C++ only): the plain text, search rows and content hashes of every entry as the text module
// reads HTML. Before it the archive had its own converter (a space at every inline tag, 40 entity
// names, &#128;-&#159; as C1 controls); `hash:` keys made with it would no longer be found by the
// next poll, which would then store those entries a second time.
//
// Everything is recomputed from the stored columns the ingest hashed: title, published, and
// content else summary. For a `hash:` entry they are what was hashed: it is only ever found again
// under its key by an incoming entry of the same hash, and merging that one's values into the
// stored ones (empty values never replace stored ones) keeps title, date and text equal as the
// former reader read them. Other entries' `content_hash` followed the incoming entry, not the
// merged columns; it identifies nothing for them and now follows the columns.
//
// It reads the HTML through feedd_unpack, so that running it again over a v5 archive (whose HTML
// is packed) reads the same text and changes nothing.
void recompute_text(SQLite::Database& db) {
    // Read in batches by id and written between them: no statement reads the table it updates.
    SQLite::Statement select(db, R"sql(
SELECT id, feed_id, identity, title, author, published, feedd_unpack(summary, text) AS summary,
       feedd_unpack(content, text) AS content, text, cjk, content_hash
FROM entries WHERE id > ? ORDER BY id LIMIT 256)sql");
    // HTML packed against the text (run again over a v5 archive) is packed again against the new
    // one, in the statement that writes it: the right-hand sides read the row's old text.
    SQLite::Statement update(db, R"sql(
UPDATE entries SET text = ?1, cjk = ?2, content_hash = ?3,
                   summary = feedd_pack(feedd_unpack(summary, text), ?1),
                   content = feedd_pack(feedd_unpack(content, text), ?1)
WHERE id = ?4)sql");
    struct Row {
        std::int64_t id;
        std::string text, cjk, content_hash;
    };
    std::vector<Rekey> hash_keyed;
    bool indexed_changed = false;
    std::int64_t last = 0;
    for (;;) {
        std::vector<Row> changed;
        select.reset();
        select.bind(1, last);
        bool any = false;
        while (select.executeStep()) {
            any = true;
            last = select.getColumn("id").getInt64();
            auto title = select.getColumn("title").getString();
            auto published = select.getColumn("published");
            const auto stored_text = select.getColumn("text").getString();
            auto read =
                entry_text(select.getColumn("content").getString(), select.getColumn("summary").getString());
            // Hashed as the next poll will hash it; but, as in the ingest, a text that reads as
            // nothing keeps the one stored (content that is only an image kept the summary's words).
            auto hash =
                content_hash(title, published.isNull() ? "" : std::to_string(published.getInt64()), read);
            auto text = read.empty() ? stored_text : std::move(read);
            auto cjk = cjk_column(title, select.getColumn("author").getString(), text);
            auto identity = select.getColumn("identity").getString();
            if (identity.starts_with("hash:"))
                hash_keyed.push_back(
                    {last, select.getColumn("feed_id").getInt64(), identity, "hash:" + hash});
            const bool indexed = text != stored_text || cjk != select.getColumn("cjk").getString();
            indexed_changed = indexed_changed || indexed;
            if (indexed || hash != select.getColumn("content_hash").getString())
                changed.push_back({last, std::move(text), std::move(cjk), std::move(hash)});
        }
        if (!any) break;
        for (const auto& row : changed) {
            update.reset();
            SQLite::bind(update, row.text, row.cjk, row.content_hash, row.id);
            update.exec();
        }
    }

    assign_keys(hash_keyed);
    // Through a key no entry holds ("\x01…"), so that one entry's new key may be the old key of
    // another that is re-keyed after it.
    SQLite::Statement rekey(db, "UPDATE entries SET identity = ? WHERE id = ?");
    for (int pass = 0; pass < 2; ++pass) {
        for (const auto& e : hash_keyed) {
            if (e.keeps_old || e.new_key == e.old_key) continue;
            rekey.reset();
            SQLite::bind(rekey, pass == 0 ? "\x01v4:" + std::to_string(e.id) : e.new_key, e.id);
            rekey.exec();
        }
    }

    // The indexes are external-content tables without update triggers (schema_v3): rebuilt from
    // the new columns in one pass, which also mends an index left stale by hand edits.
    if (indexed_changed) {
        db.exec("INSERT INTO entries_fts(entries_fts) VALUES ('rebuild')");
        db.exec("INSERT INTO entries_cjk(entries_cjk) VALUES ('rebuild')");
    }
}

// Schema v5: an entry's HTML (summary, content) and a revision's are packed with zstd
// (store/pack.hpp), each value in its own frame, so that a read touches only its rows. An entry's
// HTML is packed with its plain text as the prefix: most of its words are in it, and the HTML then
// costs little more than its tags. Everything a plain sqlite3 needs to read, search and delete
// stays plain: `text` (what the word index is built on, its external content), `cjk`, titles,
// links, dates. The views that show HTML (`*_html_v`) call `feedd_unpack`, registered on every
// connection the store opens and in the loadable extension for sqlite3; no other view, no trigger
// and no index calls it. The trigram index holds only entries with CJK text.
//
// Whoever writes `entries.text` writes summary and content again in the same statement: they
// cannot be read against another text. Values too short to gain stay TEXT.
constexpr std::string_view schema_v5 = R"sql(
DROP VIEW IF EXISTS articles_v;
DROP VIEW IF EXISTS entries_v;
DROP VIEW IF EXISTS feeds_v;
DROP VIEW IF EXISTS revisions_v;
DROP VIEW IF EXISTS articles_html_v;
DROP VIEW IF EXISTS entries_html_v;
DROP VIEW IF EXISTS revisions_html_v;
DROP VIEW IF EXISTS entries_cjk_v;
DROP TRIGGER IF EXISTS entries_fts_delete;
DROP TABLE IF EXISTS entries_cjk;

-- feedd_pack leaves a value that is already packed as it is.
UPDATE entries SET summary = feedd_pack(summary, text), content = feedd_pack(content, text);
UPDATE revisions SET summary = feedd_pack(summary), content = feedd_pack(content);

-- The trigram index's external content: only the entries with CJK text.
CREATE VIEW entries_cjk_v AS SELECT id, cjk FROM entries WHERE cjk <> '';
CREATE VIRTUAL TABLE entries_cjk USING fts5(cjk, content='entries_cjk_v', content_rowid='id', tokenize='trigram');
INSERT INTO entries_cjk(entries_cjk) VALUES ('rebuild');

CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, title, author, text)
        VALUES ('delete', old.id, old.title, old.author, old.text);
    INSERT INTO entries_cjk(entries_cjk, rowid, cjk) SELECT 'delete', old.id, old.cjk WHERE old.cjk <> '';
END;

-- The views of schema v2 without the HTML; articles_html_v, entries_html_v and revisions_html_v
-- add it (they need feedd's extension in sqlite3).
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
       e.text,
       a.canonical_link
FROM articles a JOIN entries e ON e.id = a.fullest_entry;

CREATE VIEW entries_v AS
SELECT e.id, e.article_id, f.name AS feed, e.guid, e.title, e.link, e.author,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.published, 'unixepoch') AS published,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.updated, 'unixepoch') AS updated,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.first_seen, 'unixepoch') AS first_seen,
       strftime('%Y-%m-%dT%H:%M:%SZ', e.changed_at, 'unixepoch') AS changed_at,
       trim(e.categories, char(10)) AS categories,
       (SELECT count(*) FROM revisions r WHERE r.entry_id = e.id) AS revisions,
       e.text
FROM entries e JOIN feeds f ON f.id = e.feed_id;

CREATE VIEW articles_html_v AS
SELECT a.id, feedd_unpack(e.summary, e.text) AS summary, feedd_unpack(e.content, e.text) AS content
FROM articles a JOIN entries e ON e.id = a.fullest_entry;

CREATE VIEW entries_html_v AS
SELECT id, feedd_unpack(summary, text) AS summary, feedd_unpack(content, text) AS content FROM entries;

-- Completeness: how many items each feed's document showed at its last successful poll (the
-- window the adaptive interval keeps from overflowing) and the gaps found when a poll came too
-- late. A feed's recent arrivals are read through entries_by_feed_seen (v1).
CREATE TABLE IF NOT EXISTS gaps (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    detected_at INTEGER NOT NULL,
    seen_until INTEGER NOT NULL,      -- the newest arrival seen before the gap
    seen_again INTEGER NOT NULL,      -- the oldest arrival of the poll that found it
    estimated INTEGER NOT NULL,       -- items probably lost
    pace_ms INTEGER NOT NULL DEFAULT 0  -- between the items of that poll's document
);
CREATE INDEX IF NOT EXISTS gaps_by_feed ON gaps(feed_id, detected_at);

-- Polls that came too late, newest first.
DROP VIEW IF EXISTS gaps_v;
CREATE VIEW gaps_v AS
SELECT f.name AS feed,
       strftime('%Y-%m-%dT%H:%M:%SZ', g.detected_at, 'unixepoch') AS detected_at,
       strftime('%Y-%m-%dT%H:%M:%SZ', g.seen_until, 'unixepoch') AS seen_until,
       strftime('%Y-%m-%dT%H:%M:%SZ', g.seen_again, 'unixepoch') AS seen_again,
       g.estimated
FROM gaps g JOIN feeds f ON f.id = g.feed_id ORDER BY g.detected_at DESC;

-- `stored_bytes`: what the feed's entries and their revisions take, as stored (the search indexes
-- and the table's pages come on top: `feedd status` gives the whole archive per article).
CREATE VIEW feeds_v AS
SELECT f.id, f.name, f.url, f.category, f.title, f.site_link, f.configured,
       (SELECT count(DISTINCT article_id) FROM entries e WHERE e.feed_id = f.id) AS articles,
       (SELECT count(*) FROM entries e WHERE e.feed_id = f.id) AS entries,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.last_poll, 'unixepoch') AS last_poll,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.last_success, 'unixepoch') AS last_success,
       strftime('%Y-%m-%dT%H:%M:%SZ', s.next_poll, 'unixepoch') AS next_poll,
       s.last_status, s.last_error, s.consecutive_failures, s.gone, s.moved_to, s.identity_fallback,
       b.stored_bytes,
       b.stored_bytes / nullif((SELECT count(DISTINCT article_id) FROM entries e WHERE e.feed_id = f.id), 0)
           AS bytes_per_article,
       s.document_items,
       (SELECT count(*) FROM gaps g WHERE g.feed_id = f.id) AS gaps,
       strftime('%Y-%m-%dT%H:%M:%SZ', (SELECT max(detected_at) FROM gaps g WHERE g.feed_id = f.id), 'unixepoch')
           AS last_gap
FROM feeds f LEFT JOIN feed_state s ON s.feed_id = f.id
JOIN (SELECT f2.id AS feed_id,
             coalesce((SELECT sum(length(CAST(e.title AS BLOB)) + length(CAST(e.summary AS BLOB)) +
                                  length(CAST(e.content AS BLOB)) + length(CAST(e.text AS BLOB)) +
                                  length(CAST(e.cjk AS BLOB)) + length(e.identity) + length(e.guid) +
                                  length(e.link) + length(e.canonical_link) + length(e.author) +
                                  length(e.categories) + length(e.image) + length(e.seen_hash) +
                                  length(e.content_hash))
                       FROM entries e WHERE e.feed_id = f2.id), 0) +
             coalesce((SELECT sum(length(CAST(r.title AS BLOB)) + length(CAST(r.summary AS BLOB)) +
                                  length(CAST(r.content AS BLOB)))
                       FROM revisions r JOIN entries e ON e.id = r.entry_id WHERE e.feed_id = f2.id), 0)
                 AS stored_bytes
      FROM feeds f2) b ON b.feed_id = f.id;

CREATE VIEW revisions_v AS
SELECT r.id, r.entry_id, e.article_id, f.name AS feed,
       strftime('%Y-%m-%dT%H:%M:%SZ', r.recorded_at, 'unixepoch') AS recorded_at,
       r.title
FROM revisions r JOIN entries e ON e.id = r.entry_id JOIN feeds f ON f.id = e.feed_id;

CREATE VIEW revisions_html_v AS
SELECT id, feedd_unpack(summary) AS summary, feedd_unpack(content) AS content FROM revisions;
)sql";

// SQLite has no ADD COLUMN IF NOT EXISTS, and a step that adds a column may run again over an
// archive that has it (migrate_test runs every step twice).
void add_column_if_missing(SQLite::Database& db, const std::string& table, const std::string& column,
                           const std::string& definition) {
    SQLite::Statement columns(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
    columns.bind(1, table);
    columns.bind(2, column);
    if (!columns.executeStep()) db.exec("ALTER TABLE " + table + " ADD COLUMN " + column + " " + definition);
}

// v5 as one step that may run again over a v5 archive; the views of schema_v5 read the new column.
void schema_v5_step(SQLite::Database& db) {
    add_column_if_missing(db, "feed_state", "document_items", "INTEGER NOT NULL DEFAULT 0");
    db.exec(std::string(schema_v5));
}

// v9, besides the wider entries_by_feed_seen (reading_schema.hpp): FTS5 merges the word index's
// segments 8 at a time instead of 4 (`automerge`, a setting stored in the index). Each commit
// writes its new terms as a segment, and merging them 4 by 4 rewrote every posting list about once
// per level: on a cold poll of 1 000 feeds 8 reads a quarter fewer pages and writes a sixth fewer
// (docs/ARCHITECTURE.md, "Threading"), and a search looks into up to 7 segments per level instead
// of 3 (searches took as long). Not 16: that equals `crisismerge`, and every merge became a whole
// level merged within one commit. `feedd db vacuum` merges them into one (optimize). The trigram
// index holds the few CJK entries and keeps SQLite's default.
void fts_automerge(SQLite::Database& db) {
    db.exec("INSERT INTO entries_fts(entries_fts, rank) VALUES ('automerge', 8)");
}

// v10: CJK search over archived pages (pages_sql.hpp, cjk_sqlite). The column is added when
// missing (SQLite has no ADD COLUMN IF NOT EXISTS: migrate_test runs the steps again) and filled
// for the pages fetched before with the ingest's own cjk_column, then the trigram index is built.
void pages_cjk(SQLite::Database& db) {
    add_column_if_missing(db, "pages", "cjk", "TEXT NOT NULL DEFAULT ''");
    // The ids first: the rows are rewritten after the scan, not under it. Pages without CJK
    // script, most of them, are only read.
    std::vector<std::pair<std::int64_t, std::string>> changed;
    SQLite::Statement select(db,
                             "SELECT article_id, title, text, cjk FROM pages WHERE fetched_at IS NOT NULL");
    while (select.executeStep()) {
        auto cjk =
            cjk_column(select.getColumn("title").getString(), "", select.getColumn("text").getString());
        if (cjk != select.getColumn("cjk").getString())
            changed.emplace_back(select.getColumn("article_id").getInt64(), std::move(cjk));
    }
    SQLite::Statement update(db, "UPDATE pages SET cjk = ? WHERE article_id = ?");
    for (const auto& [id, cjk] : changed) {
        SQLite::bind(update, cjk, id);
        update.exec();
        update.reset();
    }
    db.exec(std::string(pages_sql::cjk_sqlite));
}

// v11: SQLite keeps an entry's CJK text once. Before, `entries.cjk` held its title, author and
// text a second time for the trigram index's external content (3.8 MB of a 190 MB archive of the
// benchmark corpus, bench/README.md "Archive size"); now it holds `cjk_mark` and the view joins
// the columns (text.hpp, cjk_joined_sql), which plain sqlite3 reads, searches and deletes through
// as before. The index is rebuilt from the view (only the entries with CJK text): it then holds
// exactly what the view gives, whatever the old column held. Runs again unchanged (migrate_test).
void cjk_stored_once(SQLite::Database& db) {
    const std::string mark(cjk_mark);
    db.exec("DROP TRIGGER IF EXISTS entries_fts_delete; DROP VIEW IF EXISTS entries_cjk_v;");
    SQLite::Statement marks(db, "UPDATE entries SET cjk = ?1 WHERE cjk <> '' AND cjk <> ?1");
    marks.bind(1, mark);
    marks.exec();
    db.exec("CREATE VIEW entries_cjk_v AS SELECT id, " + cjk_joined_sql() +
            " AS cjk FROM entries WHERE cjk <> ''");
    db.exec("INSERT INTO entries_cjk(entries_cjk) VALUES ('rebuild')");
    // What entries_cjk_v gave for the deleted row.
    db.exec(R"sql(
CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, title, author, text)
        VALUES ('delete', old.id, old.title, old.author, old.text);
    INSERT INTO entries_cjk(entries_cjk, rowid, cjk)
        SELECT 'delete', old.id, )sql" +
            cjk_joined_sql("old.") + R"sql( WHERE old.cjk <> '';
END;
)sql");
}

// v12: the link lookups of the ingest go through 64-bit keys of the links (text.hpp, link_key)
// instead of indexes of their text, which held each canonical link twice more (7.2 MB of the 187 MB
// archive of the benchmark corpus; the keys' indexes take 1.1 MB) and outgrew the writer's page
// cache as the archive grew (issue 15, bench/README.md "Growth against the writer's settings":
// the keys read 4-7 % fewer pages on a cold poll, at the same CPU). The keys are computed by feedd: the
// columns come last in their rows (SQLite adds a column at the end; only the index reads it) and
// an INSERT by a plain sqlite3 leaves them NULL unless it calls feedd_link_key from the extension:
// such a row is not found by link, and `db check` reports it. Runs again unchanged (migrate_test).
void link_keys(SQLite::Database& db) {
    for (const char* table : {"articles", "entries"}) add_column_if_missing(db, table, "link_key", "INTEGER");
    db.exec(std::string(fill_link_keys));
    db.exec(R"sql(
DROP INDEX IF EXISTS articles_by_link;
DROP INDEX IF EXISTS entries_by_feed_link;
CREATE INDEX IF NOT EXISTS articles_by_link_key ON articles(link_key) WHERE link_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_by_feed_link_key ON entries(feed_id, link_key) WHERE link_key IS NOT NULL;
)sql");
}

}  // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> list{{schema_v1},
                                             {schema_v2},
                                             {schema_v3},
                                             {"", recompute_text},
                                             {"", schema_v5_step},
                                             {reading_schema_sqlite},
                                             {pages_sql::schema_sqlite},
                                             {entries_by_date_sqlite},
                                             {entries_by_feed_seen_published, fts_automerge},
                                             {"", pages_cjk},
                                             {"", cjk_stored_once},
                                             {"", link_keys}};
    return list;
}

void migrate(SQLite::Database& db, int target) {
    int version = db.execAndGet("PRAGMA user_version").getInt();
    for (; version < target; ++version) {
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
        const auto& step = migrations()[static_cast<std::size_t>(version)];
        if (!step.sql.empty()) db.exec(std::string(step.sql));
        if (step.code != nullptr) step.code(db);
        db.exec("PRAGMA user_version = " + std::to_string(version + 1));
        db.exec("PRAGMA application_id = " + std::to_string(application_id));
        transaction.commit();
    }
}

}  // namespace feedd::store::detail
