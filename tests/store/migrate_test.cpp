// Schema v4: archives written with the store's former HTML reader get the text module's plain
// text, search rows and content hashes, so that the next poll finds their `hash:` entries again.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <optional>
#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/schema.hpp"
#include "store/seed_feeds.hpp"
#include "store/text.hpp"
#include "support/archive.hpp"
#include "support/old_archive.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::TempDir;
using feedd::test::utc;

namespace {

constexpr int schema_before = 3;
const TimePoint first_seen = utc(2024, 1, 2);
const TimePoint next_poll = utc(2024, 8, 24, 1, 0);
const std::int64_t published =
    std::chrono::duration_cast<std::chrono::seconds>(utc(2024, 1, 1).time_since_epoch()).count();

// One entry as the v3 ingest stored it. `old_text` is what the former reader made of the HTML,
// written out by hand: a space at every tag, 40 entity names, &#128;-&#159; as C1 controls.
struct OldEntry {
    std::string feed;
    std::string guid;  // keyed by guid when set, else by hash
    std::string title;
    std::optional<std::int64_t> published;
    std::string content;
    std::string old_text;
};

std::string old_hash(const OldEntry& e) {
    return detail::hash_hex(e.title + '\x1f' + (e.published ? std::to_string(*e.published) : "") + '\x1f' +
                            e.old_text);
}

std::string old_key(const OldEntry& e) {
    return e.guid.empty() ? "hash:" + old_hash(e) : "guid:" + e.guid;
}

const std::vector<OldEntry>& old_entries() {
    static const std::vector<OldEntry> entries{
        {"plain", "", "Aether notes", published,
         R"(<p>Read <a href="https://example.org/r">the report</a>. &aelig;ther &#150; done</p>)",
         "Read the report . &aelig;ther \xC2\x96 done"},
        // The former reader told these two apart; the text module reads both as "y.".
        {"plain", "", "Dot", std::nullopt, "<p><a>y</a>.</p>", "y ."},
        {"plain", "", "Dot", std::nullopt, "<p>y&period;</p>", "y&period;"},
        {"guided", "g1", "Caf\xC3\xA9", published, "<p>Caf&eacute; &ndash; na&iuml;ve</p>",
         "Caf\xC3\xA9 \xE2\x80\x93 na&iuml;ve"},
        {"guided", "g2", "\xE6\x96\xB0\xE9\x97\xBB", published,
         "<p>\xE5\x8C\x97\xE4\xBA\xAC<b>\xE6\x96\xB0\xE9\x97\xBB</b>\xE5\x8F\x91\xE5\xB8\x83</p>",
         "\xE5\x8C\x97\xE4\xBA\xAC \xE6\x96\xB0\xE9\x97\xBB \xE5\x8F\x91\xE5\xB8\x83"},
    };
    return entries;
}

// An archive at schema v3 holding `old_entries()` with their old text, hashes and search rows.
void write_old_archive(const std::filesystem::path& path) {
    test::OldArchive old(path, schema_before);
    const auto seen = first_seen.time_since_epoch().count();
    for (const char* feed : {"plain", "guided"}) old.add_feed(feed, seen);
    for (const auto& e : old_entries()) {
        test::OldRow row;
        row.feed = e.feed;
        row.identity = old_key(e);
        row.content_hash = old_hash(e);
        row.guid = e.guid;
        row.published = e.published;
        row.first_seen = seen;
        row.title = e.title;
        row.text = e.old_text;
        row.content = e.content;
        row.cjk = detail::has_cjk(e.title + e.old_text) ? e.title + "\n\n" + e.old_text : "";
        old.add_entry(row);
    }
}

int matches(const std::filesystem::path& path, const std::string& words) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement select(db, "SELECT count(*) FROM entries_fts WHERE entries_fts MATCH ?");
    select.bind(1, words);
    select.executeStep();
    return select.getColumn(0).getInt();
}

std::vector<std::string> titles_found(Archive& archive, const std::string& search) {
    ArticleQuery query;
    query.search = search;
    query.limit = 0;
    std::vector<std::string> titles;
    for (const auto& row : archive.query(query)) titles.push_back(row.title);
    return titles;
}

// The feed "plain" as it still reads after the upgrade: the same three entries.
ParsedFeed plain_again() {
    ParsedFeed parsed;
    parsed.is_feed = true;
    for (const auto& e : old_entries()) {
        if (e.feed != "plain") continue;
        Entry entry;
        entry.title = e.title;
        if (e.published) entry.published = TimePoint(std::chrono::seconds(*e.published));
        entry.content = e.content;
        parsed.entries.push_back(entry);
    }
    return parsed;
}

FeedSource plain_source() {
    FeedSource feed;
    feed.name = "plain";
    feed.url = "https://example.org/feed.xml";
    return feed;
}

// Everything the migration computes, in id order.
std::vector<std::string> entry_columns(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    SQLite::Statement select(db, "SELECT id, identity, content_hash, text, cjk FROM entries ORDER BY id");
    std::vector<std::string> rows;
    while (select.executeStep())
        rows.push_back(select.getColumn(0).getString() + "|" + select.getColumn(1).getString() + "|" +
                       select.getColumn(2).getString() + "|" + select.getColumn(3).getString() + "|" +
                       select.getColumn(4).getString());
    return rows;
}

void check_search_index(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    // FTS5 compares the index with the content table and fails on any difference.
    CHECK_NOTHROW(db.exec("INSERT INTO entries_fts (entries_fts, rank) VALUES ('integrity-check', 1)"));
    CHECK_NOTHROW(db.exec("INSERT INTO entries_cjk (entries_cjk, rank) VALUES ('integrity-check', 1)"));
}

}  // namespace

TEST_CASE(
    "an archive of the former HTML reader: the next poll stores nothing twice, search finds decoded words") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    write_old_archive(path);
    REQUIRE(matches(path, "\"\xC3\xA6ther\"") == 0);  // æther: the old text kept "&aelig;ther"
    REQUIRE(matches(path, "aelig") == 1);

    auto archive = Archive::open(path, OpenMode::read_write);
    {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        CHECK(db.execAndGet("PRAGMA user_version").getInt() == detail::latest_schema_version());
        CHECK(db.execAndGet("SELECT text FROM entries WHERE title = 'Aether notes'").getString() ==
              "Read the report. \xC3\xA6ther \xE2\x80\x93 done");
        // Both "Dot" entries now read "y.": the older one takes the new key, the other keeps its
        // old one (the key is unique per feed).
        SQLite::Statement dots(db, "SELECT identity FROM entries WHERE title = 'Dot' ORDER BY id");
        const auto new_key = "hash:" + detail::hash_hex(std::string("Dot\x1f\x1fy."));
        REQUIRE(dots.executeStep());
        CHECK(dots.getColumn(0).getString() == new_key);
        REQUIRE(dots.executeStep());
        CHECK(dots.getColumn(0).getString() == old_key(old_entries()[2]));
    }
    check_search_index(path);

    const auto again = plain_again();
    auto counts = archive.commit_poll(plain_source(), &again, FeedState{}, next_poll);
    CHECK(counts.new_entries == 0);
    CHECK(counts.new_articles == 0);
    CHECK(test::all_articles(archive, {"plain"}).size() == 3);

    CHECK(titles_found(archive, "\xC3\xA6ther") == std::vector<std::string>{"Aether notes"});
    CHECK(titles_found(archive, "aelig").empty());
    CHECK(titles_found(archive, "naive") == std::vector<std::string>{"Caf\xC3\xA9"});
    // 京新闻: a trigram across what was a tag of the CJK entry.
    CHECK(titles_found(archive, "\xE4\xBA\xAC\xE6\x96\xB0\xE9\x97\xBB") ==
          std::vector<std::string>{"\xE6\x96\xB0\xE9\x97\xBB"});
}

TEST_CASE("migrating an archive a second time changes nothing") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    write_old_archive(path);
    static_cast<void>(Archive::open(path, OpenMode::read_write));
    const auto once = entry_columns(path);
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = " + std::to_string(schema_before));
    }
    auto archive = Archive::open(path, OpenMode::read_write);
    CHECK(entry_columns(path) == once);
    check_search_index(path);
    CHECK(titles_found(archive, "\xC3\xA6ther") == std::vector<std::string>{"Aether notes"});
}
