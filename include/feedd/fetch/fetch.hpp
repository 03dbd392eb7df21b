// HTTP over the curl multi-socket API, driven by an Asio io_context. Knows nothing of feeds.
//
// One Fetcher per io_context. Transfers share one connection pool, DNS cache and TLS session
// cache; HTTP/2 multiplexes where a server offers it. Each request:
//  - sends If-None-Match / If-Modified-Since from its validators and returns the new ones;
//  - accepts every encoding curl was built with and caps the DECODED body at `max_body`;
//  - follows at most `max_redirects` redirects itself, recording each hop with its status (so a
//    caller can tell 301/308 from 302/307), only to http/https;
//  - sends basic auth and custom headers only to the host (and port) it was asked for and never
//    over http once a hop was https; they never appear in results or messages;
//  - with allow_private_networks = false refuses loopback, private, link-local, ULA, CGNAT,
//    multicast, reserved and unspecified addresses, checked on the address actually connected at
//    every hop (also on reused connections). With a proxy, the proxy's address is not checked
//    (the operator chose it) and the target is resolved by the proxy;
//  - verifies TLS (a per-request `ca_file` for private CAs); honours connect and total timeouts
//    (the total spans all hops) and aborts when under 1 byte/s for 30 s (or the total timeout).
// Failures are data (FetchResult::error + a one-line error_message), never exceptions.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "feedd/model/model.hpp"

namespace feedd::fetch {

struct FetcherOptions {
    // "host:port:address" entries, as curl's CURLOPT_RESOLVE: lets tests map several host
    // names to their 127.0.0.1 server.
    std::vector<std::string> resolve;
    // Numeric addresses the private-network guard lets through although they are internal.
    // Tests only: lets a loopback server stand in for a public host, so that a redirect from it
    // to another internal address can be shown to be refused.
    std::vector<std::string> treat_as_public;
    // Idle connections kept for reuse (curl's default shrinks with the number of transfers
    // running, so a burst's connections would be dropped as it ends).
    long max_idle_connections = 128;
};

// All calls on the io_context's thread; completions run there too, always from a posted step
// (never inside fetch() or cancel_all()), so a completion may start new fetches.
class Fetcher {
  public:
    using Completion = std::function<void(FetchResult)>;

    Fetcher(boost::asio::io_context& io, FetcherOptions options = {});
    // Transfers still running complete with FetchErrorKind::cancelled (posted to the io_context).
    ~Fetcher();
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    // Starts a transfer; `done` is called exactly once (also when cancelled).
    void fetch(FetchRequest request, Completion done);
    // Stops every transfer; their completions report FetchErrorKind::cancelled.
    void cancel_all();
    // Fetches whose completion has not run yet.
    [[nodiscard]] std::size_t in_flight() const;

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// The registered domain of a host (Public Suffix List): "a.b.example.co.uk" -> "example.co.uk";
// "user.github.io" stays itself. IP addresses and unknown names come back lowercased as they are.
// Used to share per-host limits.
[[nodiscard]] std::string registered_domain(std::string_view host);

// The host of a URL, lowercased ("" when the URL does not parse).
[[nodiscard]] std::string url_host(std::string_view url);

// The User-Agent feedd sends by default: "feedd/VERSION (+PROJECT_URL)".
[[nodiscard]] std::string default_user_agent();

}  // namespace feedd::fetch
