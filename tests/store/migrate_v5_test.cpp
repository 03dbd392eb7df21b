// Schema v5: an archive of schema v4 (long text stored plain) is packed in place; every field,
// every search result and every snippet stays the same, and `vacuum` gives the space back.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <SQLiteCpp/VariadicBind.h>

#include <filesystem>
#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/pack.hpp"
#include "store/schema.hpp"
#include "store/text.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::TempDir;

namespace {

constexpr int schema_before = 4;
constexpr int entry_count = 300;

struct OldEntry {
    std::string guid, title, author, link, summary, content, categories, image;
    std::int64_t published = 0;
};

OldEntry old_entry(int i) {
    OldEntry e;
    e.guid = "g" + std::to_string(i);
    e.title = "Story " + std::to_string(i) + (i % 3 == 0 ? " about rail" : " about water");
    e.author = i % 2 == 0 ? "Ana Silva" : "";
    e.link = "https://example.org/" + std::to_string(i);
    e.summary = "<p>Summary " + std::to_string(i) + " of the council meeting on the river budget.</p>";
    for (int p = 0; p < 12; ++p)
        e.content += "<p>Paragraph " + std::to_string(p) + " of story " + std::to_string(i) +
                     ": the council discussed the harbour, the rail line and the water budget.</p>";
    if (i % 50 == 7)
        e.content += "<p>\xE5\x8C\x97\xE4\xBA\xAC\xE6\x96\xB0\xE9\x97\xBB\xE5\x8F\x91\xE5\xB8\x83</p>";
    if (i % 4 == 2) e.content.clear();  // summary only
    e.categories = "\nCity\nRail\n";
    e.image = i % 5 == 0 ? "https://example.org/" + std::to_string(i) + ".jpg" : "";
    e.published = 1700000000 + i * 3600;
    return e;
}

// An archive at schema v4 as that version wrote it: plain text, both indexes over `entries`
// (every entry in the trigram index, empty or not), a revision and an enclosure.
void write_v4_archive(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA page_size = 4096");          // as archives were made before 8 KiB pages
    detail::register_functions(db.getHandle());  // as Archive::open does: v4 reads through feedd_unpack
    detail::migrate(db, schema_before);
    db.exec(
        "INSERT INTO feeds (name, url, added_at) VALUES ('city', 'https://example.org/feed.xml', "
        "1700000000)");
    SQLite::Transaction transaction(db);
    SQLite::Statement article(db,
                              "INSERT INTO articles (first_seen, published, sort_time) VALUES (?1, ?2, ?2)");
    SQLite::Statement entry(db, R"sql(
INSERT INTO entries (article_id, feed_id, identity, seen_hash, content_hash, guid, canonical_link, published, updated,
                     first_seen, changed_at, title, author, link, image, categories, text, summary, cjk, content)
VALUES (?1, 1, 'guid:' || ?2, 'seen', 'hash', ?2, ?3, ?4, ?4 + 60, 1700000000, ?5, ?6, ?7, ?3, ?8, ?9, ?10, ?11, ?12,
        ?13))sql");
    SQLite::Statement words(db, "INSERT INTO entries_fts (rowid, title, author, text) VALUES (?, ?, ?, ?)");
    SQLite::Statement trigrams(db, "INSERT INTO entries_cjk (rowid, cjk) VALUES (?, ?)");
    for (int i = 0; i < entry_count; ++i) {
        const auto e = old_entry(i);
        article.reset();
        SQLite::bind(article, std::int64_t{1700000000}, e.published);
        article.exec();
        const auto article_id = db.getLastInsertRowid();
        const auto text = detail::entry_text(e.content, e.summary);
        const auto cjk = detail::cjk_column(e.title, e.author, text);
        entry.reset();
        entry.clearBindings();
        entry.bind(1, article_id);
        entry.bind(2, e.guid);
        entry.bind(3, e.link);
        entry.bind(4, e.published);
        if (i % 10 == 0) entry.bind(5, std::int64_t{1700050000});
        entry.bind(6, e.title);
        entry.bind(7, e.author);
        entry.bind(8, e.image);
        entry.bind(9, e.categories);
        entry.bind(10, text);
        entry.bind(11, e.summary);
        entry.bind(12, cjk);
        entry.bind(13, e.content);
        entry.exec();
        const auto id = db.getLastInsertRowid();
        db.exec("UPDATE articles SET fullest_entry = " + std::to_string(id) +
                " WHERE id = " + std::to_string(article_id));
        words.reset();
        SQLite::bind(words, id, e.title, e.author, text);
        words.exec();
        trigrams.reset();
        SQLite::bind(trigrams, id, cjk);
        trigrams.exec();
    }
    db.exec(R"sql(
INSERT INTO revisions (entry_id, recorded_at, title, summary, content)
VALUES (1, 1700040000, 'Story 0, first title', '<p>The first summary of the council meeting, long enough to pack.</p>',
        '<p>The first version of the story about the council and its rail budget.</p>' ||
        '<p>The first version of the story about the council and its rail budget.</p>');
INSERT INTO enclosures (entry_id, position, url, type, length) VALUES (1, 0, 'https://example.org/0.mp3', 'audio/mpeg', 1234);
)sql");
    transaction.commit();
}

// Search results with their snippets, read with SQL as v4 and v5 both answer it.
std::vector<std::string> snippets(SQLite::Database& db, const std::string& table, const std::string& match) {
    SQLite::Statement select(db, "SELECT rowid, snippet(" + table + ", -1, '[', ']', '...', 16) FROM " +
                                     table + " WHERE " + table + " MATCH ? ORDER BY rowid");
    select.bind(1, match);
    std::vector<std::string> out;
    while (select.executeStep())
        out.push_back(select.getColumn(0).getString() + " " + select.getColumn(1).getString());
    return out;
}

const std::vector<std::pair<std::string, std::string>> searches{
    {"entries_fts", "rail"},
    {"entries_fts", "\"water budget\""},
    {"entries_fts", "ana"},
    {"entries_fts", "story NOT rail"},
    {"entries_cjk", "\xE4\xBA\xAC\xE6\x96\xB0\xE9\x97\xBB"}};

std::vector<std::vector<std::string>> all_snippets(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    detail::register_functions(db.getHandle());
    std::vector<std::vector<std::string>> out;
    for (const auto& [table, match] : searches) out.push_back(snippets(db, table, match));
    return out;
}

std::vector<std::string> titles_found(Archive& archive, const std::string& search) {
    ArticleQuery query;
    query.search = search;
    query.limit = 0;
    std::vector<std::string> titles;
    for (const auto& row : archive.query(query)) titles.push_back(row.title + " | " + row.snippet);
    return titles;
}

}  // namespace

TEST_CASE("schema v5 packs a v4 archive in place: every field, search result and snippet stays") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    write_v4_archive(path);
    const auto before_snippets = all_snippets(path);
    REQUIRE_FALSE(before_snippets[0].empty());
    REQUIRE(before_snippets[4].size() == 6);
    const auto size_before = std::filesystem::file_size(path);

    auto archive = Archive::open(path, OpenMode::read_write);
    CHECK(std::filesystem::exists(dir / "feedd.db.v4.bak"));
    // Packed in place: the pages the plain text held are free but still in the file.
    CHECK(std::filesystem::file_size(path) >= size_before);
    CHECK(all_snippets(path) == before_snippets);
    for (int i = 0; i < entry_count; ++i) {
        const auto e = old_entry(i);
        const auto article = archive.article(i + 1);
        REQUIRE(article.has_value());
        const auto& stored = article->fullest();
        CHECK(stored.guid == e.guid);
        CHECK(stored.identity == "guid:" + e.guid);
        CHECK(stored.entry.title == e.title);
        CHECK(stored.entry.author == e.author);
        CHECK(stored.entry.link == e.link);
        CHECK(stored.entry.summary == e.summary);
        CHECK(stored.entry.content == e.content);
        CHECK(stored.entry.image == e.image);
        CHECK(stored.entry.categories == std::vector<std::string>{"City", "Rail"});
        CHECK(stored.text == detail::entry_text(e.content, e.summary));
        CHECK(stored.entry.published == TimePoint(std::chrono::seconds(e.published)));
        CHECK(stored.entry.updated == TimePoint(std::chrono::seconds(e.published + 60)));
        CHECK(stored.changed_at.has_value() == (i % 10 == 0));
    }
    const auto first = archive.article(1)->fullest();
    REQUIRE(first.revisions.size() == 1);
    CHECK(first.revisions[0].title == "Story 0, first title");
    CHECK(first.revisions[0].summary ==
          "<p>The first summary of the council meeting, long enough to pack.</p>");
    CHECK(first.revisions[0].content ==
          "<p>The first version of the story about the council and its rail budget.</p>"
          "<p>The first version of the story about the council and its rail budget.</p>");
    REQUIRE(first.entry.enclosures.size() == 1);
    CHECK(first.entry.enclosures[0].length == 1234);

    // Through `query` too, CJK included; the trigram index now holds only the entries with CJK.
    CHECK(titles_found(archive, "\xE4\xBA\xAC\xE6\x96\xB0\xE9\x97\xBB").size() == 6);
    CHECK(titles_found(archive, "\xE6\x96\xB0\xE9\x97\xBB").size() == 6);  // two characters: substring
    CHECK(titles_found(archive, "\"water budget\"").size() ==
          static_cast<std::size_t>(entry_count - entry_count / 4));
    CHECK(archive.check().empty());
    {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        // The text of the summary-only entries is too short to gain: it stays TEXT.
        CHECK(db.execAndGet("SELECT count(*) FROM entries WHERE typeof(text) = 'blob'").getInt() ==
              entry_count - entry_count / 4);
        CHECK(db.execAndGet("SELECT count(*) FROM revisions WHERE typeof(content) = 'blob'").getInt() == 1);
        CHECK(db.execAndGet("SELECT count(*) FROM entries_cjk_docsize").getInt() == 6);
    }

    // The space the old text held is given back by vacuum.
    archive.vacuum();
    CHECK(std::filesystem::file_size(path) < size_before / 2);
    {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        CHECK(db.execAndGet("PRAGMA page_size").getInt() == detail::page_size);  // moved from 4 KiB
        CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
    }
    CHECK(all_snippets(path) == before_snippets);
    CHECK(archive.check().empty());
}
