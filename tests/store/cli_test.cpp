// The archive's commands, run as the `feedd` binary against archives the test writes.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::TempDir;
using feedd::test::utc;

namespace {

// `feedd ARGS...` with its output files in `dir`.
test::ProcessResult feedd_cli(const TempDir& dir, const std::vector<std::string>& args) {
    return test::run_feedd(dir.path(), args);
}

std::filesystem::path seeded_archive(const TempDir& dir) {
    auto path = dir / "feedd.db";
    auto archive = Archive::open(path, OpenMode::read_write);
    test::commit_seed_polls(archive);
    return path;
}

// An article whose feed put terminal escapes, formula starts and broken UTF-8 into its text.
std::filesystem::path hostile_archive(const TempDir& dir) {
    auto path = dir / "hostile.db";
    auto archive = Archive::open(path, OpenMode::read_write);
    FeedSource feed;
    feed.name = "hostile";
    ParsedFeed parsed;
    Entry entry;
    entry.id = "1";
    entry.title =
        "=HYPERLINK(\"http://evil\") \x1b]0;owned\x07 \x1b[31mred\x1b[0m \xc2\x9b"
        "2J \xe2\x80\xae"
        "evil";
    entry.link = "https://example.org/1";
    entry.author = "-2+3";
    entry.summary = "bad utf8 \xff\xfe end";
    parsed.entries.push_back(entry);
    archive.commit_poll(feed, &parsed, FeedState{}, utc(2024, 1, 1));
    return path;
}

// The SQL of README's examples for a plain `sqlite3 -readonly var/feedd.db`: the statements on
// that line and in the indented lines after it.
std::vector<std::string> readme_sqlite3_statements() {
    std::istringstream readme(test::read_fixture("../../README.md"));
    std::vector<std::string> statements;
    std::string line, current;
    bool in_example = false;
    const std::string marker = "sqlite3 -readonly var/feedd.db";
    while (std::getline(readme, line)) {
        if (const auto at = line.find(marker); at != std::string::npos) {
            in_example = true;
            line = line.substr(at + marker.size());
        } else if (!in_example || !line.starts_with("    ")) {
            in_example = false;
            continue;
        }
        const auto first = line.find_first_not_of(" \\\"");
        if (first == std::string::npos) continue;
        line = line.substr(first, line.find_last_not_of(" \\\"") + 1 - first);
        current += (current.empty() ? "" : " ") + line;
        if (current.ends_with(';')) statements.push_back(std::exchange(current, {}));
    }
    return statements;
}

}  // namespace

TEST_CASE("README's sqlite3 examples answer in a plain sqlite3, without feedd's extension") {
    TempDir dir;
    const auto db = seeded_archive(dir).string();
    const auto statements = readme_sqlite3_statements();
    REQUIRE(statements.size() >= 4);
    for (const auto& sql : statements) {
        INFO(sql);
        test::Process sqlite3(dir.path(), {"/usr/bin/sqlite3", "-readonly", "-bail", db, sql});
        const auto result = sqlite3.wait();
        CHECK(result.exit_code == 0);
        CHECK(result.err.empty());
        // The search example finds its article; the listings list something (42 is no article here).
        if (sql.find("= 42") == std::string::npos) CHECK_FALSE(result.out.empty());
    }
}

TEST_CASE("feedd query lists the archive newest first, in every format") {
    TempDir dir;
    auto db = seeded_archive(dir).string();
    auto table = feedd_cli(dir, {"--db", db, "query"});
    CHECK(table.exit_code == 0);
    CHECK(table.out.find("Chengdu hosts western development forum") < table.out.find("Xi chairs"));
    CHECK(table.out.find("cgtn-china,cgtn-politics") != std::string::npos);

    auto json = feedd_cli(dir, {"--db", db, "query", "--format", "json", "--limit", "0"});
    REQUIRE(json.exit_code == 0);
    auto rows = nlohmann::json::parse(json.out);
    CHECK(rows.size() == 5);
    CHECK(rows[0]["title"] == "Chengdu hosts western development forum");
    CHECK(rows[0]["date"] == "2024-08-24T00:00:00Z");

    auto ndjson = feedd_cli(dir, {"--db", db, "query", "--format", "ndjson", "--feed", "cgtn-politics"});
    CHECK(ndjson.exit_code == 0);
    CHECK(std::count(ndjson.out.begin(), ndjson.out.end(), '\n') == 2);

    auto csv = feedd_cli(dir, {"--db", db, "query", "--format", "csv", "--search", "hydro"});
    CHECK(csv.exit_code == 0);
    CHECK(csv.out.starts_with("id,date,published,first_seen,feeds,title,link,author,snippet\r\n"));
    CHECK(csv.out.find("[hydro]") != std::string::npos);

    auto since = feedd_cli(dir, {"--db", db, "query", "--since", "2024-08-23", "--until",
                                 "2024-08-23T23:59:59Z", "--format", "ndjson"});
    CHECK(since.exit_code == 0);
    CHECK(std::count(since.out.begin(), since.out.end(), '\n') == 1);
    auto recent = feedd_cli(dir, {"--db", db, "query", "--since", "7d"});
    CHECK(recent.exit_code == 0);
    CHECK(recent.out.empty());  // the fixtures are from 2024

    auto cursor = feedd_cli(dir, {"--db", db, "query", "--after-id", "3", "--format", "ndjson"});
    CHECK(cursor.exit_code == 0);
    CHECK(nlohmann::json::parse(cursor.out.substr(0, cursor.out.find('\n')))["id"] == 4);
}

TEST_CASE("feedd query: mistakes are one line and exit status 2") {
    TempDir dir;
    auto db = seeded_archive(dir).string();
    for (const auto& args : std::vector<std::vector<std::string>>{{"--since", "yesterday"},
                                                                  {"--until", "2024-13-01"},
                                                                  {"--since", "2024-02-30"},
                                                                  {"--search", "\"unterminated"},
                                                                  {"--search", "AND"},
                                                                  {"--search", "*"},
                                                                  {"--search", "x:y"},
                                                                  {"--feed", "nope"},
                                                                  {"--format", "xml"},
                                                                  {"--limit", "-1"}}) {
        std::vector<std::string> command{"--db", db, "query"};
        command.insert(command.end(), args.begin(), args.end());
        auto run = feedd_cli(dir, command);
        CAPTURE(args[0]);
        CAPTURE(run.err);
        CHECK(run.exit_code == 2);
        CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
        CHECK(run.out.empty());
    }
}

TEST_CASE("read commands never create a missing archive") {
    TempDir dir;
    auto missing = (dir / "none.db").string();
    for (const auto& command :
         std::vector<std::vector<std::string>>{{"query"},
                                               {"show", "1"},
                                               {"db", "check"},
                                               {"db", "backup", (dir / "copy.db").string()},
                                               {"db", "vacuum"}}) {
        std::vector<std::string> args{"--db", missing};
        args.insert(args.end(), command.begin(), command.end());
        auto run = feedd_cli(dir, args);
        CAPTURE(command[0]);
        CHECK(run.exit_code == 1);
        CHECK(run.err.find("no archive at") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(missing));
    }
}

TEST_CASE("feedd show prints the article with its feeds and revisions") {
    TempDir dir;
    auto db = seeded_archive(dir).string();
    auto text = feedd_cli(dir, {"--db", db, "show", "1", "--revisions"});
    CHECK(text.exit_code == 0);
    CHECK(text.out.starts_with(test::seed_title + "\n"));
    CHECK(text.out.find("Feeds:   cgtn-china, cgtn-politics") != std::string::npos);
    CHECK(text.out.find("according to a statement released after it.") != std::string::npos);
    CHECK(text.out.find("[before 2024-08-24T01:00:00Z]") != std::string::npos);

    auto json = feedd_cli(dir, {"--db", db, "show", "1", "--format", "json", "--revisions"});
    REQUIRE(json.exit_code == 0);
    auto article = nlohmann::json::parse(json.out);
    CHECK(article["feeds"] == nlohmann::json::array({"cgtn-china", "cgtn-politics"}));
    REQUIRE(article["entries"].size() == 2);
    CHECK(article["entries"][0]["revisions"].size() == 1);
    CHECK(article["entries"][1]["revision_count"] == 0);

    auto missing = feedd_cli(dir, {"--db", db, "show", "99"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err == "feedd: no article 99 in the archive\n");
    CHECK(feedd_cli(dir, {"--db", db, "show", "abc"}).exit_code == 2);
}

TEST_CASE("feed text reaches terminals, CSV and JSON safely") {
    TempDir dir;
    auto db = hostile_archive(dir).string();
    auto table = feedd_cli(dir, {"--db", db, "query"});
    CHECK(table.exit_code == 0);
    CHECK(table.out.find('\x1b') == std::string::npos);
    CHECK(table.out.find('\x07') == std::string::npos);
    CHECK(table.out.find("\xc2\x9b") == std::string::npos);
    CHECK(table.out.find("\xe2\x80\xae") == std::string::npos);
    CHECK(table.out.find("red") != std::string::npos);
    auto show = feedd_cli(dir, {"--db", db, "show", "1"});
    CHECK(show.out.find('\x1b') == std::string::npos);

    auto csv = feedd_cli(dir, {"--db", db, "query", "--format", "csv"});
    REQUIRE(csv.exit_code == 0);
    auto line = csv.out.substr(csv.out.find("\r\n") + 2);
    CHECK(line.find(",\"'=HYPERLINK") != std::string::npos);  // the formula is inert text
    CHECK(line.find(",\"'-2+3\",") != std::string::npos);
    CHECK(line.find('\x1b') == std::string::npos);

    auto json = feedd_cli(dir, {"--db", db, "query", "--format", "json"});
    REQUIRE(json.exit_code == 0);
    auto rows = nlohmann::json::parse(json.out);  // throws on invalid UTF-8
    CHECK(rows[0]["summary"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
}

TEST_CASE("feedd db backup, check, vacuum and prune") {
    TempDir dir;
    auto db = seeded_archive(dir).string();
    auto copy = (dir / "copy.db").string();
    auto backup = feedd_cli(dir, {"--db", db, "db", "backup", copy});
    CHECK(backup.exit_code == 0);
    CAPTURE(backup.err);
    auto copied = Archive::open(copy, OpenMode::read_only);
    ArticleQuery all;
    all.limit = 0;
    CHECK(copied.query(all).size() == 5);
    CHECK(feedd_cli(dir, {"--db", db, "db", "backup", db}).exit_code == 1);  // not onto itself

    auto check = feedd_cli(dir, {"--db", db, "db", "check"});
    CHECK(check.exit_code == 0);
    CHECK(check.out.starts_with("ok"));

    {
        // While a daemon holds the archive: reading commands work, vacuum and prune refuse.
        auto writer = Archive::open(db, OpenMode::read_write);
        CHECK(feedd_cli(dir, {"--db", db, "db", "check"}).exit_code == 0);
        CHECK(feedd_cli(dir, {"--db", db, "query"}).exit_code == 0);
        auto vacuum = feedd_cli(dir, {"--db", db, "db", "vacuum"});
        CHECK(vacuum.exit_code == 1);
        CHECK(vacuum.err.find("another feedd holds the archive") != std::string::npos);
    }
    CHECK(feedd_cli(dir, {"--db", db, "db", "vacuum"}).exit_code == 0);

    auto prune = feedd_cli(dir, {"--db", db, "db", "prune", "--keep-days", "30"});
    CHECK(prune.exit_code == 0);
    CHECK(prune.out == "pruned 5 article(s), 6 entries\n");  // the fixtures are from 2024
    CHECK(feedd_cli(dir, {"--db", db, "db", "check"}).exit_code == 0);
}

TEST_CASE("feedd db check reports a damaged search index of archived pages") {
    TempDir dir;
    auto db = seeded_archive(dir);
    {
        auto archive = Archive::open(db, OpenMode::read_write);
        archive.request_pages({{1, "https://news.example/story"}}, test::seed_poll1);
        PageFetch page;
        page.article_id = 1;
        page.url = page.final_url = "https://news.example/story";
        page.status = 200;
        page.tried_at = test::seed_poll1;
        page.title = "The story";
        page.text = "The whole story, paragraph after paragraph.";
        page.html = "<p>" + page.text + "</p>";
        page.method = "heuristic";
        static_cast<void>(archive.record_page(page));
    }
    CHECK(feedd_cli(dir, {"--db", db.string(), "db", "check"}).exit_code == 0);
    {
        SQLite::Database raw(db, SQLite::OPEN_READWRITE);
        raw.exec("UPDATE pages SET text = 'tampered' WHERE article_id = 1");
    }
    auto check = feedd_cli(dir, {"--db", db.string(), "db", "check"});
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("search index pages_fts") != std::string::npos);
}

TEST_CASE("feedd db check reports a damaged search index") {
    TempDir dir;
    auto db = seeded_archive(dir);
    {
        SQLite::Database raw(db, SQLite::OPEN_READWRITE);
        // Text changed behind feedd's back: the index no longer matches the entries.
        raw.exec("UPDATE entries SET title = 'tampered' WHERE id = 1");
    }
    auto check = feedd_cli(dir, {"--db", db.string(), "db", "check"});
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("search index entries_fts") != std::string::npos);
}
