// HTTP over the curl multi-socket API, driven by an Asio io_context. Knows nothing of feeds.
//
// One Fetcher per io_context. Transfers share one connection pool, DNS cache and TLS session
// cache; HTTP/2 multiplexes where a server offers it. Each request:
//  - sends If-None-Match / If-Modified-Since from its validators and returns the new ones;
//  - accepts every encoding curl was built with and caps the DECODED body at `max_body`;
//  - follows at most `max_redirects` redirects itself, recording each hop with its status (so a
//    caller can tell 301/308 from 302/307), only to http/https;
//  - sends basic auth and custom headers only to the host (and port) of `credentials_origin` (the
//    request's URL when empty), at every hop including the first, and never over http once that
//    origin or a hop was https; they never appear in results or messages;
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

#include "feedd/model/model.hpp"

// The event loop the Fetcher runs on, declared rather than included so that includers of this
// header do not compile Asio. Sound: io_context is a plain class of boost::asio (were it ever an
// alias, this declaration would fail to compile next to Asio's, not misbehave).
namespace boost::asio {
class io_context;
}

namespace feedd::fetch {

// Options only tests change (host name mapping); defined in src/fetch/options.hpp.
struct FetcherOptions;

// All calls on the io_context's thread; completions run there too, always from a posted step
// (never inside fetch() or cancel_all()), so a completion may start new fetches.
class Fetcher {
  public:
    using Completion = std::function<void(FetchResult)>;

    explicit Fetcher(boost::asio::io_context& io);
    Fetcher(boost::asio::io_context& io, const FetcherOptions& options);
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

// Whether credentials configured for `origin` (a URL) go to `url`, by the rule every hop of a
// fetch follows: the same host and port (the scheme's default when none is written), and not
// http when `origin` is https. False when either is not an http(s) URL.
[[nodiscard]] bool credentials_may_go_to(std::string_view origin, std::string_view url);

// The User-Agent feedd sends by default: "feedd/VERSION (+PROJECT_URL)".
[[nodiscard]] std::string default_user_agent();

}  // namespace feedd::fetch
