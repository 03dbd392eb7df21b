// The HTTP side of `feedd run` (docs/ARCHITECTURE.md, "HTTP API"): a listener on the daemon's
// event loop, users and their authentication, and a router from paths to handlers. Handlers run
// on the API's reader thread with its own read-only connection to the archive; writes go to the
// daemon's writer thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "feedd/config/config.hpp"
#include "feedd/metrics/metrics.hpp"
#include "feedd/model/model.hpp"
#include "feedd/opml/opml.hpp"
#include "feedd/store/store.hpp"

namespace boost::asio {
class io_context;
}

namespace feedd::api {

// A request as handlers see it: parsed, decoded, the body read whole (within [http] max_body).
struct Request {
    std::string method;  // "GET", "PUT", ...
    std::string target;  // as sent: "/v1/entries?status=unread"
    std::string path;    // percent-decoded, without the query: "/v1/entries"
    std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
    std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
    std::string body;
    // The body's fields, decoded, when it is a form (application/x-www-form-urlencoded).
    std::vector<std::pair<std::string, std::string>> form;
    std::string remote;                         // the peer's address, "unix" on a unix socket
    std::map<std::string, std::string> params;  // the route's {name} parts: "/v1/feeds/{id}"

    // The first value of a query parameter or header (name lowercased), if any.
    [[nodiscard]] std::optional<std::string> query_value(std::string_view name) const;
    [[nodiscard]] std::optional<std::string> header(std::string_view name) const;
    // A field of the query or, failing that, of the form (clients send either); and every value of
    // a field, the query's then the form's (Google Reader's repeated i=).
    [[nodiscard]] std::optional<std::string> field(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> fields(std::string_view name) const;
    // A cookie's value from the Cookie header, if sent.
    [[nodiscard]] std::optional<std::string> cookie(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type and -Length
};

// {"error_message": "..."}, as Miniflux answers errors.
[[nodiscard]] Response json_error(int status, std::string_view message);

// The authenticated caller. `id` is the user's place among the [[user]] blocks (1 for the first),
// the number Miniflux clients show; reading state is kept by `name`. `session` is the secret the
// caller proved, as a Google Reader client holds it: the Auth value that ClientLogin answers for a
// password, or the API token itself; the write token (T) of Google Reader edits is derived from it.
struct User {
    std::string name;
    std::int64_t id = 0;
    std::string session;
    // The web pages' session cookie the caller came with (empty otherwise): what its forms' CSRF
    // token is derived from, and what logout closes.
    std::string web_session;
};

class WebSessions;  // src/api/auth.hpp

// What a handler may use besides the request.
struct Context {
    const User* user = nullptr;  // null on public routes
    store::Archive& archive;     // the reader's read-only connection
    const config::Config& config;
    // Runs `job` on the daemon's writer thread with the write connection and waits for it;
    // rethrows what it threw.
    std::function<void(std::function<void(store::Archive&)>)> write;
    // The listener's own figures (requests by route and status), for /metrics.
    const metrics::CounterFamily* requests = nullptr;
    // The web pages' sessions (login opens one, logout closes it).
    WebSessions* sessions = nullptr;
};

using Handler = std::function<Response(const Request&, Context&)>;

// One place where a method and a path map to a handler. Patterns are literal segments and
// `{name}` segments, which match one non-empty segment and land in Request::params; a last
// `{name*}` takes the rest of the path as it is, slashes included (a Google Reader stream id,
// "feed/12" or "user/-/label/News").
class Router {
  public:
    // user: a password (Basic), an API token (X-Auth-Token or GoogleLogin auth=) or a ClientLogin
    // session; open: no authentication (/healthz); login: the credentials are the form's Email and
    // Passwd fields (Google Reader's ClientLogin), checked and throttled like the others; page: a
    // web page, for the holder of a session cookie (WebSessions), or for anyone when [http]
    // anonymous_read is set (Context::user null then).
    enum class Access { user, open, login, page };
    // What a caller without valid credentials is answered (401), in the shape of the route's
    // protocol; null: Miniflux's JSON error.
    using Refusal = Response (*)();
    void add(std::string method, std::string pattern, Handler handler, Access access = Access::user,
             Refusal refusal = nullptr);

    struct Match {
        const Handler* handler = nullptr;  // null: the path exists with other methods (405)
        Access access = Access::user;
        Refusal refusal = nullptr;
        std::map<std::string, std::string> params;
        std::string pattern;  // as added ("/v1/entries/{id}"): a label that stays bounded
    };
    // Nothing when no route has this path.
    [[nodiscard]] std::optional<Match> match(std::string_view method, std::string_view path) const;

  private:
    struct Route {
        std::string method;
        std::string pattern;
        std::vector<std::string> segments;
        Handler handler;
        Access access;
        Refusal refusal;
    };
    std::vector<Route> routes_;
};

// The daemon's health for /healthz, computed with the reader's connection: the status code
// (200 healthy, 503 otherwise) and the JSON body of `feedd status --format json`.
using HealthCheck = std::function<std::pair<int, std::string>(store::Archive&)>;

// The daemon's figures for /metrics (feeds by state, polls, the archive), written into the
// scrape with the reader's connection; the listener adds its own.
using MetricsSource = std::function<void(metrics::Exposition&, store::Archive&)>;

// Every route feedd serves. `health` answers /healthz; `metrics`, when given, fills /metrics.
[[nodiscard]] Router routes(HealthCheck health, MetricsSource metrics = {});

// The feeds of an OPML export: the configuration's, with what the archive saw of them (their own
// titles and links, gone). `feedd export-opml` and GET /v1/export.
[[nodiscard]] std::vector<opml::ExportFeed> export_feeds(const config::Config& config,
                                                         const std::vector<store::FeedSummary>& archived);

// A feed's state: `feedd feeds list` and the web page /feeds. A feed no longer configured is
// `removed`; otherwise disabled, gone (410 or given up), new (never polled), failing (its last
// poll failed) or ok, from its configuration and its archived state (null: never archived).
enum class FeedStatus { unpolled, ok, failing, gone, disabled, removed };
[[nodiscard]] FeedStatus feed_status(const FeedSource& feed, const FeedState* state);
// Its word: new, ok, failing, gone, disabled, removed.
[[nodiscard]] std::string_view to_string(FeedStatus status);

// A user with the secrets read (at start and on reload).
struct Credentials {
    std::string name;
    std::string password;             // empty: no password login
    std::vector<std::string> tokens;  // X-Auth-Token values
};
// Reads each user's password and tokens from their SecretSource. Throws std::runtime_error
// naming the user and the source (never the secret).
[[nodiscard]] std::vector<Credentials> read_credentials(const std::vector<config::User>& users);

struct ServerOptions {
    store::Location database;  // the reader opens it read-only
    // Hands a job to the daemon's writer thread (thread-safe).
    std::function<void(std::function<void(store::Archive&)>)> post_write;
    // Log lines: level 0 error, 1 warning, 2 info.
    std::function<void(int, const std::string&)> log;
};

class Server {
  public:
    // Listens on config.http.listen (a unix socket path replaces a stale socket file) and opens
    // the reader's connection. Throws std::runtime_error when it cannot.
    Server(boost::asio::io_context& io, const config::Config& config, Router router, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Where it listens: "127.0.0.1:43121" (the port chosen when 0 was asked) or the socket path.
    [[nodiscard]] std::string endpoint() const;
    // Takes feeds, categories and users of a reloaded configuration for the requests that start
    // from now on ([http] itself needs a restart). Throws like read_credentials, keeping the old.
    void reconfigure(const config::Config& config);
    // Stops accepting, closes every connection and ends the reader thread (requests in flight
    // finish first). Idempotent; the destructor calls it.
    void stop();

    struct Impl;  // src/api/server.cpp; shared with the connections, which may outlive a request

  private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace feedd::api
