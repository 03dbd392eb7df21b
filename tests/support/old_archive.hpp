// Archives of an older schema, written by hand as that version's ingest wrote them: the store
// itself only writes the latest schema, and the migration tests need what came before.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "store/pack.hpp"
#include "store/schema.hpp"

namespace feedd::test {

// One entry with its article, as stored before schema v5: every column plain.
struct OldRow {
    std::string feed;
    std::string identity;  // "guid:…", "hash:…"
    std::string content_hash;
    std::string guid;
    std::optional<std::int64_t> published;
    std::optional<std::int64_t> updated;
    std::int64_t first_seen = 0;
    std::optional<std::int64_t> changed_at;
    std::string title, author, link, image, categories, text, summary, cjk, content;
};

class OldArchive {
  public:
    // An archive at schema `version` (before 5); `page_size` 0 keeps SQLite's default (4 KiB),
    // as archives were made before 8 KiB pages.
    OldArchive(const std::filesystem::path& path, int version, int page_size = 0)
        : db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
        if (page_size != 0) db.exec("PRAGMA page_size = " + std::to_string(page_size));
        store::detail::register_functions(db.getHandle());  // as Archive::open does: v4 calls them
        store::detail::migrate(db, version);
    }

    void add_feed(const std::string& name, std::int64_t added_at,
                  const std::string& url = "https://example.org/feed.xml") {
        SQLite::Statement feed(db, "INSERT INTO feeds (name, url, added_at) VALUES (?, ?, ?)");
        feed.bind(1, name);
        feed.bind(2, url);
        feed.bind(3, added_at);
        feed.exec();
    }

    // The entry, its own article (dated by `published`, else `first_seen`) and its rows in both
    // search indexes: before schema v5 every entry had a row in the trigram index, empty or not.
    // Returns the entry's id.
    std::int64_t add_entry(const OldRow& e) {
        SQLite::Statement article(db,
                                  "INSERT INTO articles (first_seen, published, sort_time) VALUES (?, ?, ?)");
        article.bind(1, e.first_seen);
        if (e.published) article.bind(2, *e.published);
        article.bind(3, e.published.value_or(e.first_seen));
        article.exec();
        const auto article_id = db.getLastInsertRowid();
        SQLite::Statement entry(db, R"sql(
INSERT INTO entries (article_id, feed_id, identity, seen_hash, content_hash, guid, canonical_link, published, updated,
                     first_seen, changed_at, title, author, link, image, categories, text, summary, cjk, content)
VALUES (?1, (SELECT id FROM feeds WHERE name = ?2), ?3, 'as received', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?6,
        ?13, ?14, ?15, ?16, ?17, ?18))sql");
        entry.bind(1, article_id);
        entry.bind(2, e.feed);
        entry.bind(3, e.identity);
        entry.bind(4, e.content_hash);
        entry.bind(5, e.guid);
        entry.bind(6, e.link);
        if (e.published) entry.bind(7, *e.published);
        if (e.updated) entry.bind(8, *e.updated);
        entry.bind(9, e.first_seen);
        if (e.changed_at) entry.bind(10, *e.changed_at);
        entry.bind(11, e.title);
        entry.bind(12, e.author);
        entry.bind(13, e.image);
        entry.bind(14, e.categories);
        entry.bind(15, e.text);
        entry.bind(16, e.summary);
        entry.bind(17, e.cjk);
        entry.bind(18, e.content);
        entry.exec();
        const auto id = db.getLastInsertRowid();
        SQLite::Statement fullest(db, "UPDATE articles SET fullest_entry = ? WHERE id = ?");
        fullest.bind(1, id);
        fullest.bind(2, article_id);
        fullest.exec();
        SQLite::Statement words(db,
                                "INSERT INTO entries_fts (rowid, title, author, text) VALUES (?, ?, ?, ?)");
        words.bind(1, id);
        words.bind(2, e.title);
        words.bind(3, e.author);
        words.bind(4, e.text);
        words.exec();
        SQLite::Statement trigrams(db, "INSERT INTO entries_cjk (rowid, cjk) VALUES (?, ?)");
        trigrams.bind(1, id);
        trigrams.bind(2, e.cjk);
        trigrams.exec();
        return id;
    }

    SQLite::Database db;
};

}  // namespace feedd::test
