// newsboat (Debian's 2.21) as a real client of `feedd run`, through the Miniflux API and through the
// Google Reader API (its FeedHQ backend): it reloads through the API and its own cache then holds
// the archived articles, with the reading state the archive keeps.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/stat.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <tuple>

#include "api/client.hpp"
#include "api/running.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;

namespace {

// `feedd run` polling one numbered RSS feed of three stories (category "Local"), with the API on
// and the user alice (password "alice-secret"); ready once it has polled.
struct PollingDaemon {
    HttpServer feeds;
    TempDir dir;
    std::unique_ptr<FeeddDaemon> daemon;
    std::string endpoint;

    PollingDaemon() {
        feeds.route("/feed.xml",
                    [](const Request&) { return Response::text(numbered_rss(3), "application/rss+xml"); });
        write_file(dir / "alice.pass", "alice-secret\n");
        ::chmod((dir / "alice.pass").c_str(), 0600);
        write_file(dir / "feeds.toml",
                   "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n\n"
                   "[http]\nlisten = \"127.0.0.1:0\"\n\n"
                   "[[user]]\nname = \"alice\"\npassword_file = \"alice.pass\"\n\n"
                   "[[feed]]\nname = \"loop\"\ncategory = \"Local\"\nurl = \"" +
                       feeds.url("/feed.xml") + "\"\n");
        daemon = std::make_unique<FeeddDaemon>(dir);
    }
    ~PollingDaemon() {
        daemon->process.signal(SIGTERM);
        CHECK(daemon->process.wait().exit_code == 0);
    }
    bool start() {
        if (!daemon->wait_ready()) return false;
        endpoint = endpoint_of(*daemon);
        return !endpoint.empty() && daemon->wait_until([&] { return polls_of(daemon->last_status()) >= 1; });
    }
};

// `newsboat -x reload` with these configuration lines, in a home of its own; its cache's items
// (title, link, unread), by title.
std::vector<std::tuple<std::string, std::string, int>> newsboat_reload(const std::string& config) {
    TempDir home;
    write_file(home / "config", config);
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
    std::vector<std::tuple<std::string, std::string, int>> seen;
    while (items.executeStep())
        seen.emplace_back(items.getColumn(0).getString(), items.getColumn(1).getString(),
                          items.getColumn(2).getInt());
    return seen;
}

}  // namespace

TEST_CASE("newsboat reloads through the Miniflux API and its cache holds the archived articles") {
    PollingDaemon feedd;
    INFO(feedd.daemon->log());
    REQUIRE(feedd.start());
    const auto seen = newsboat_reload("urls-source \"miniflux\"\nminiflux-url \"http://" + feedd.endpoint +
                                      "\"\nminiflux-login \"alice\"\nminiflux-password \"alice-secret\"\n");
    // unread, as the archive's state says
    CHECK(seen == std::vector<std::tuple<std::string, std::string, int>>{
                      {"Loop story 1", "http://loop.example/story/1", 1},
                      {"Loop story 2", "http://loop.example/story/2", 1},
                      {"Loop story 3", "http://loop.example/story/3", 1}});
}

TEST_CASE("newsboat reloads through the Google Reader API (FeedHQ) with the archive's read state") {
    PollingDaemon feedd;
    INFO(feedd.daemon->log());
    REQUIRE(feedd.start());
    // Story 2 read through the API first, as another reader app would: newsboat must show it read.
    const auto login =
        fetch(feedd.endpoint, "POST", "/accounts/ClientLogin",
              {{"Content-Type", "application/x-www-form-urlencoded"}}, "Email=alice&Passwd=alice-secret");
    REQUIRE(login.status == 200);
    const auto auth =
        login.body.substr(login.body.find("Auth=") + 5,
                          login.body.find('\n', login.body.find("Auth=")) - login.body.find("Auth=") - 5);
    const std::vector<std::pair<std::string, std::string>> who{{"Authorization", "GoogleLogin auth=" + auth}};
    const auto token = fetch(feedd.endpoint, "GET", "/reader/api/0/token", who).body;
    const auto ids = nlohmann::json::parse(
        fetch(feedd.endpoint, "GET",
              "/reader/api/0/stream/contents/user/-/state/com.google/reading-list?n=10", who)
            .body);
    std::string story2;
    for (const auto& item : ids["items"])
        if (item["title"] == "Loop story 2") story2 = item["id"];
    REQUIRE(!story2.empty());
    REQUIRE(fetch(feedd.endpoint, "POST", "/reader/api/0/edit-tag", who,
                  "i=" + story2 + "&a=user/-/state/com.google/read&T=" + token)
                .body == "OK");

    const auto seen = newsboat_reload("urls-source \"feedhq\"\nfeedhq-url \"http://" + feedd.endpoint +
                                      "/\"\nfeedhq-login \"alice\"\nfeedhq-password \"alice-secret\"\n");
    CHECK(seen == std::vector<std::tuple<std::string, std::string, int>>{
                      {"Loop story 1", "http://loop.example/story/1", 1},
                      {"Loop story 2", "http://loop.example/story/2", 0},
                      {"Loop story 3", "http://loop.example/story/3", 1}});
}
