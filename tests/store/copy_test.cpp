// `Archive::copy` (`feedd db copy`): a whole archive from SQLite to a real PostgreSQL and back,
// every table, ids kept; a target that is not empty refused; a copy that does not read back as its
// source rolled back.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "store/tables.hpp"
#include "support/old_archive.hpp"
#include "support/postgres.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::PostgresDatabase;

namespace {

std::string when(const std::optional<TimePoint>& time) {
    return time ? format_utc(*time) : "-";
}

// Everything `feedd query` and `feedd show --revisions` show of the archive, as one text.
std::string everything_shown(Archive& archive) {
    std::ostringstream out;
    ArticleQuery all;
    all.limit = 0;
    for (const auto& row : archive.query(all)) {
        out << row.id << '|' << row.title << '|' << row.link << '|' << row.author << '|'
            << when(row.published) << '|' << format_utc(row.first_seen) << '|' << format_utc(row.date) << '|'
            << row.summary << '|';
        for (const auto& feed : row.feeds) out << feed << ',';
        const auto article = archive.article(row.id);
        REQUIRE(article);
        out << "\n  " << article->canonical_link << '|' << article->fullest_entry << '\n';
        if (const auto page = archive.page(row.id)) {
            out << "  page " << page->url << '|' << page->final_url << '|' << page->status << '|'
                << when(page->fetched_at) << '|' << page->title << '|' << page->html << '|' << page->text
                << '\n';
            for (const auto& r : page->revisions)
                out << "    page revision " << r.html << '|' << r.text << '\n';
        }
        for (const auto& e : article->entries) {
            out << "  " << e.id << '|' << e.feed << '|' << e.guid << '|' << e.identity << '|' << e.entry.title
                << '|' << e.entry.link << '|' << e.entry.author << '|' << when(e.entry.published) << '|'
                << when(e.entry.updated) << '|' << e.entry.image << '|' << e.entry.summary << '|'
                << e.entry.content << '|' << e.text << '|' << format_utc(e.first_seen) << '|'
                << when(e.changed_at) << '\n';
            for (const auto& category : e.entry.categories) out << "    category " << category << '\n';
            for (const auto& enclosure : e.entry.enclosures)
                out << "    enclosure " << enclosure.url << '|' << enclosure.type << '|'
                    << (enclosure.length ? std::to_string(*enclosure.length) : "-") << '\n';
            for (const auto& r : e.revisions)
                out << "    revision " << format_utc(r.recorded_at) << '|' << r.title << '|' << r.summary
                    << '|' << r.content << '|' << r.text << '\n';
        }
    }
    for (const auto& feed : archive.feed_summaries()) {
        const auto& s = feed.state;
        out << feed.name << '|' << feed.url << '|' << feed.title << '|' << feed.configured << '|'
            << feed.articles << '|' << feed.entries << '|' << feed.recent_gap_items << '|' << s.etag << '|'
            << s.last_modified << '|' << s.last_status << '\n';
    }
    for (const auto& counts : archive.read_counts("ann"))
        out << "ann " << counts.feed << ' ' << counts.read << ' ' << counts.unread << '\n';
    return out.str();
}

std::int64_t highest_article(Archive& archive) {
    ArticleQuery all;
    all.limit = 0;
    std::int64_t highest = 0;
    for (const auto& row : archive.query(all)) highest = std::max(highest, row.id);
    return highest;
}

// A poll of a new feed after the copy: its article takes the next id, not one of the copied.
std::int64_t new_article(Archive& archive) {
    FeedSource feed;
    feed.name = "after-the-copy";
    feed.url = "https://example.org/after.xml";
    ParsedFeed parsed;
    parsed.format = FeedFormat::rss20;
    Entry entry;
    entry.id = "after-1";
    entry.title = "Written after the copy";
    entry.link = "https://example.org/after-1";
    entry.summary = "Chengdu again.";
    parsed.entries.push_back(entry);
    const auto counts = archive.commit_poll(feed, &parsed, FeedState{}, test::seed_poll2);
    REQUIRE(counts.new_article_ids.size() == 1);
    return counts.new_article_ids.front();
}

std::vector<std::string> search(Archive& archive, const std::string& words) {
    ArticleQuery query;
    query.search = words;
    std::vector<std::string> titles;
    for (const auto& row : archive.query(query)) titles.push_back(row.title);
    std::sort(titles.begin(), titles.end());
    return titles;
}

std::string copy_error(const Location& from, const Location& to) {
    try {
        static_cast<void>(Archive::copy(from, to));
    } catch (const StoreError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("db copy: an SQLite archive into PostgreSQL and back, every table, ids kept, the same archive") {
    test::TempDir dir;
    const Location sqlite{dir / "feedd.db", {}};
    auto writer = Archive::open(sqlite, OpenMode::read_write);
    test::commit_every_kind_of_row(writer);
    const auto shown = everything_shown(writer);
    const auto highest = highest_article(writer);

    // The daemon may hold the source: the copy reads a snapshot and takes no lock there.
    PostgresDatabase db;
    const Location postgres{db.uri(), {}};
    std::vector<std::string> progress;
    const auto there =
        Archive::copy(sqlite, postgres, [&](const std::string& table, std::int64_t done, std::int64_t) {
            progress.push_back(table + " " + std::to_string(done));
        });
    CHECK(there.committed);
    REQUIRE(there.tables.size() == std::size(detail::archive_tables));
    for (const auto& table : there.tables) {
        CAPTURE(table.name);
        CHECK(table.same());
        CHECK(table.source_rows > 0);  // a row of every kind went across
    }
    CHECK(std::find(progress.begin(), progress.end(),
                    "entries " + std::to_string(there.tables[4].source_rows)) != progress.end());

    auto on_postgres = Archive::open(postgres, OpenMode::read_write);
    CHECK(everything_shown(on_postgres) == shown);
    CHECK(search(on_postgres, "Chengdu") ==
          std::vector<std::string>{"Chengdu hosts western development forum"});
    CHECK(search(on_postgres, "西部") == std::vector<std::string>{"西部大开发新格局"});

    // And back into a new SQLite file, whose search indexes are built from the copied rows.
    const Location back{dir / "back.db", {}};
    const auto home = Archive::copy(postgres, back);
    CHECK(home.committed);
    for (const auto& table : home.tables) {
        CAPTURE(table.name);
        CHECK(table.same());
        CHECK(table.source_checksum == there.tables[&table - home.tables.data()].source_checksum);
    }
    auto on_sqlite = Archive::open(back, OpenMode::read_write);
    CHECK(everything_shown(on_sqlite) == shown);
    CHECK(search(on_sqlite, "Chengdu") ==
          std::vector<std::string>{"Chengdu hosts western development forum"});
    CHECK(search(on_sqlite, "西部") == std::vector<std::string>{"西部大开发新格局"});
    CHECK(on_sqlite.check().empty());
    CHECK(on_postgres.check().empty());

    // New rows take ids after the copied ones (PostgreSQL's sequences were moved past them).
    CHECK(new_article(on_postgres) > highest);
    CHECK(new_article(on_sqlite) > highest);
}

TEST_CASE("db copy refuses a target that holds anything, and leaves it as it was") {
    test::TempDir dir;
    const Location sqlite{dir / "feedd.db", {}};
    {
        auto archive = Archive::open(sqlite, OpenMode::read_write);
        test::commit_seed_polls(archive);
    }
    PostgresDatabase db;
    const Location postgres{db.uri(), {}};
    {
        auto archive = Archive::open(postgres, OpenMode::read_write);
        archive.sync_feeds({test::china_source()});
    }
    const auto error = copy_error(sqlite, postgres);
    CHECK(error.find("refusing to copy into " + db.uri() + ": it is not empty (feeds: 1 rows)") == 0);
    CHECK(error.find('\n') == std::string::npos);
    auto target = Archive::open(postgres, OpenMode::read_only);
    CHECK(target.article_count() == 0);
    CHECK(target.feed_states().size() == 1);

    const Location other{dir / "other.db", {}};
    {
        auto archive = Archive::open(other, OpenMode::read_write);
        test::commit_seed_polls(archive);
    }
    CHECK(
        copy_error(sqlite, other).find("it is not empty (feeds: 2, feed_state: 2, articles: 5, entries: 6") !=
        std::string::npos);
    CHECK(Archive::open(other, OpenMode::read_only).article_count() == 5);
}

TEST_CASE("db copy refuses an older archive that holds anything before migrating it") {
    test::TempDir dir;
    const Location sqlite{dir / "feedd.db", {}};
    {
        auto archive = Archive::open(sqlite, OpenMode::read_write);
        test::commit_seed_polls(archive);
    }
    const auto old_path = dir / "old.db";
    {
        test::OldArchive old(old_path, 3);
        old.add_feed("kept", 1700000000);
        test::OldRow row;
        row.feed = "kept";
        row.identity = "guid:1";
        row.content_hash = "0";
        row.guid = "1";
        row.first_seen = 1700000000;
        row.title = "Kept as it was";
        old.add_entry(row);
    }
    const auto error = copy_error(sqlite, Location{old_path, {}});
    CHECK(error.find("it is not empty (feeds: 1, articles: 1, entries: 1 rows)") != std::string::npos);
    // Neither migrated nor backed up: the refused file is as it was.
    SQLite::Database db(old_path.string(), SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 3);
    CHECK(db.execAndGet("SELECT title FROM entries").getString() == "Kept as it was");
    for (const auto& file : std::filesystem::directory_iterator(dir.path()))
        CHECK(file.path().filename().string().find(".bak") == std::string::npos);
}

// PostgreSQL's text holds valid UTF-8 only; SQLite keeps whatever bytes a hand edit wrote. Such a
// value is stored changed (U+FFFD), so the target does not read back as the source: the copy says
// so and commits nothing.
TEST_CASE(
    "db copy: a value the target cannot keep as it is makes the comparison fail, and nothing is written") {
    test::TempDir dir;
    const Location sqlite{dir / "feedd.db", {}};
    {
        auto archive = Archive::open(sqlite, OpenMode::read_write);
        test::commit_seed_polls(archive);
    }
    {
        SQLite::Database raw(sqlite.path.string(), SQLite::OPEN_READWRITE);
        raw.exec("UPDATE entries SET author = CAST(X'4341ff' AS TEXT) WHERE id = 1");
    }
    PostgresDatabase db;
    const Location postgres{db.uri(), {}};
    const auto report = Archive::copy(sqlite, postgres);
    CHECK_FALSE(report.committed);
    for (const auto& table : report.tables) {
        CAPTURE(table.name);
        CHECK(table.source_rows == table.target_rows);
        CHECK(table.same() == (table.name != "entries"));
    }
    auto target = Archive::open(postgres, OpenMode::read_only);
    CHECK(target.article_count() == 0);
    CHECK(target.feed_states().empty());
}

// The copy's list of tables (src/store/tables.hpp) is the archive's: a table added to the schema
// and not to the list would be left behind by every copy.
TEST_CASE("every table of a new archive, on either store, is in the copy's list") {
    std::vector<std::string> listed;
    for (const auto& table : detail::archive_tables) listed.emplace_back(table.name);
    std::sort(listed.begin(), listed.end());

    test::TempDir dir;
    static_cast<void>(Archive::open(dir / "feedd.db", OpenMode::read_write));
    SQLite::Database sqlite((dir / "feedd.db").string(), SQLite::OPEN_READONLY);
    // Not the search indexes (FTS5 tables and their shadow tables), which the copy rebuilds.
    SQLite::Statement tables(sqlite, R"sql(
SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'
ORDER BY name)sql");
    std::vector<std::string> on_sqlite;
    while (tables.executeStep()) on_sqlite.push_back(tables.getColumn(0).getString());
    CHECK(on_sqlite == listed);

    PostgresDatabase db;
    static_cast<void>(Archive::open(db.uri(), OpenMode::read_write));
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(db.uri().c_str()), PQfinish);
    REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(
        PQexec(conn.get(),
               "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
               "AND table_type = 'BASE TABLE' AND table_name <> 'feedd_schema' ORDER BY table_name COLLATE "
               "\"C\""),
        PQclear);
    REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
    std::vector<std::string> on_postgres;
    // Not the nodes running on it and their leases (tables.hpp, cluster_tables): not the archive;
    // nor what the store derives from it (derived_tables), as SQLite's FTS5 tables.
    auto among = [](const auto& list, const std::string& name) {
        return std::find(std::begin(list), std::end(list), name) != std::end(list);
    };
    for (int i = 0; i < PQntuples(result.get()); ++i) {
        const std::string name = PQgetvalue(result.get(), i, 0);
        if (!among(detail::cluster_tables, name) && !among(detail::derived_tables, name))
            on_postgres.push_back(name);
    }
    CHECK(on_postgres == listed);
}
