// Opening the archive: creation, validation, migrations, the single-writer lock, concurrency.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "feedd/store/store.hpp"
#include "store/impl.hpp"
#include "store/schema.hpp"
#include "store/seed_feeds.hpp"
#include "support/archive.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::TempDir;
using feedd::test::utc;

namespace {

const TimePoint now = utc(2024, 8, 24, 1, 0);

std::size_t count_articles(Archive& archive) {
    return test::all_articles(archive).size();
}

void fill(const std::filesystem::path& path) {
    auto archive = Archive::open(path, OpenMode::read_write);
    auto parsed = test::cgtn_china();
    archive.commit_poll(test::china_source(), &parsed, FeedState{}, now);
}

// An archive of cgtn-china.rss at `path` that stands in for a full disk: an entry with the guid
// "second" cannot be written.
Archive refusing_entry_second(const std::filesystem::path& path) {
    fill(path);
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec(
            "CREATE TRIGGER fail_write BEFORE INSERT ON entries WHEN new.guid = 'second' "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    }
    return Archive::open(path, OpenMode::read_write);
}

ParsedFeed first_and_second() {
    ParsedFeed parsed;
    for (const char* guid : {"first", "second"}) {
        Entry entry;
        entry.id = guid;
        entry.title = guid;
        entry.link = std::string("https://example.org/") + guid;
        parsed.entries.push_back(entry);
    }
    return parsed;
}

FeedState state_with_etag(const std::string& name, const std::string& etag) {
    FeedState state;
    state.name = name;
    state.etag = etag;
    return state;
}

int user_version(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    return db.execAndGet("PRAGMA user_version").getInt();
}

std::string error_of(const std::filesystem::path& path, OpenMode mode) {
    try {
        static_cast<void>(Archive::open(path, mode));
    } catch (const StoreError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a new archive file is created in WAL mode at the latest schema version") {
    TempDir dir;
    auto path = dir / "feedd.db";
    fill(path);
    CHECK(user_version(path) == detail::latest_schema_version());
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
    CHECK(db.execAndGet("PRAGMA application_id").getInt() == detail::application_id);
    // The views documented for sqlite3 users answer without feedd's extension (as a plain sqlite3
    // reads them), text and search included.
    CHECK(db.execAndGet("SELECT count(*) FROM articles_v").getInt() == 3);
    CHECK(db.execAndGet("SELECT feeds FROM articles_v WHERE title LIKE 'Xi chairs%'").getString() ==
          "cgtn-china");
    CHECK(db.execAndGet("SELECT date FROM articles_v WHERE title LIKE 'Xi chairs%'").getString() ==
          "2024-08-23T05:52:31Z");
    CHECK(db.execAndGet("SELECT articles FROM feeds_v WHERE name = 'cgtn-china'").getInt() == 3);
    CHECK(db.execAndGet("SELECT count(*) FROM entries_v").getInt() == 3);
    CHECK(db.execAndGet("SELECT count(*) FROM revisions_v").getInt() == 0);
    CHECK(db.execAndGet("SELECT bytes_per_article > 0 FROM feeds_v WHERE name = 'cgtn-china'").getInt() == 1);
    CHECK(db.execAndGet("SELECT typeof(text) FROM entries WHERE title LIKE 'Xi chairs%'").getString() ==
          "text");
    CHECK(db.execAndGet("SELECT instr(text, 'Xi Jinping') > 0 FROM articles_v WHERE title LIKE 'Xi chairs%'")
              .getInt() == 1);
    const auto highlighted = db.execAndGet(
                                   "SELECT highlight(entries_fts, 2, '[', ']') FROM entries_fts "
                                   "WHERE entries_fts MATCH '\"xi jinping\"' LIMIT 1")
                                 .getString();
    INFO(highlighted);
    CHECK(highlighted.find("[Xi Jinping]") != std::string::npos);
    // The HTML is packed: its views need the extension (`.load libfeedd_sqlite` in sqlite3).
    CHECK(db.execAndGet("SELECT typeof(content) FROM entries WHERE title LIKE 'Xi chairs%'").getString() ==
          "blob");
    CHECK_THROWS_WITH(db.execAndGet("SELECT count(*) FROM entries_html_v"),
                      doctest::Contains("feedd_unpack"));
    db.loadExtension(FEEDD_SQLITE_EXTENSION_PATH, nullptr);
    CHECK(
        db.execAndGet("SELECT instr(h.content, '<p>') > 0 FROM entries_html_v h JOIN entries_v e USING (id) "
                      "WHERE e.title LIKE 'Xi chairs%'")
            .getInt() == 1);
    CHECK(
        db.execAndGet("SELECT count(*) FROM articles_html_v WHERE content <> '' OR summary <> ''").getInt() ==
        3);
    CHECK(db.execAndGet("SELECT count(*) FROM revisions_html_v").getInt() == 0);
}

TEST_CASE("the first read-write opening creates the archive's folder") {
    TempDir dir;
    auto path = dir / "var" / "lib" / "feedd.db";
    fill(path);
    CHECK(std::filesystem::exists(path));
}

TEST_CASE("read-only opening never creates a missing archive") {
    TempDir dir;
    auto path = dir / "missing.db";
    auto error = error_of(path, OpenMode::read_only);
    CHECK(error.find("no archive at") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("a file that is not an SQLite database is refused and left untouched") {
    TempDir dir;
    auto path = dir / "notes.txt";
    const std::string bytes = "These are my notes, not an archive.\n";
    test::write_file(path, bytes);
    for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
        auto error = error_of(path, mode);
        CHECK(error.find("not an SQLite database") != std::string::npos);
        CHECK(test::slurp(path) == bytes);
    }
    CHECK_FALSE(std::filesystem::exists(dir / "notes.txt-wal"));
}

TEST_CASE("a corrupt archive is refused and left untouched") {
    TempDir dir;
    auto path = dir / "feedd.db";
    fill(path);
    auto bytes = test::slurp(path);
    REQUIRE(bytes.size() > 4096);
    // Page 1 holds the schema: damage its b-tree header and cells, keep SQLite's magic.
    for (std::size_t i = 100; i < 4096; ++i) bytes[i] = static_cast<char>(0xA5);
    test::write_file(path, bytes);
    for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
        auto error = error_of(path, mode);
        CHECK(error.find("refusing") != std::string::npos);
        CHECK(error.find('\n') == std::string::npos);
        CHECK(test::slurp(path) == bytes);
    }
}

TEST_CASE("another application's SQLite database is refused") {
    TempDir dir;
    auto path = dir / "other.db";
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')");
    }
    auto bytes = test::slurp(path);
    CHECK(error_of(path, OpenMode::read_write).find("not a feedd archive") != std::string::npos);
    CHECK(test::slurp(path) == bytes);
}

TEST_CASE("an archive from a newer feedd is refused") {
    TempDir dir;
    auto path = dir / "feedd.db";
    fill(path);
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec("PRAGMA user_version = " + std::to_string(detail::latest_schema_version() + 1));
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    }
    auto bytes = test::slurp(path);
    for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
        auto error = error_of(path, mode);
        CHECK(error.find("newer than this feedd understands") != std::string::npos);
        CHECK(test::slurp(path) == bytes);
    }
}

TEST_CASE("an older archive is backed up, then migrated one transaction per step") {
    TempDir dir;
    auto path = dir / "feedd.db";
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        detail::migrate(db, 1);
        db.exec("INSERT INTO feeds (name, added_at) VALUES ('kept', 0)");
    }
    REQUIRE(user_version(path) == 1);
    CHECK(error_of(path, OpenMode::read_only).find("older schema") != std::string::npos);

    auto archive = Archive::open(path, OpenMode::read_write);
    CHECK(user_version(path) == detail::latest_schema_version());
    auto backup = dir / "feedd.db.v1.bak";
    REQUIRE(std::filesystem::exists(backup));
    CHECK(user_version(backup) == 1);
    SQLite::Database copy(backup, SQLite::OPEN_READONLY);
    CHECK(copy.execAndGet("SELECT name FROM feeds").getString() == "kept");
    CHECK(archive.feed_states().at(0).name == "kept");
}

TEST_CASE("a fresh archive needs no backup") {
    TempDir dir;
    fill(dir / "feedd.db");
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        files += entry.path().extension() == ".bak";
    CHECK(files == 0);
}

TEST_CASE("one writer at a time, readers never take the lock") {
    TempDir dir;
    auto path = dir / "feedd.db";
    CHECK_FALSE(Archive::is_locked(path));
    {
        auto writer = Archive::open(path, OpenMode::read_write);
        CHECK(Archive::is_locked(path));
        std::string error;
        try {
            static_cast<void>(Archive::open(path, OpenMode::read_write));
        } catch (const ArchiveBusy& e) {
            error = e.what();
        }
        CHECK(error.find("another feedd holds the archive") != std::string::npos);
        auto reader = Archive::open(path, OpenMode::read_only);
        CHECK(count_articles(reader) == 0);
        CHECK(Archive::is_locked(path));
    }
    CHECK_FALSE(Archive::is_locked(path));
    CHECK_NOTHROW(Archive::open(path, OpenMode::read_write));
}

TEST_CASE("a reader running while the writer commits sees whole polls only") {
    TempDir dir;
    auto path = dir / "feedd.db";
    auto writer = Archive::open(path, OpenMode::read_write);
    auto reader = Archive::open(path, OpenMode::read_only);
    constexpr int polls = 40;
    std::atomic<bool> done = false;
    std::atomic<int> odd_counts = 0, reads = 0, errors = 0;
    std::thread reading([&] {
        // Each poll adds two articles in one transaction: a reader never sees an odd count.
        std::size_t last = 0;
        while (!done.load()) {
            try {
                auto seen = count_articles(reader);
                if (seen % 2 != 0 || seen < last) ++odd_counts;
                last = seen;
                ++reads;
            } catch (const StoreError&) {
                ++errors;
            }
        }
    });
    // The writer starts once the reader has read: otherwise all the commits can end before the
    // reading thread is first scheduled, and it would read nothing while they happen.
    while (reads.load() == 0 && errors.load() == 0) std::this_thread::yield();
    FeedSource feed;
    feed.name = "busy";
    for (int i = 0; i < polls; ++i) {
        ParsedFeed parsed;
        for (int k = 0; k < 2; ++k) {
            Entry entry;
            entry.id = std::to_string(i) + "-" + std::to_string(k);
            entry.title = "Story " + entry.id;
            entry.link = "https://example.org/" + entry.id;
            entry.content = std::string(2000, 'x');
            parsed.entries.push_back(entry);
        }
        writer.commit_poll(feed, &parsed, FeedState{}, now);
    }
    done = true;
    reading.join();
    CHECK(odd_counts == 0);
    CHECK(errors == 0);
    CHECK(reads > 0);
    CHECK(count_articles(reader) == 2 * polls);
}

TEST_CASE("a failed write keeps nothing of the poll") {
    TempDir dir;
    auto archive = refusing_entry_second(dir / "feedd.db");
    auto before_state = archive.feed_state("cgtn-china");
    auto parsed = first_and_second();
    FeedState state;
    state.name = "cgtn-china";
    state.etag = "\"new\"";
    std::string error;
    try {
        archive.commit_poll(test::china_source(), &parsed, state, now);
    } catch (const StoreError& e) {
        error = e.what();
    }
    CHECK(error.find("disk is full") != std::string::npos);
    CHECK(count_articles(archive) == 3);  // "first" is not there either
    CHECK(archive.feed_state("cgtn-china") == before_state);
}

TEST_CASE("polls written together count and merge exactly as polls written one by one") {
    TempDir dir;
    auto china = test::china_source();
    auto politics = test::politics_source();
    auto china_feed = test::cgtn_china();
    auto politics_feed = test::cgtn_politics();
    const auto china_state = state_with_etag(china.name, "\"c1\"");
    const auto politics_state = state_with_etag(politics.name, "\"p1\"");

    auto one_by_one = Archive::open(dir / "single.db", OpenMode::read_write);
    auto single_china = one_by_one.commit_poll(china, &china_feed, china_state, now);
    auto single_politics = one_by_one.commit_poll(politics, &politics_feed, politics_state, now);

    auto together = Archive::open(dir / "batch.db", OpenMode::read_write);
    const std::vector<PollWrite> polls{{china, &china_feed, china_state, now},
                                       {politics, &politics_feed, politics_state, now}};
    auto results = together.commit_polls(polls);
    REQUIRE(results.size() == 2);
    CHECK(results[0].ok());
    CHECK(results[1].ok());
    CHECK(results[0].counts.new_articles == single_china.new_articles);
    CHECK(results[1].counts.new_articles == single_politics.new_articles);
    CHECK(results[1].counts.new_entries == single_politics.new_entries);
    // The seed article reaches both feeds: the second poll of the batch joins it, it is not new.
    CHECK(results[1].counts.new_entries > results[1].counts.new_articles);
    CHECK(count_articles(together) == count_articles(one_by_one));
    CHECK(together.feed_state(politics.name).etag == "\"p1\"");
    CHECK(together.check().empty());
}

TEST_CASE("a poll the archive refuses costs only that poll when written with others") {
    TempDir dir;
    auto archive = refusing_entry_second(dir / "feedd.db");
    const auto china_before = archive.feed_state("cgtn-china");
    const auto articles_before = count_articles(archive);

    auto refused = first_and_second();
    auto china = test::china_source();
    auto politics = test::politics_source();
    auto politics_feed = test::cgtn_politics();
    const auto china_state = state_with_etag(china.name, "\"new\"");
    const auto politics_state = state_with_etag(politics.name, "\"p1\"");
    const std::vector<PollWrite> polls{{politics, &politics_feed, politics_state, now},
                                       {china, &refused, china_state, now}};
    auto results = archive.commit_polls(polls);
    REQUIRE(results.size() == 2);
    CHECK(results[0].ok());
    CHECK(results[0].counts.new_articles > 0);
    CHECK_FALSE(results[1].ok());
    CHECK(results[1].error.find("disk is full") != std::string::npos);
    CHECK(count_articles(archive) ==
          articles_before + static_cast<std::size_t>(results[0].counts.new_articles));
    CHECK(archive.feed_state("cgtn-china") == china_before);  // "first" is not there either
    CHECK(archive.feed_state(politics.name).etag == "\"p1\"");
}

TEST_CASE("a read-only archive refuses writes with a StoreError") {
    TempDir dir;
    auto path = dir / "feedd.db";
    fill(path);
    auto reader = Archive::open(path, OpenMode::read_only);
    auto parsed = test::cgtn_china_2();
    CHECK_THROWS_AS(reader.commit_poll(test::china_source(), &parsed, FeedState{}, now), StoreError);
    CHECK_THROWS_AS(reader.vacuum(), StoreError);
    CHECK(count_articles(reader) == 3);
}

TEST_CASE("every per-feed statement is an index lookup, also without statistics") {
    TempDir dir;
    auto path = dir / "feedd.db";
    {
        auto archive = Archive::open(path, OpenMode::read_write);
        archive.sync_feeds({test::china_source(), test::politics_source()});
        auto china = test::cgtn_china(), china2 = test::cgtn_china_2(), politics = test::cgtn_politics();
        archive.commit_poll(test::china_source(), &china, FeedState{}, now);
        archive.commit_poll(test::china_source(), &china2, FeedState{}, now);
        archive.commit_poll(test::politics_source(), &politics, FeedState{}, now);
        archive.prune(1, now + std::chrono::days(2));
        auto again = test::cgtn_china();
        archive.commit_poll(test::china_source(), &again, FeedState{}, now);
        static_cast<void>(archive.feed_state("cgtn-china"));
        static_cast<void>(archive.article(1));
    }
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE IF EXISTS sqlite_stat1");
    auto statements = detail::prepared_sql();
    CHECK(statements.size() > 20);
    // The registry holds what every test of this process prepared (all of them when the binary
    // runs whole, not one case per process as under ctest), so the rules below cover the reader's
    // statements too.
    for (const auto& sql : statements) {
        if (sql.find("WHERE") == std::string::npos) continue;  // whole-table listings (feed_states)
        // Counts over every feed (the reader's read and unread counters) read every entry: that is
        // what they answer.
        const bool every_feed = sql.find("GROUP BY f.id") != std::string::npos;
        SQLite::Statement plan(db, "EXPLAIN QUERY PLAN " + sql);
        while (plan.executeStep()) {
            std::string detail = plan.getColumn(3).getString();
            INFO(sql);
            INFO(detail);
            bool full_scan = detail.starts_with("SCAN ") && detail != "SCAN CONSTANT ROW" &&
                             detail.find("VIRTUAL TABLE") == std::string::npos &&
                             detail.find("USING") == std::string::npos;
            // The feeds table itself is listed by the summaries, which is what they are for.
            CHECK((!full_scan || detail == "SCAN f" || (every_feed && detail == "SCAN e")));
        }
    }
}

TEST_CASE(
    "a feed's recent arrivals are read from the index alone and the word index merges 8 segments at a time, "
    "in a new and in a migrated archive") {
    TempDir dir;
    auto path = dir / "feedd.db";
    const TimePoint since = now - std::chrono::days(365 * 30);
    std::vector<EntryTimes> stored;
    {
        auto archive = Archive::open(path, OpenMode::read_write);
        archive.sync_feeds({test::china_source()});
        auto china = test::cgtn_china();
        archive.commit_poll(test::china_source(), &china, FeedState{}, now);
        stored = archive.entry_times("cgtn-china", since);
    }
    REQUIRE(stored.size() == 3);
    // The statement the adaptive interval runs for every feed a poll stores reads no entry's row
    // (rows are kilobytes: one page read per entry).
    const auto read_only_from_index = [&] {
        auto statements = detail::prepared_sql();
        auto sql = std::find_if(statements.begin(), statements.end(), [](const std::string& text) {
            return text.find("SELECT e.published, e.first_seen FROM entries e") != std::string::npos;
        });
        REQUIRE(sql != statements.end());
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        SQLite::Statement plan(db, "EXPLAIN QUERY PLAN " + *sql);
        bool covered = false;
        while (plan.executeStep()) {
            const std::string detail = plan.getColumn(3).getString();
            INFO(detail);
            if (detail.find(" e ") != std::string::npos || detail.ends_with(" e"))
                covered = detail.find("USING COVERING INDEX entries_by_feed_seen") != std::string::npos;
        }
        return covered;
    };
    const auto automerge = [&] {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        SQLite::Statement select(db, "SELECT v FROM entries_fts_config WHERE k = 'automerge'");
        return select.executeStep() ? select.getColumn(0).getInt() : 4;  // FTS5's default
    };
    CHECK(read_only_from_index());
    CHECK(automerge() == 8);

    // An archive of schema v8, whose index held no published dates, gets them on opening; the
    // arrivals read are the same.
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec("DROP INDEX entries_by_feed_seen");
        db.exec("CREATE INDEX entries_by_feed_seen ON entries(feed_id, first_seen)");
        db.exec("DELETE FROM entries_fts_config WHERE k = 'automerge'");
        db.exec("PRAGMA user_version = 8");
    }
    CHECK_FALSE(read_only_from_index());
    CHECK(automerge() == 4);
    auto archive = Archive::open(path, OpenMode::read_write);
    CHECK(user_version(path) == detail::latest_schema_version());
    CHECK(read_only_from_index());
    CHECK(automerge() == 8);
    const auto again = archive.entry_times("cgtn-china", since);
    REQUIRE(again.size() == stored.size());
    for (std::size_t i = 0; i < again.size(); ++i) {
        CHECK(again[i].published == stored[i].published);
        CHECK(again[i].first_seen == stored[i].first_seen);
    }
}

TEST_CASE("the writer's WAL is checkpointed into the archive as it grows") {
    TempDir dir;
    auto path = dir / "feedd.db";
    auto writer = Archive::open(path, OpenMode::read_write);
    FeedSource feed;
    feed.name = "steady";
    // About 10 MB of entries in 200 polls: more than twice SQLite's automatic checkpoint threshold
    // (1000 pages). The plain text is stored as it is and the HTML packs against it to almost
    // nothing, so the text is random letters (a repeated letter would index to a few bytes).
    std::uint32_t seed = 22;
    auto letters = [&seed](std::size_t n) {
        std::string out(n, ' ');
        for (auto& c : out) {
            seed = seed * 1664525u + 1013904223u;
            c = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[(seed >> 8) % 62];
        }
        return out;
    };
    for (int poll = 0; poll < 200; ++poll) {
        ParsedFeed parsed;
        for (int k = 0; k < 10; ++k) {
            Entry entry;
            entry.id = std::to_string(poll) + "-" + std::to_string(k);
            entry.title = "Story " + entry.id;
            entry.content = "<p>" + letters(5000) + " " + entry.id + "</p>";
            parsed.entries.push_back(entry);
        }
        writer.commit_poll(feed, &parsed, FeedState{}, now);
        static_cast<void>(writer.feed_state("steady"));  // reads between polls must not pin the WAL either
    }
    CHECK(std::filesystem::file_size(path) > 2'000'000);
    auto wal = path;
    wal += "-wal";
    CHECK(std::filesystem::file_size(wal) < 16'000'000);
}
