// HTTP over the curl multi-socket API, driven by an Asio io_context. Knows nothing of feeds.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "feedd/model/model.hpp"

namespace feedd::fetch {

struct FetcherOptions {
    // "host:port:address" entries, as curl's CURLOPT_RESOLVE: lets tests map several host
    // names to their 127.0.0.1 server.
    std::vector<std::string> resolve;
};

// All calls on the io_context's thread; completions run there too.
class Fetcher {
  public:
    using Completion = std::function<void(FetchResult)>;

    Fetcher(boost::asio::io_context& io, FetcherOptions options = {});
    ~Fetcher();
    Fetcher(const Fetcher&) = delete;
    Fetcher& operator=(const Fetcher&) = delete;

    // Starts a transfer; `done` is called exactly once (also when cancelled).
    void fetch(FetchRequest request, Completion done);
    void cancel_all();
    std::size_t in_flight() const;

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// The registered domain of a host (Public Suffix List): "a.b.example.co.uk" -> "example.co.uk";
// "user.github.io" stays itself. Used to share per-host limits.
std::string registered_domain(std::string_view host);

// The User-Agent feedd sends by default.
std::string default_user_agent();

}  // namespace feedd::fetch
