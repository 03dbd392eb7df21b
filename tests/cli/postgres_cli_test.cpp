// feedd with a PostgreSQL archive, end to end: feeds.toml names a postgresql:// database, a poll
// over HTTP fills it, and query, show, feeds list and status read it.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/postgres.hpp"
#include "support/process.hpp"

using namespace feedd::test;

TEST_CASE("a postgresql:// database: poll, query, show, feeds list and status") {
    HttpServer server;
    const auto feed = read_fixture("cgtn-china.rss");
    server.route("/china.xml", [&](const Request&) { return Response::text(feed, "application/rss+xml"); });
    PostgresDatabase db;
    TempDir dir;
    write_file(dir / "feeds.toml", one_feed_config(db.uri(), "cgtn-china", server.url("/china.xml")));
    const std::string config = (dir / "feeds.toml").string();

    auto first = run_feedd(dir.path(), {"--config", config, "poll", "--once"});
    INFO("stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.find("cgtn-china: updated, HTTP 200, 3 new") != std::string::npos);
    auto second = run_feedd(dir.path(), {"--config", config, "poll", "--once", "--force"});
    REQUIRE(second.exit_code == 0);
    CHECK(second.out.find("0 new") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir / "postgresql:"));  // not taken for a relative path

    auto listed = run_feedd(dir.path(), {"--config", config, "query", "--format", "json"});
    INFO("stderr: " << listed.err);
    REQUIRE(listed.exit_code == 0);
    const auto rows = nlohmann::json::parse(listed.out);
    REQUIRE(rows.size() == 3);

    auto found = run_feedd(
        dir.path(), {"--config", config, "query", "--search", "\"political bureau\"", "--format", "json"});
    REQUIRE(found.exit_code == 0);
    const auto hits = nlohmann::json::parse(found.out);
    REQUIRE(hits.size() == 1);
    const auto id = hits[0]["id"].get<std::int64_t>();
    CHECK(hits[0]["title"] == "Xi chairs CPC leadership meeting on developing China's western region");
    auto snippet = hits[0]["snippet"].get<std::string>();
    std::transform(snippet.begin(), snippet.end(), snippet.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    CHECK(snippet.find("[political] [bureau]") != std::string::npos);

    auto bad = run_feedd(dir.path(), {"--config", config, "query", "--search", "\"unterminated"});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("bad search") != std::string::npos);

    auto shown = run_feedd(dir.path(), {"--config", config, "show", std::to_string(id), "--revisions"});
    INFO("stderr: " << shown.err);
    REQUIRE(shown.exit_code == 0);
    CHECK(shown.out.find("chaired the meeting") != std::string::npos);

    auto feeds = run_feedd(dir.path(), {"--config", config, "feeds", "list"});
    INFO("stderr: " << feeds.err);
    REQUIRE(feeds.exit_code == 0);
    CHECK(feeds.out.find("cgtn-china") != std::string::npos);

    auto status = run_feedd(dir.path(), {"--config", config, "status", "--format", "json"});
    INFO("stderr: " << status.err);
    CHECK(status.exit_code == 2);  // no daemon running
    const auto report = nlohmann::json::parse(status.out);
    CHECK(report["articles"] == 3);
    CHECK(report["running"] == false);
    CHECK(report["archive"] == db.uri());

    auto check = run_feedd(dir.path(), {"--config", config, "db", "check"});
    CHECK(check.exit_code == 0);
    auto backup = run_feedd(dir.path(), {"--config", config, "db", "backup", (dir / "copy.db").string()});
    CHECK(backup.exit_code != 0);
    CHECK(backup.err.find("pg_dump") != std::string::npos);
}

TEST_CASE("before the first run on a postgresql:// database, the reading commands show feeds.toml") {
    // The database exists (an administrator created it) but feedd has not written its schema:
    // that is "nothing archived yet", as a missing SQLite file is, and nothing gets created.
    PostgresDatabase db;
    TempDir dir;
    write_file(dir / "feeds.toml", one_feed_config(db.uri(), "cgtn-china", "https://news.example/china.xml"));
    const std::string config = (dir / "feeds.toml").string();

    auto feeds = run_feedd(dir.path(), {"--config", config, "feeds", "list"});
    INFO("stderr: " << feeds.err);
    REQUIRE(feeds.exit_code == 0);
    CHECK(feeds.out.find("cgtn-china") != std::string::npos);

    auto opml = run_feedd(dir.path(), {"--config", config, "export-opml"});
    INFO("stderr: " << opml.err);
    REQUIRE(opml.exit_code == 0);
    CHECK(opml.out.find("https://news.example/china.xml") != std::string::npos);

    auto query = run_feedd(dir.path(), {"--config", config, "query"});
    CHECK(query.exit_code == 0);
    CHECK(query.err.find("nothing archived yet: " + db.uri() + " holds no archive") != std::string::npos);

    auto prune = run_feedd(dir.path(), {"--config", config, "db", "prune", "--keep-days", "30"});
    INFO("prune stderr: " << prune.err);
    CHECK(prune.exit_code == 1);
    CHECK(prune.err.find("no archive at postgresql://") != std::string::npos);

    auto status = run_feedd(dir.path(), {"--config", config, "status", "--format", "json"});
    INFO("stderr: " << status.err);
    const auto report = nlohmann::json::parse(status.out);
    CHECK(report["articles"] == 0);
    CHECK(report["running"] == false);

    // Still no schema: a reading command never creates the archive.
    auto again = run_feedd(dir.path(), {"--config", config, "feeds", "list"});
    CHECK(again.exit_code == 0);
    auto still = run_feedd(dir.path(), {"--config", config, "query"});
    CHECK(still.err.find("holds no archive") != std::string::npos);
}

TEST_CASE("a postgresql:// database that cannot be reached is a one-line error, not an empty list") {
    TempDir dir;
    // A socket folder where no server listens.
    const std::string uri = "postgresql://feedd@/feedd?host=" + dir.path().string();
    write_file(dir / "feeds.toml", one_feed_config(uri, "cgtn-china", "https://news.example/china.xml"));
    const std::string config = (dir / "feeds.toml").string();
    auto feeds = run_feedd(dir.path(), {"--config", config, "feeds", "list"});
    CHECK(feeds.exit_code == 1);
    CHECK(feeds.err.find("cannot connect to") != std::string::npos);
    CHECK(std::count(feeds.err.begin(), feeds.err.end(), '\n') == 1);
}
