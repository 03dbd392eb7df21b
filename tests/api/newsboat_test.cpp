// newsboat (Debian's 2.21) as a real Miniflux client of `feedd run`: it reloads through the API and
// its own cache then holds the archived articles.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <map>
#include <regex>

#include "api/running.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;

TEST_CASE("newsboat reloads through the Miniflux API and its cache holds the archived articles") {
    HttpServer feeds;
    feeds.route("/feed.xml",
                [](const Request&) { return Response::text(numbered_rss(3), "application/rss+xml"); });
    TempDir dir;
    write_file(dir / "alice.pass", "alice-secret\n");
    ::chmod((dir / "alice.pass").c_str(), 0600);
    write_file(dir / "feeds.toml",
               "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n\n"
               "[http]\nlisten = \"127.0.0.1:0\"\n\n"
               "[[user]]\nname = \"alice\"\npassword_file = \"alice.pass\"\n\n"
               "[[feed]]\nname = \"loop\"\ncategory = \"Local\"\nurl = \"" +
                   feeds.url("/feed.xml") + "\"\n");
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    const auto endpoint = endpoint_of(daemon);
    INFO(daemon.log());
    REQUIRE(!endpoint.empty());
    REQUIRE(daemon.wait_until([&] { return polls_of(daemon.last_status()) >= 1; }));

    TempDir home;
    write_file(home / "config", "urls-source \"miniflux\"\nminiflux-url \"http://" + endpoint +
                                    "\"\nminiflux-login \"alice\"\nminiflux-password \"alice-secret\"\n");
    write_file(home / "urls", "");
    const std::map<std::string, std::string> env{{"HOME", home.path().string()},
                                                 {"XDG_CONFIG_HOME", (home / "xdg-config").string()},
                                                 {"XDG_DATA_HOME", (home / "xdg-data").string()},
                                                 {"TERM", "dumb"}};
    Process newsboat(home.path(),
                     {"/usr/bin/newsboat", "-C", (home / "config").string(), "-u", (home / "urls").string(),
                      "-c", (home / "cache.db").string(), "-x", "reload"},
                     env);
    const auto result = newsboat.wait();
    INFO(result.out << result.err);
    REQUIRE(result.exit_code == 0);

    SQLite::Database cache((home / "cache.db").string(), SQLite::OPEN_READONLY);
    SQLite::Statement items(cache, "SELECT title, url, unread FROM rss_item ORDER BY title");
    std::vector<std::pair<std::string, std::string>> seen;
    while (items.executeStep()) {
        seen.emplace_back(items.getColumn(0).getString(), items.getColumn(1).getString());
        CHECK(items.getColumn(2).getInt() == 1);  // unread, as the archive's state says
    }
    CHECK(seen ==
          std::vector<std::pair<std::string, std::string>>{{"Loop story 1", "http://loop.example/story/1"},
                                                           {"Loop story 2", "http://loop.example/story/2"},
                                                           {"Loop story 3", "http://loop.example/story/3"}});

    daemon.process.signal(SIGTERM);
    CHECK(daemon.process.wait().exit_code == 0);
}
