// feedd with a PostgreSQL archive, end to end: feeds.toml names a postgresql:// database, a poll
// over HTTP fills it, and query, show, feeds list and status read it; its password comes from
// database_password_…; `db copy` moves an archive between SQLite and PostgreSQL.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/postgres.hpp"
#include "support/process.hpp"

using namespace feedd::test;

TEST_CASE("a postgresql:// database: poll, query, show, feeds list and status") {
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
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
    // The archive's tables and indexes: at least the pages of its tables, far from nothing.
    CHECK(report["archive_bytes"].get<std::int64_t>() > 100000);

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
    CHECK(report["archive_bytes"] == 0);

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

namespace {

// What `feedd query` and `feedd show --revisions` print of every article, in JSON.
std::string shown_archive(const std::filesystem::path& dir, const std::vector<std::string>& where) {
    auto args = where;
    for (const char* arg : {"query", "--format", "json", "--limit", "0"}) args.emplace_back(arg);
    auto listed = run_feedd(dir, args);
    INFO("stderr: " << listed.err);
    REQUIRE(listed.exit_code == 0);
    std::string all = listed.out;
    for (const auto& row : nlohmann::json::parse(listed.out)) {
        auto show = where;
        for (const auto& arg : {std::string("show"), std::to_string(row["id"].get<std::int64_t>()),
                                std::string("--revisions"), std::string("--format"), std::string("json")})
            show.push_back(arg);
        auto shown = run_feedd(dir, show);
        INFO("stderr: " << shown.err);
        REQUIRE(shown.exit_code == 0);
        all += shown.out;
    }
    return all;
}

}  // namespace

TEST_CASE(
    "feedd db copy --to a postgresql:// database and --from it: query and show --revisions read the same") {
    TempDir dir;
    {
        auto archive = feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_write);
        commit_every_kind_of_row(archive);
    }
    write_file(dir / "feeds.toml",
               one_feed_config("feedd.db", "cgtn-china", "https://news.example/china.xml"));
    const std::string config = (dir / "feeds.toml").string();
    const auto before = shown_archive(dir.path(), {"--config", config});
    CHECK(before.find("\"revisions\"") != std::string::npos);

    PostgresDatabase db;
    auto there = run_feedd(dir.path(), {"--config", config, "db", "copy", "--to", db.uri()});
    INFO("stderr: " << there.err);
    REQUIRE(there.exit_code == 0);
    CHECK(there.out.find("counts and checksums match") != std::string::npos);
    CHECK(there.err.find("entries: ") != std::string::npos);  // progress, on stderr
    CHECK(shown_archive(dir.path(), {"--config", config, "--db", db.uri()}) == before);

    // Into a new SQLite archive named by --db, from the database.
    auto back = run_feedd(dir.path(), {"--config", config, "--db", (dir / "back.db").string(), "db", "copy",
                                       "--from", db.uri()});
    INFO("stderr: " << back.err);
    REQUIRE(back.exit_code == 0);
    CHECK(shown_archive(dir.path(), {"--config", config, "--db", (dir / "back.db").string()}) == before);

    // Not again into a database that holds an archive: one line, nothing changed.
    auto again = run_feedd(dir.path(), {"--config", config, "db", "copy", "--to", db.uri()});
    INFO("stderr: " << again.err);
    CHECK(again.exit_code == 1);
    // (The CLI's error line drops a URI's user name with its password: url::redact_userinfo_in.)
    CHECK(again.err.find("feedd: refusing to copy into postgresql://") != std::string::npos);
    CHECK(again.err.find(db.name() + "?host=") != std::string::npos);
    CHECK(again.err.find(": it is not empty (feeds: 3, feed_state: 3, gaps: 1, articles: 6") !=
          std::string::npos);
    CHECK(std::count(again.err.begin(), again.err.end(), '\n') == 2);  // "copying … to …", then why not
    CHECK(shown_archive(dir.path(), {"--config", config, "--db", db.uri()}) == before);

    auto neither = run_feedd(dir.path(), {"--config", config, "db", "copy"});
    CHECK(neither.exit_code == 2);
}

TEST_CASE(
    "a database that asks for a password gets it from database_password_file or _env, and nothing shows it") {
    PasswordRole role;
    TempDir dir;
    write_file(dir / "db-password", PasswordRole::password() + "\n");
    ::chmod((dir / "db-password").c_str(), 0600);
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    server.route("/china.xml", [&](const Request&) { return Response::text(feed, "application/rss+xml"); });
    write_file(dir / "feeds.toml", one_feed_config(role.uri(), "cgtn-china", server.url("/china.xml"),
                                                   "database_password_file = \"db-password\"\n"));
    const std::string config = (dir / "feeds.toml").string();
    const auto password = PasswordRole::password();

    auto poll = run_feedd(dir.path(), {"--config", config, "poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    for (const auto& args : std::vector<std::vector<std::string>>{{"query", "--format", "json"},
                                                                  {"status", "--format", "json"},
                                                                  {"status"},
                                                                  {"feeds", "list"},
                                                                  {"db", "check"}}) {
        auto all = args;
        all.insert(all.begin(), {"--config", config});
        auto result = run_feedd(dir.path(), all);
        CAPTURE(args.front());
        INFO("stderr: " << result.err);
        CHECK(result.exit_code != 1);
        CHECK(result.out.find(password) == std::string::npos);
        CHECK(result.err.find(password) == std::string::npos);
    }
    auto status = run_feedd(dir.path(), {"--config", config, "status", "--format", "json"});
    CHECK(nlohmann::json::parse(status.out)["articles"] == 3);

    // The same from an environment variable.
    write_file(dir / "env.toml", one_feed_config(role.uri(), "cgtn-china", server.url("/china.xml"),
                                                 "database_password_env = \"FEEDD_TEST_DB_PASSWORD\"\n"));
    auto from_env = run_feedd(dir.path(), {"--config", (dir / "env.toml").string(), "query"},
                              {{"FEEDD_TEST_DB_PASSWORD", password}});
    INFO("stderr: " << from_env.err);
    CHECK(from_env.exit_code == 0);

    // Without it the server refuses: one line, and the reason.
    write_file(dir / "none.toml", one_feed_config(role.uri(), "cgtn-china", server.url("/china.xml")));
    auto refused = run_feedd(dir.path(), {"--config", (dir / "none.toml").string(), "query"});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("password") != std::string::npos);
    CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);

    // The configured password is the configured database's only: a --db URI naming another
    // database (here the same server, spelt otherwise) is not sent it, and signs in in libpq's own
    // ways (PGPASSWORD here). The configured database itself, named again with --db, still gets it.
    const auto other = role.uri() + "&application_name=feedd_other";
    auto elsewhere = run_feedd(dir.path(), {"--config", config, "--db", other, "query"});
    CHECK(elsewhere.exit_code == 1);
    CHECK(elsewhere.err.find("password") != std::string::npos);
    CHECK(elsewhere.err.find(password) == std::string::npos);
    auto own_way =
        run_feedd(dir.path(), {"--config", config, "--db", other, "query"}, {{"PGPASSWORD", password}});
    INFO("stderr: " << own_way.err);
    CHECK(own_way.exit_code == 0);
    auto same = run_feedd(dir.path(), {"--config", config, "--db", role.uri(), "query"});
    INFO("stderr: " << same.err);
    CHECK(same.exit_code == 0);

    // A password in the URI is refused in feeds.toml, and shown as *** where a --db URI carries one.
    auto with_password = role.uri();
    with_password.insert(with_password.find('@'), ":" + password);
    write_file(dir / "uri.toml", one_feed_config(with_password, "cgtn-china", server.url("/china.xml")));
    auto check = run_feedd(dir.path(), {"--config", (dir / "uri.toml").string(), "check-config"});
    CHECK(check.exit_code == 1);
    CHECK(check.err.find("`database` carries a password") != std::string::npos);
    CHECK(check.err.find(password) == std::string::npos);
    CHECK(check.out.find(password) == std::string::npos);
    auto flagged =
        run_feedd(dir.path(), {"--config", config, "--db", with_password, "status", "--format", "json"});
    INFO("stderr: " << flagged.err);
    CHECK(flagged.out.find(password) == std::string::npos);
    CHECK(flagged.err.find(password) == std::string::npos);
    CHECK(nlohmann::json::parse(flagged.out)["archive"].get<std::string>().find(":***@") !=
          std::string::npos);
    CHECK(nlohmann::json::parse(flagged.out)["articles"] == 3);
}
