// What the fetcher's tests share: host names mapped to the test servers, an io_context run until
// the fetches started complete, and requests that may reach 127.0.0.1.
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <optional>
#include <string>
#include <vector>

#include "feedd/fetch/fetch.hpp"
#include "fetch/options.hpp"

namespace feedd::test {

using namespace std::chrono_literals;
using feedd::FetchRequest;
using feedd::FetchResult;
using feedd::fetch::Fetcher;
using feedd::fetch::FetcherOptions;

// FetcherOptions mapping host names to the test servers (CURLOPT_RESOLVE entries).
inline FetcherOptions resolving(std::vector<std::string> entries,
                                std::vector<std::string> treat_as_public = {}) {
    FetcherOptions options;
    options.resolve = std::move(entries);
    options.treat_as_public = std::move(treat_as_public);
    return options;
}

// Runs the io_context until every started fetch completed (no sleeps: completions end the run).
struct Harness {
    explicit Harness(FetcherOptions options = {}) : fetcher(io, std::move(options)) {}

    FetchResult get(FetchRequest request) {
        std::vector<FetchResult> results = get_all({std::move(request)});
        return std::move(results.front());
    }

    std::vector<FetchResult> get_all(std::vector<FetchRequest> requests) {
        std::vector<std::optional<FetchResult>> slots(requests.size());
        std::size_t done = 0;
        for (std::size_t i = 0; i < requests.size(); ++i)
            fetcher.fetch(std::move(requests[i]), [&slots, &done, i](FetchResult result) {
                CHECK_FALSE(slots[i].has_value());  // exactly once
                slots[i] = std::move(result);
                ++done;
            });
        run_until([&] { return done == slots.size(); });
        std::vector<FetchResult> out;
        for (auto& slot : slots) {
            REQUIRE(slot.has_value());
            out.push_back(std::move(*slot));
        }
        return out;
    }

    template <class Predicate>
    void run_until(Predicate finished) {
        // A guard against a hung test, not a synchronisation: each step waits for real events.
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        io.restart();
        while (!finished() && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
        REQUIRE(finished());
    }

    boost::asio::io_context io;
    Fetcher fetcher;
};

// Tests reach 127.0.0.1, so the guard is off unless a test is about the guard.
inline FetchRequest request_for(std::string url) {
    FetchRequest request;
    request.url = std::move(url);
    request.allow_private_networks = true;
    request.connect_timeout = 2s;
    request.timeout = 5s;
    return request;
}

}  // namespace feedd::test
