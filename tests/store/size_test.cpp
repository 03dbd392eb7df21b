// Archive size (issue 22): what the SQLite archive keeps once. An entry's CJK text, which the
// trigram index searches, is its own title, author and text joined (schema v11), and a plain
// SQLite client still reads, searches and deletes through it. Links are looked up through 64-bit
// keys, not indexes of their text (schema v12).
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <SQLiteCpp/VariadicBind.h>

#include <filesystem>
#include <string>

#include "feedd/store/store.hpp"
#include "store/schema.hpp"
#include "store/seed_feeds.hpp"
#include "store/text.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::TempDir;

namespace size_test {
namespace {

const std::string cjk_title = "中共中央政治局召开会议 研究进一步推动西部大开发";

// Long enough that a second copy of the text would show in the feed's stored bytes.
std::string cjk_content() {
    std::string html;
    for (int i = 0; i < 30; ++i)
        html +=
            "<p>中共中央政治局8月23日召开会议，审议《关于进一步推动西部大开发形成新格局的若干政策措施》。" +
            std::to_string(i) + "</p>";
    return html;
}

void poll_cjk_feed(Archive& archive) {
    FeedSource feed;
    feed.name = "xinhua";
    ParsedFeed parsed;
    Entry chinese;
    chinese.id = "zh";
    chinese.title = cjk_title;
    chinese.author = "新华社";
    chinese.content = cjk_content();
    Entry english;
    english.id = "en";
    english.title = "Western development meeting";
    english.summary = "In English only.";
    parsed.entries = {chinese, english};
    archive.commit_poll(feed, &parsed, FeedState{}, test::seed_poll1);
}

std::vector<std::string> titles_found(Archive& archive, const std::string& text) {
    ArticleQuery query;
    query.search = text;
    std::vector<std::string> out;
    for (const auto& row : archive.query(query)) out.push_back(row.title);
    return out;
}

std::int64_t one_integer(SQLite::Database& db, const std::string& sql) {
    return db.execAndGet(sql).getInt64();
}

// What a plain SQLite client (none of feedd's functions) finds in the trigram index.
std::int64_t trigram_matches(SQLite::Database& db, const std::string& match) {
    SQLite::Statement select(db, "SELECT count(*) FROM entries_cjk WHERE entries_cjk MATCH ?");
    select.bind(1, match);
    select.executeStep();
    return select.getColumn(0).getInt64();
}

// Puts a current archive back to schema v10 as v10 wrote it: `entries.cjk` holding the joined text,
// the view reading that column, the delete trigger deleting it.
void back_to_v10(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec(R"sql(
DROP TRIGGER entries_fts_delete;
DROP VIEW entries_cjk_v;
UPDATE entries SET cjk = title || char(10) || author || char(10) || text WHERE cjk <> '';
CREATE VIEW entries_cjk_v AS SELECT id, cjk FROM entries WHERE cjk <> '';
INSERT INTO entries_cjk(entries_cjk) VALUES ('rebuild');
CREATE TRIGGER entries_fts_delete AFTER DELETE ON entries BEGIN
    INSERT INTO entries_fts(entries_fts, rowid, title, author, text)
        VALUES ('delete', old.id, old.title, old.author, old.text);
    INSERT INTO entries_cjk(entries_cjk, rowid, cjk) SELECT 'delete', old.id, old.cjk WHERE old.cjk <> '';
END;
PRAGMA user_version = 10;
)sql");
}

// One entry in a feed of its own, polled at `when`.
void poll_story(Archive& archive, const std::string& feed_name, const std::string& id,
                const std::string& title, const std::string& link, TimePoint when) {
    FeedSource feed;
    feed.name = feed_name;
    ParsedFeed parsed;
    Entry entry;
    entry.id = id;
    entry.title = title;
    entry.link = link;
    entry.summary = title + ", as " + feed_name + " told it.";
    parsed.entries = {entry};
    archive.commit_poll(feed, &parsed, FeedState{}, when);
}

std::vector<std::string> feeds_of(Archive& archive, const std::string& title) {
    for (const auto& row : archive.query(ArticleQuery{}))
        if (row.title == title) return row.feeds;
    return {};
}

const std::string western_link = "https://example.com/news/western-development";
const std::string rail_link = "https://example.com/news/rail-link";

// Puts a current archive back to schema v11: no link keys, the links' text indexed.
void back_to_v11(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec(R"sql(
DROP INDEX articles_by_link_key;
DROP INDEX entries_by_feed_link_key;
ALTER TABLE articles DROP COLUMN link_key;
ALTER TABLE entries DROP COLUMN link_key;
CREATE INDEX articles_by_link ON articles(canonical_link) WHERE canonical_link IS NOT NULL;
CREATE INDEX entries_by_feed_link ON entries(feed_id, canonical_link);
PRAGMA user_version = 11;
)sql");
}

}  // namespace
}  // namespace size_test

using namespace size_test;

TEST_CASE(
    "SQLite keeps an entry's CJK text once: feeds_v counts it once, search, snippets and a plain delete "
    "work") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    {
        auto archive = Archive::open(path, OpenMode::read_write);
        poll_cjk_feed(archive);
        ArticleQuery query;
        query.search = "西部大开发";
        const auto rows = archive.query(query);
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].title == cjk_title);
        CHECK(rows[0].snippet.find("[西部大开发]") != std::string::npos);
        CHECK(titles_found(archive, "会议") == std::vector<std::string>{cjk_title});    // by substring
        CHECK(titles_found(archive, "新华社") == std::vector<std::string>{cjk_title});  // the author
    }
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    const auto text_bytes =
        one_integer(db, "SELECT length(CAST(text AS BLOB)) FROM entries WHERE guid = 'zh'");
    REQUIRE(text_bytes > 3000);
    // Before v11 the text was stored a second time in `entries.cjk`.
    CHECK(one_integer(db, "SELECT stored_bytes FROM feeds_v WHERE name = 'xinhua'") < text_bytes * 3 / 2);
    CHECK(
        db.execAndGet("SELECT cjk FROM entries_cjk_v").getString() ==
        db.execAndGet("SELECT title || char(10) || author || char(10) || text FROM entries WHERE guid = 'zh'")
            .getString());
    CHECK(trigram_matches(db, "西部大开发") == 1);
    CHECK(db.execAndGet("SELECT snippet(entries_cjk, 0, '[', ']', '...', 8) FROM entries_cjk "
                        "WHERE entries_cjk MATCH '政治局'")
              .getString()
              .find("[政治局]") != std::string::npos);
    // A delete through plain SQLite takes the entry's trigrams out of the index, and only them.
    db.exec("DELETE FROM entries WHERE guid = 'zh'");
    CHECK(trigram_matches(db, "西部大开发") == 0);
    CHECK_NOTHROW(db.exec("INSERT INTO entries_cjk(entries_cjk, rank) VALUES ('integrity-check', 1)"));
    CHECK_NOTHROW(db.exec("INSERT INTO entries_fts(entries_fts, rank) VALUES ('integrity-check', 1)"));
}

TEST_CASE("an archive of schema v10 keeps its CJK text once after the upgrade, searched as before") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    {
        auto archive = Archive::open(path, OpenMode::read_write);
        poll_cjk_feed(archive);
    }
    back_to_v10(path);
    const auto v10_bytes = [&] {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        return one_integer(db, "SELECT sum(length(CAST(cjk AS BLOB))) FROM entries");
    }();
    REQUIRE(v10_bytes > 3000);

    auto archive = Archive::open(path, OpenMode::read_write);
    CHECK(std::filesystem::exists(dir / "feedd.db.v10.bak"));
    {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        CHECK(one_integer(db, "PRAGMA user_version") == detail::latest_schema_version());
        CHECK(one_integer(db, "SELECT sum(length(CAST(cjk AS BLOB))) FROM entries") ==
              static_cast<std::int64_t>(detail::cjk_mark.size()));
    }
    CHECK(titles_found(archive, "西部大开发") == std::vector<std::string>{cjk_title});
    CHECK(titles_found(archive, "会议") == std::vector<std::string>{cjk_title});
    CHECK(archive.check().empty());
    archive.vacuum();  // merges the index's segments: still the same text
    CHECK(titles_found(archive, "政治局") == std::vector<std::string>{cjk_title});
    CHECK(archive.check().empty());
}

TEST_CASE("an archive of schema v11 gets its link keys: a story from another feed still joins its article") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    {
        auto archive = Archive::open(path, OpenMode::read_write);
        poll_story(archive, "first", "a", "Western development meeting", western_link, test::seed_poll1);
    }
    back_to_v11(path);

    auto archive = Archive::open(path, OpenMode::read_write);
    CHECK(std::filesystem::exists(dir / "feedd.db.v11.bak"));
    poll_story(archive, "second", "b", "Western development meeting", western_link + "?utm_source=rss",
               test::seed_poll1 + std::chrono::hours(1));
    CHECK(feeds_of(archive, "Western development meeting") == std::vector<std::string>{"first", "second"});
    CHECK(archive.query(ArticleQuery{}).size() == 1);
    CHECK(archive.check().empty());
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    CHECK(one_integer(db, "PRAGMA user_version") == detail::latest_schema_version());
    // The text indexes are gone; the keys are the links' (text.hpp, link_key).
    CHECK(one_integer(db,
                      "SELECT count(*) FROM sqlite_schema WHERE name IN ('articles_by_link', "
                      "'entries_by_feed_link')") == 0);
    CHECK(one_integer(db, "SELECT count(DISTINCT link_key) FROM entries") == 1);
    CHECK(one_integer(db, "SELECT link_key FROM articles") == *detail::link_key(western_link));
}

TEST_CASE(
    "a link key shared by two links joins only the article of the same link, and db check names the forged "
    "key") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    auto archive = Archive::open(path, OpenMode::read_write);
    // The older article (found first) gets the key of the other's link, as a collision would.
    poll_story(archive, "first", "rail", "Rail link opens", rail_link, test::seed_poll1);
    poll_story(archive, "first", "west", "Western development meeting", western_link, test::seed_poll1);
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        SQLite::Statement forge(db, "UPDATE articles SET link_key = ? WHERE canonical_link = ?");
        SQLite::bind(forge, *detail::link_key(western_link), rail_link);
        REQUIRE(forge.exec() == 1);
    }
    poll_story(archive, "second", "w2", "Western development meeting", western_link,
               test::seed_poll1 + std::chrono::hours(1));
    CHECK(feeds_of(archive, "Western development meeting") == std::vector<std::string>{"first", "second"});
    CHECK(feeds_of(archive, "Rail link opens") == std::vector<std::string>{"first"});
    const auto problems = archive.check();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].starts_with("link keys: 1 "));
}
