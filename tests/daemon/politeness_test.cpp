// The daemon's own dispatch (Pipeline, through `poll --once`) against the local server: the
// server's counters show whether the per-host limit, the gap between starts and the host-wide
// pause after 429s hold.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "daemon/testing.hpp"
#include "feedd/daemon/daemon.hpp"
#include "fetch/options.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using feedd::daemon::PollReport;
using feedd::daemon::PollStatus;
using feedd::test::HttpServer;
using feedd::test::Request;
using feedd::test::Response;
using feedd::test::TempDir;
using feedd::test::write_file;

namespace {

const char* kFeed = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title></channel></rss>";

struct Limits {
    int per_host = 1;
    const char* per_host_gap = "0s";
};

// Polls each of `urls` once as its own feed (named f00, f01, ... in the order given) through
// the daemon's pipeline, hosts mapped to the server; returns the reports.
std::vector<PollReport> poll(const HttpServer& server, const std::vector<std::string>& hosts,
                             const std::vector<std::string>& urls, Limits limits) {
    TempDir dir;
    std::string config =
        "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n"
        "per_host = " +
        std::to_string(limits.per_host) + "\nper_host_gap = \"" + limits.per_host_gap + "\"\n";
    for (std::size_t i = 0; i < urls.size(); ++i) {
        const std::string name = (i < 10 ? "f0" : "f") + std::to_string(i);
        config += "\n[[feed]]\nname = \"" + name + "\"\nurl = \"" + urls[i] + "\"\n";
    }
    write_file(dir / "feeds.toml", config);
    feedd::daemon::RunOptions options;
    options.config_path = dir / "feeds.toml";
    options.once = true;
    feedd::fetch::FetcherOptions fetcher_options;
    for (const auto& host : hosts) fetcher_options.resolve.push_back(server.resolve_entry(host));
    auto reports = feedd::daemon::poll_once(options, fetcher_options);
    REQUIRE(reports.size() == urls.size());
    return reports;
}

// Milliseconds between consecutive arrivals of requests whose host is in `hosts`.
std::vector<long> arrival_gaps(const std::vector<Request>& log, std::vector<std::string> hosts) {
    std::vector<std::chrono::steady_clock::time_point> times;
    for (const auto& request : log)
        if (std::find(hosts.begin(), hosts.end(), request.host) != hosts.end())
            times.push_back(request.received);
    std::sort(times.begin(), times.end());
    std::vector<long> gaps;
    for (std::size_t i = 1; i < times.size(); ++i)
        gaps.push_back(
            std::chrono::duration_cast<std::chrono::milliseconds>(times[i] - times[i - 1]).count());
    return gaps;
}

void serve_slow_feed(HttpServer& server) {
    server.route("/feed.xml", [](const Request&) {
        auto response = Response::text(kFeed);
        response.delay = 80ms;
        return response;
    });
}

}  // namespace

TEST_CASE("per-host limit: one request at a time per registered domain, hosts in parallel") {
    HttpServer server;
    serve_slow_feed(server);
    const std::vector<std::string> hosts{"a.test", "b.test", "x.blog.test", "y.blog.test"};
    std::vector<std::string> urls;
    for (int i = 0; i < 4; ++i)
        for (const auto& host : hosts) urls.push_back(server.url("/feed.xml?n=" + std::to_string(i), host));
    const auto reports = poll(server, hosts, urls, {.per_host = 1});

    for (const auto& report : reports) CHECK(report.status == PollStatus::updated);
    CHECK(server.max_concurrent("a.test") == 1);
    CHECK(server.max_concurrent("b.test") == 1);
    CHECK(server.max_open_connections("a.test") == 1);  // one connection, reused
    CHECK(server.max_concurrent_total() >= 2);          // different hosts did run side by side
    // x.blog.test and y.blog.test share the registered domain blog.test, hence one slot: each
    // request arrived only after the previous one (80 ms of server delay) was answered.
    const auto shared = arrival_gaps(server.requests(), {"x.blog.test", "y.blog.test"});
    REQUIRE(shared.size() == 7);
    for (long gap : shared) CHECK(gap >= 70);
}

TEST_CASE("per_host = 2 allows two at once, never three") {
    HttpServer server;
    serve_slow_feed(server);
    std::vector<std::string> urls;
    for (int i = 0; i < 8; ++i) urls.push_back(server.url("/feed.xml?n=" + std::to_string(i), "a.test"));
    poll(server, {"a.test"}, urls, {.per_host = 2});
    CHECK(server.max_concurrent("a.test") == 2);
}

TEST_CASE("per_host_gap: request starts to one host are at least the gap apart") {
    HttpServer server;
    server.route("/feed.xml", [](const Request&) { return Response::text(kFeed); });
    std::vector<std::string> urls;
    for (int i = 0; i < 4; ++i)
        for (const char* host : {"a.test", "b.test"})
            urls.push_back(server.url("/feed.xml?n=" + std::to_string(i), host));
    poll(server, {"a.test", "b.test"}, urls, {.per_host = 1, .per_host_gap = "200ms"});
    for (const char* host : {"a.test", "b.test"}) {
        CAPTURE(host);
        const auto gaps = arrival_gaps(server.requests(), {host});
        REQUIRE(gaps.size() == 3);
        // Arrival times carry some scheduling jitter; an ignored gap would show as ~0 ms.
        for (long gap : gaps) CHECK(gap >= 150);
    }
    // The two hosts were not held to each other's gap.
    const auto both = arrival_gaps(server.requests(), {"a.test", "b.test"});
    CHECK(*std::min_element(both.begin(), both.end()) < 150);
}

TEST_CASE("429 from two feeds of one host pauses the whole host until their Retry-After") {
    HttpServer server;
    server.route("/limited", [](const Request&) {
        auto response = Response::text("slow down");
        response.status = 429;
        response.headers.push_back({"Retry-After", "2"});
        return response;
    });
    server.route("/feed.xml", [](const Request&) { return Response::text(kFeed); });
    // Feeds are dispatched in name order: f00 and f01 are rate-limited, then f02 must wait.
    const auto reports = poll(server, {"a.test", "b.test"},
                              {server.url("/limited?n=0", "a.test"), server.url("/limited?n=1", "a.test"),
                               server.url("/feed.xml", "a.test"), server.url("/feed.xml", "b.test")},
                              {.per_host = 1});
    std::vector<std::chrono::steady_clock::time_point> limited, after;
    for (const auto& request : server.requests()) {
        if (request.host != "a.test") continue;
        (request.path.starts_with("/limited") ? limited : after).push_back(request.received);
    }
    REQUIRE(limited.size() == 2);
    REQUIRE(after.size() == 1);
    // Retry-After: 2 is whole seconds from the answer; rounding leaves at least one.
    CHECK(after.front() - *std::max_element(limited.begin(), limited.end()) >= 900ms);
    // The other host was not paused with it.
    const auto other =
        std::find_if(reports.begin(), reports.end(), [](const PollReport& r) { return r.feed == "f03"; });
    REQUIRE(other != reports.end());
    CHECK(other->status == PollStatus::updated);
    CHECK(other->elapsed < 900ms);
}
