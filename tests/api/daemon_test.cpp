// `feedd run` with [http]: the listener on the daemon's own event loop, next to polling.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "api/client.hpp"
#include "api/running.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;
using nlohmann::json;

TEST_CASE("feedd run answers /healthz while it polls, and a slow client holds neither it nor the polls") {
    HttpServer feeds;
    feeds.route("/feed.xml",
                [](const Request&) { return Response::text(numbered_rss(2), "application/rss+xml"); });
    TempDir dir;
    write_file(dir / "bob.token", "bob-token");
    write_file(dir / "feeds.toml",
               "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n"
               "interval = \"1s\"\nmin_interval = \"1s\"\n\n"
               "[http]\nlisten = \"127.0.0.1:0\"\nrequest_timeout = \"2s\"\n\n"
               "[[user]]\nname = \"bob\"\ntoken_file = \"bob.token\"\n\n"
               "[[feed]]\nname = \"loop\"\nurl = \"" +
                   feeds.url("/feed.xml") + "\"\n");
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    const auto endpoint = endpoint_of(daemon);
    INFO(daemon.log());
    REQUIRE(!endpoint.empty());
    REQUIRE(daemon.wait_until([&] { return polls_of(daemon.last_status()) >= 1; }));

    const auto health = fetch(endpoint, "GET", "/healthz");
    CHECK(health.status == 200);
    const auto body = json::parse(health.body);
    CHECK(body["health"] == "healthy");
    CHECK(body["feeds"] == 1);
    CHECK(body["articles"] == 2);

    // A client that sends half a request and waits: the daemon polls on meanwhile.
    Connection<> slow(endpoint);
    slow.send_raw("GET /v1/me HTTP/1.1\r\nHost: localhost\r\nX-Auth-Token: bob-");
    const int polls = polls_of(daemon.last_status());
    CHECK(daemon.wait_until([&] { return polls_of(daemon.last_status()) > polls; }));
    CHECK(slow.read().status == 408);
    CHECK(slow.closed_by_peer());
    CHECK(fetch(endpoint, "GET", "/v1/me", {{"X-Auth-Token", "bob-token"}}).status == 200);

    daemon.process.signal(SIGTERM);
    CHECK(daemon.process.wait().exit_code == 0);
}

TEST_CASE("feedd run refuses to start when [http] cannot listen, with one line saying why") {
    TempDir dir;
    // A port already taken: by a listener of this test.
    HttpServer taken;
    const auto url = taken.url("/");
    const auto port = url.substr(url.rfind(':') + 1, url.size() - url.rfind(':') - 2);
    write_file(dir / "feeds.toml", "[settings]\ndatabase = \"feedd.db\"\n\n[http]\nlisten = \"127.0.0.1:" +
                                       port + "\"\n\n[[user]]\nname = \"bob\"\ntoken_env = \"BOB_TOKEN\"\n");
    const auto result =
        run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "run"}, {{"BOB_TOKEN", "t"}});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("http: cannot listen on 127.0.0.1:" + port) != std::string::npos);
}
