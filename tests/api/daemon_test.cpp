// `feedd run` with [http]: the listener on the daemon's own event loop, next to polling.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "api/client.hpp"
#include "api/running.hpp"
#include "feedd/parse/parse.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"
#include "support/prometheus.hpp"

using namespace feedd::test;
using nlohmann::json;

namespace {

// feeds.toml for `feedd run` with [http] on a free port of 127.0.0.1, the user bob with the token
// "bob-token", and the feed "loop" at `feed_url`; `settings` and `http` are more lines of those tables.
void write_api_config(const TempDir& dir, const std::string& feed_url, const std::string& settings = "",
                      const std::string& http = "") {
    write_file(dir / "bob.token", "bob-token");
    write_file(dir / "feeds.toml", "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n" +
                                       settings + "\n[http]\nlisten = \"127.0.0.1:0\"\n" + http +
                                       "\n[[user]]\nname = \"bob\"\ntoken_file = \"bob.token\"\n" +
                                       feed_block("loop", feed_url));
}

}  // namespace

TEST_CASE("feedd run answers /healthz while it polls, and a slow client holds neither it nor the polls") {
    HttpServer feeds;
    feeds.route("/feed.xml",
                [](const Request&) { return Response::text(numbered_rss(2), "application/rss+xml"); });
    TempDir dir;
    write_api_config(dir, feeds.url("/feed.xml"), "interval = \"1s\"\nmin_interval = \"1s\"\n",
                     "request_timeout = \"2s\"\n");
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

TEST_CASE(
    "feedd run serves any query as Atom and JSON Feed, answers If-None-Match with 304, and "
    "/metrics to Prometheus") {
    HttpServer feeds;
    feeds.route("/feed.xml",
                [](const Request&) { return Response::text(numbered_rss(3), "application/rss+xml"); });
    TempDir dir;
    write_api_config(dir, feeds.url("/feed.xml"));
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    const auto endpoint = endpoint_of(daemon);
    INFO(daemon.log());
    REQUIRE(daemon.wait_until([&] { return polls_of(daemon.last_status()) >= 1; }));
    // As a TLS reverse proxy passes a request on.
    const std::vector<std::pair<std::string, std::string>> bob = {
        {"X-Auth-Token", "bob-token"}, {"Host", "feeds.example:8443"}, {"X-Forwarded-Proto", "https"}};

    // A feed reader's first poll: the whole document, which feedd's own parser reads back.
    CHECK(fetch(endpoint, "GET", "/feeds/atom?feed=loop").status == 401);
    const auto atom = fetch(endpoint, "GET", "/feeds/atom?feed=loop&since=30d", bob);
    REQUIRE(atom.status == 200);
    CHECK(atom.header("Content-Type").starts_with("application/atom+xml"));
    const auto parsed = feedd::parse::parse_feed(atom.body);
    CHECK(parsed.wellformed);
    // Titled with the window as asked: a relative one written as a date would change the
    // document, and so its ETag, every second.
    CHECK(parsed.title == "feedd: feed loop, since 30d");
    std::set<std::string> titles;
    for (const auto& entry : parsed.entries) titles.insert(entry.title);
    CHECK(titles == std::set<std::string>{"Loop story 1", "Loop story 2", "Loop story 3"});
    // Its self link is where the reader reached it, through the proxy.
    CHECK(atom.body.find("href=\"https://feeds.example:8443/feeds/atom?feed=loop&amp;since=30d\"") !=
          std::string::npos);

    // Its next poll costs no body while nothing changed.
    const auto etag = atom.header("ETag");
    REQUIRE(!etag.empty());
    auto again = bob;
    again.emplace_back("If-None-Match", etag);
    const auto unchanged = fetch(endpoint, "GET", "/feeds/atom?feed=loop&since=30d", again);
    CHECK(unchanged.status == 304);
    CHECK(unchanged.body.empty());

    const auto json_feed = fetch(endpoint, "GET", "/feeds/json?search=story&limit=2", bob);
    REQUIRE(json_feed.status == 200);
    CHECK(json_feed.header("Content-Type").starts_with("application/feed+json"));
    CHECK(json::parse(json_feed.body)["items"].size() == 2);

    // Mistakes are the client's: 400 with the reason, as `feedd query` gives it.
    const auto bad_date = fetch(endpoint, "GET", "/feeds/atom?since=yesterday", bob);
    CHECK(bad_date.status == 400);
    CHECK(json::parse(bad_date.body)["error_message"].get<std::string>().find("bad date 'yesterday'") == 0);
    CHECK(fetch(endpoint, "GET", "/feeds/json?feed=nosuchfeed", bob).status == 400);
    CHECK(fetch(endpoint, "GET", "/feeds/json?limit=100000", bob).status == 400);

    // Prometheus with a bearer token: the daemon's figures, the archive's, and these requests.
    CHECK(fetch(endpoint, "GET", "/metrics").status == 401);
    const auto scrape = fetch(endpoint, "GET", "/metrics", {{"Authorization", "Bearer bob-token"}});
    REQUIRE(scrape.status == 200);
    CHECK(scrape.header("Content-Type").starts_with("text/plain; version=0.0.4"));
    const auto samples = parsed_by_prometheus_client(scrape.body);
    CHECK(sample_value(samples, "feedd_polls_total", {{"outcome", "updated"}}).value_or(0) >= 1);
    CHECK(sample_value(samples, "feedd_feeds", {{"state", "ok"}}) == 1);
    CHECK(sample_value(samples, "feedd_feeds", {{"state", "failing"}}) == 0);
    CHECK(sample_value(samples, "feedd_articles") == 3);
    CHECK(sample_value(samples, "feedd_archive_bytes").value_or(0) > 0);
    CHECK(sample_value(samples, "feedd_fetch_duration_seconds_count").value_or(0) >= 1);
    CHECK(sample_value(samples, "feedd_new_entries_total") == 3);
    CHECK(sample_value(samples, "feedd_http_requests_total", {{"route", "/feeds/atom"}, {"code", "304"}}) ==
          1);
    CHECK(sample_value(samples, "feedd_http_requests_total", {{"route", "/feeds/atom"}, {"code", "401"}}) ==
          1);
    CHECK(sample_value(samples, "feedd_http_requests_total", {{"route", "/feeds/json"}, {"code", "400"}}) ==
          2);

    daemon.process.signal(SIGTERM);
    CHECK(daemon.process.wait().exit_code == 0);
}
