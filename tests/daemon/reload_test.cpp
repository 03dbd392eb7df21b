// SIGHUP applies every [settings] key the running daemon can take, and names in the reload's log
// line the ones that need a restart: none is ignored silently.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>

#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using namespace feedd::test;

namespace {

std::string settings(const std::string& extra = {}) {
    return "[settings]\n"
           "database = \"feedd.db\"\n"
           "allow_private_networks = true\n"
           "per_host_gap = \"0s\"\n"
           "min_interval = \"1s\"\n" +
           extra;
}

// Rewrites feeds.toml, sends SIGHUP and waits until the daemon is ready again.
void reload(FeeddDaemon& daemon, const TempDir& dir, const std::string& config) {
    write_file(dir / "feeds.toml", config);
    daemon.process.signal(SIGHUP);
    REQUIRE(daemon.notify.wait_for("RELOADING=1"));
    REQUIRE(daemon.notify.wait_for("READY=1"));
}

}  // namespace

TEST_CASE("reload: a new on_new hook runs for the next new articles, a new user_agent is sent") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    serve_fixture(server, "/china2.xml", "cgtn-china-2.rss");
    TempDir dir;
    const auto hook_out = dir / "hook.ndjson";
    write_file(dir / "feeds.toml", settings() + feed_block("china", server.url("/china.xml")));
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    REQUIRE(daemon.notify.wait_for("in 1 polls"));

    // No hook at start; the reload sets one, and moves the feed to a version with one more item.
    reload(daemon, dir,
           settings("on_new = \"cat >> '" + hook_out.string() + "'\"\non_new_timeout = \"20s\"\n" +
                    "user_agent = \"reloaded-agent/2\"\n") +
               feed_block("china", server.url("/china2.xml")));
    CHECK(daemon.wait_until([&] { return slurp(hook_out).find("chengdu") != std::string::npos; }, 20s));
    const auto polled = server.requests("/china2.xml");
    REQUIRE(polled.size() >= 1);
    CHECK(polled.front().header("user-agent") == "reloaded-agent/2");
    CHECK(daemon.log().find("settings applied: user_agent, on_new, on_new_timeout") != std::string::npos);
}

TEST_CASE("reload: per_host 1 -> 2 lets a second request to the host start while the first runs") {
    HttpServer server;
    for (const std::string path : {"/slow1.xml", "/slow2.xml"}) {
        server.route(path, [body = read_fixture("cgtn-china.rss")](const Request&) {
            auto response = Response::text(body, "application/rss+xml");
            response.delay = 5s;
            return response;
        });
    }
    TempDir dir;
    const auto feeds =
        feed_block("one", server.url("/slow1.xml")) + feed_block("two", server.url("/slow2.xml"));
    write_file(dir / "feeds.toml", settings("per_host = 1\n") + feeds);
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    // The first request is held for 5 s; per_host = 1 keeps the second waiting behind it.
    REQUIRE(daemon.wait_until([&] { return server.request_count() >= 1; }, 10s));
    CHECK(server.request_count() == 1);

    reload(daemon, dir, settings("per_host = 2\n") + feeds);
    REQUIRE(daemon.wait_until([&] { return server.request_count() >= 2; }, 20s));
    CHECK(server.max_concurrent("127.0.0.1") == 2);
    CHECK(daemon.log().find("settings applied: per_host") != std::string::npos);
}

TEST_CASE("reload: a changed database is named in the reload's log line as needing a restart") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    TempDir dir;
    const auto feeds = feed_block("china", server.url("/china.xml"));
    write_file(dir / "feeds.toml", settings() + feeds);
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    REQUIRE(daemon.notify.wait_for("in 1 polls"));

    std::string moved = settings();
    moved.replace(moved.find("feedd.db"), 8, "other.db");
    reload(daemon, dir, moved + "keep_days = 30\n" + feeds);
    REQUIRE(daemon.wait_until([&] { return daemon.log().find("reloaded:") != std::string::npos; }, 10s));
    const auto log = daemon.log();
    INFO(log);
    CHECK(log.find("settings applied: keep_days") != std::string::npos);
    CHECK(log.find("not applied until a restart: database") != std::string::npos);
    daemon.process.signal(SIGTERM);
    CHECK(daemon.process.wait().exit_code == 0);
    // The running daemon kept its archive.
    CHECK_FALSE(std::filesystem::exists(dir / "other.db"));
    CHECK(std::filesystem::exists(dir / "feedd.db"));
}
