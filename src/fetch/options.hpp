// Settings of a Fetcher that only tests change: the daemon runs with the defaults, so they are not
// part of the public API (include/feedd/fetch/fetch.hpp declares the constructor that takes them).
#pragma once

#include <string>
#include <vector>

namespace feedd::fetch {

struct FetcherOptions {
    // "host:port:address" entries, as curl's CURLOPT_RESOLVE: lets tests map several host
    // names to their 127.0.0.1 server.
    std::vector<std::string> resolve;
    // Numeric addresses the private-network guard lets through although they are internal.
    // Lets a loopback server stand in for a public host, so that a redirect from it to another
    // internal address can be shown to be refused.
    std::vector<std::string> treat_as_public;
    // Idle connections kept for reuse (curl's default shrinks with the number of transfers
    // running, so a burst's connections would be dropped as it ends).
    long max_idle_connections = 128;
};

}  // namespace feedd::fetch
