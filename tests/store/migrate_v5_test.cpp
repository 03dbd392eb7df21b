// Schema v5: the HTML of an archive of schema v4 is packed in place; every field, every search
// result and every snippet stays the same, and `vacuum` gives the space back.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <SQLiteCpp/VariadicBind.h>

#include <filesystem>
#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/schema.hpp"
#include "store/text.hpp"
#include "support/old_archive.hpp"
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

// An archive at schema v4 as that version wrote it: every column plain, both indexes over
// `entries` (every entry in the trigram index, empty or not), a revision and an enclosure.
void write_v4_archive(const std::filesystem::path& path) {
    test::OldArchive old(path, schema_before, 8192);  // as v4 made archives; v5 makes 4 KiB pages
    old.add_feed("city", 1700000000);
    SQLite::Transaction transaction(old.db);
    for (int i = 0; i < entry_count; ++i) {
        const auto e = old_entry(i);
        test::OldRow row;
        row.feed = "city";
        row.identity = "guid:" + e.guid;
        row.content_hash = "hash";
        row.guid = e.guid;
        row.link = e.link;
        row.published = e.published;
        row.updated = e.published + 60;
        row.first_seen = 1700000000;
        if (i % 10 == 0) row.changed_at = 1700050000;
        row.title = e.title;
        row.author = e.author;
        row.image = e.image;
        row.categories = e.categories;
        row.text = detail::entry_text(e.content, e.summary);
        row.summary = e.summary;
        row.cjk = detail::cjk_column(e.title, e.author, row.text);
        row.content = e.content;
        old.add_entry(row);
    }
    old.db.exec(R"sql(
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

// Without feedd's functions, as a plain sqlite3 reads the archive.
std::vector<std::vector<std::string>> all_snippets(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
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
    // The schema's own text (tables, views, triggers, FTS5 settings), which later versions add to.
    const auto schema_text = [&path] {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        return static_cast<std::uintmax_t>(
            db.execAndGet("SELECT coalesce(sum(length(sql)), 0) FROM sqlite_schema").getInt64());
    };
    const auto schema_before = schema_text();

    auto archive = Archive::open(path, OpenMode::read_write);
    CHECK(std::filesystem::exists(dir / "feedd.db.v4.bak"));
    // Packed in place: the pages the plain text held are free but still in the file.
    const auto size_migrated = std::filesystem::file_size(path);
    CHECK(size_migrated >= size_before);
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
        // The plain text stays TEXT, for the index and for sqlite3; the content is packed, the
        // summaries too short to gain stay TEXT.
        CHECK(db.execAndGet("SELECT count(*) FROM entries WHERE typeof(text) = 'text'").getInt() ==
              entry_count);
        CHECK(db.execAndGet("SELECT count(*) FROM entries WHERE typeof(content) = 'blob'").getInt() ==
              entry_count - entry_count / 4);
        CHECK(db.execAndGet("SELECT count(*) FROM entries WHERE typeof(summary) = 'blob'").getInt() == 0);
        CHECK(db.execAndGet("SELECT count(*) FROM revisions WHERE typeof(content) = 'blob'").getInt() == 1);
        CHECK(db.execAndGet("SELECT count(*) FROM entries_cjk_docsize").getInt() == 6);
    }

    // The space the plain HTML held is given back by vacuum: a fifth of the v4 file and more here
    // (the text and the word index stay as they were).
    archive.vacuum();
    CHECK(std::filesystem::file_size(path) < size_migrated);
    // Later schemas add to the file what v5 is not about: empty tables (v7: full text's pages, their
    // revisions and search index; v10: the pages' trigram index), a page for each b-tree whatever the
    // archive's size, v8's index of entries by date, and their definitions in sqlite_schema.
    std::uintmax_t later_tables = 0, later_index = 0;
    {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        later_tables = static_cast<std::uintmax_t>(
            db.execAndGet("SELECT count(*) * (SELECT page_size FROM pragma_page_size) FROM sqlite_schema "
                          "WHERE rootpage > 0 AND (name LIKE 'pages%' OR name LIKE 'page_revisions%')")
                .getInt64());
        later_index = static_cast<std::uintmax_t>(
            db.execAndGet("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = 'entries_by_date'")
                .getInt64());
    }
    CHECK(later_tables > 0);
    CHECK(later_index > 0);
    // Their text in whole pages, and one more: the schema's b-tree splits as it grows.
    const std::uintmax_t page = detail::page_size;
    const auto later_schema = ((schema_text() - schema_before + page - 1) / page + 1) * page;
    CHECK(std::filesystem::file_size(path) < size_before * 4 / 5 + later_tables + later_index + later_schema);
    {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        CHECK(db.execAndGet("PRAGMA page_size").getInt() == detail::page_size);  // moved from 8 KiB
        CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
    }
    CHECK(all_snippets(path) == before_snippets);
    CHECK(archive.check().empty());
}
