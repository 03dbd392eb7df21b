// schedule::HostGate driving the real fetcher against the local server: the server's own
// counters show whether the per-host limit and gap hold. (The daemon paces fetches the same way.)
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>

#include "feedd/fetch/fetch.hpp"
#include "feedd/schedule/schedule.hpp"
#include "support/http_server.hpp"

using namespace std::chrono_literals;
using feedd::FetchRequest;
using feedd::FetchResult;
using feedd::fetch::Fetcher;
using feedd::fetch::FetcherOptions;
using feedd::schedule::HostGate;
using feedd::schedule::HostLimits;
using feedd::schedule::Instant;
using feedd::test::HttpServer;
using feedd::test::Request;
using feedd::test::Response;

namespace {

Instant now() {
    return std::chrono::floor<feedd::Duration>(std::chrono::system_clock::now());
}

// Starts queued requests as the gate allows, waking on completions and on a timer for gaps.
class Dispatcher {
  public:
    Dispatcher(boost::asio::io_context& io, Fetcher& fetcher, HostLimits limits)
        : io_(io), fetcher_(fetcher), gate_(limits), timer_(io) {}

    void add(std::string url) { queue_.push_back(std::move(url)); }

    void run() {
        pump();
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while ((!queue_.empty() || fetcher_.in_flight() > 0) && std::chrono::steady_clock::now() < deadline)
            io_.run_one_for(100ms);
        REQUIRE(queue_.empty());
        REQUIRE(fetcher_.in_flight() == 0);
    }

    std::vector<FetchResult> results;

  private:
    void pump() {
        std::optional<Instant> wake;
        for (auto it = queue_.begin(); it != queue_.end();) {
            const std::string key = feedd::fetch::registered_domain(feedd::fetch::url_host(*it));
            const Instant at = now();
            const auto earliest = gate_.earliest_start(key, at);
            if (earliest && *earliest <= at) {
                gate_.on_start(key, at);
                FetchRequest request;
                request.url = *it;
                request.allow_private_networks = true;
                fetcher_.fetch(request, [this, key](FetchResult result) {
                    gate_.on_finish(key, now(), result.status);
                    results.push_back(std::move(result));
                    pump();
                });
                it = queue_.erase(it);
                continue;
            }
            if (earliest) wake = wake ? std::min(*wake, *earliest) : *earliest;
            ++it;
        }
        if (wake) {
            timer_.expires_after(*wake - now() + 1ms);
            timer_.async_wait([this](boost::system::error_code ec) {
                if (!ec) pump();
            });
        }
    }

    boost::asio::io_context& io_;
    Fetcher& fetcher_;
    HostGate gate_;
    boost::asio::steady_timer timer_;
    std::deque<std::string> queue_;
};

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

FetcherOptions mapped(const HttpServer& server, std::initializer_list<const char*> hosts) {
    FetcherOptions options;
    for (const char* host : hosts) options.resolve.push_back(server.resolve_entry(host));
    return options;
}

}  // namespace

TEST_CASE("per-host limit: one request at a time per registered domain, hosts in parallel") {
    HttpServer server;
    server.route("/feed.xml", [](const Request&) {
        auto response = Response::text("<rss/>");
        response.delay = 80ms;
        return response;
    });
    boost::asio::io_context io;
    Fetcher fetcher(io, mapped(server, {"a.test", "b.test", "x.blog.test", "y.blog.test"}));
    Dispatcher dispatcher(io, fetcher, {.concurrency = 32, .per_host = 1, .per_host_gap = 0ms});
    for (int i = 0; i < 4; ++i)
        for (const char* host : {"a.test", "b.test", "x.blog.test", "y.blog.test"})
            dispatcher.add(server.url("/feed.xml?n=" + std::to_string(i), host));
    dispatcher.run();

    CHECK(dispatcher.results.size() == 16);
    for (const auto& result : dispatcher.results) CHECK(result.ok());
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
    server.route("/feed.xml", [](const Request&) {
        auto response = Response::text("<rss/>");
        response.delay = 80ms;
        return response;
    });
    boost::asio::io_context io;
    Fetcher fetcher(io, mapped(server, {"a.test"}));
    Dispatcher dispatcher(io, fetcher, {.concurrency = 32, .per_host = 2, .per_host_gap = 0ms});
    for (int i = 0; i < 8; ++i) dispatcher.add(server.url("/feed.xml?n=" + std::to_string(i), "a.test"));
    dispatcher.run();
    CHECK(server.max_concurrent("a.test") == 2);
}

TEST_CASE("per_host_gap: request starts to one host are at least the gap apart") {
    HttpServer server;
    server.route("/feed.xml", [](const Request&) { return Response::text("<rss/>"); });
    boost::asio::io_context io;
    Fetcher fetcher(io, mapped(server, {"a.test", "b.test"}));
    Dispatcher dispatcher(io, fetcher, {.concurrency = 32, .per_host = 1, .per_host_gap = 200ms});
    for (int i = 0; i < 4; ++i)
        for (const char* host : {"a.test", "b.test"})
            dispatcher.add(server.url("/feed.xml?n=" + std::to_string(i), host));
    dispatcher.run();
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
