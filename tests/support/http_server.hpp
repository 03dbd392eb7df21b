// A small HTTP/1.1 server for tests, on Boost.Beast, listening on 127.0.0.1 (ephemeral port by
// default) and running on its own thread, plain HTTP or HTTPS. Link `feedd_test_http`
// (tests/CMakeLists.txt): the server is compiled once there (http_server.cpp), since Beast costs
// each file that includes it several seconds of compilation.
//
//     feedd::test::HttpServer server;
//     server.route("/feed.xml", [](const feedd::test::Request& request) {
//         auto response = feedd::test::Response::text("<rss/>", "application/rss+xml");
//         response.headers.emplace_back("ETag", "\"v1\"");
//         if (request.header("if-none-match") == "\"v1\"") response.status = 304, response.body.clear();
//         return response;
//     });
//     server.url("/feed.xml")               // "http://127.0.0.1:PORT/feed.xml"
//     server.url("/feed.xml", "a.example")  // "http://a.example:PORT/feed.xml"; map the name in
//     server.resolve_entry("a.example")     //   the client with this "a.example:PORT:127.0.0.1"
//     server.requests()                     // log: method, path, host, headers, arrival time
//     server.max_concurrent("a.example")    // most requests to that Host in progress at once
//     server.max_open_connections("a.example")
//
// Response knobs: status, headers, body, gzip, delay (a timer), fault (stall before headers,
// stall mid-body, reset mid-body, endless body, slow drip, invalid chunked encoding),
// huge_header_bytes / huge_header_lines, close; helpers Response::text / redirect / with_status,
// gzip_compress, gzip_zeros (bombs, optionally behind a readable prefix).
// HttpServer(port, "127.0.0.2") listens elsewhere on loopback; HttpServer(ServerOptions{...})
// adds TLS (then url() says https). A fixed port lets a test stop a server and start another
// where the client expects it (outage, then recovery).
//
// Handlers run on the server's thread; `route`, `requests` and the counters are safe from any
// thread. Unknown paths answer 404. Routes match the path without the query string. Faults and
// delays use timers and socket operations, never sleeps. The destructor stops the server and
// joins its thread; open connections are closed.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/fixtures.hpp"

namespace feedd::test {

// One request as the server saw it.
struct Request {
    std::string method;
    std::string target;                          // as sent: path and query
    std::string path;                            // without the query
    std::string host;                            // Host header without the port, lowercased
    std::map<std::string, std::string> headers;  // names lowercased
    std::string body;
    std::size_t connection = 0;  // serial number of the TCP connection (reuse shows as repeats)
    std::chrono::steady_clock::time_point received;

    // A header's value, "" when absent. `name` in lower case.
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string{} : it->second;
    }
    bool has_header(const std::string& name) const { return headers.count(name) != 0; }
};

// What a handler wants sent back.
struct Response {
    // How the response misbehaves.
    enum class Fault {
        none,
        stall_before_headers,  // accept the request, then send nothing until the client gives up
        stall_mid_body,  // headers (full Content-Length) and `fault_after_bytes` body bytes, then nothing
        reset_mid_body,  // headers (full Content-Length), `fault_after_bytes` body bytes, then a TCP RST
        endless_body,    // headers without Content-Length, then `body` (or zeros) repeated forever
        drip,            // headers (full Content-Length) at once, then one body byte per `drip_interval`
        bad_chunked,     // Transfer-Encoding: chunked; `body` as one valid chunk, then a chunk whose
                         // size line is `bad_chunk_size` (not hex), then nothing until the client closes
    };

    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // sent as given (no Content-Length)
    std::string body;
    bool gzip = false;                   // gzip `body` and send Content-Encoding: gzip
    std::chrono::milliseconds delay{0};  // wait this long (a timer) before answering
    Fault fault = Fault::none;
    std::size_t fault_after_bytes = 0;
    std::size_t huge_header_bytes = 0;              // adds an "X-Padding" header of this many bytes
    std::size_t huge_header_lines = 0;              // adds this many 100-byte "X-Line-N" header lines
    std::chrono::milliseconds drip_interval{1000};  // Fault::drip: a timer between bytes
    std::string bad_chunk_size = "zz";              // Fault::bad_chunked: the invalid size line
    bool close = false;                             // Connection: close after this response

    static Response text(std::string body, std::string content_type = "application/xml") {
        Response response;
        response.body = std::move(body);
        response.headers.emplace_back("Content-Type", std::move(content_type));
        return response;
    }
    static Response redirect(int status, std::string location) {
        Response response;
        response.status = status;
        response.headers.emplace_back("Location", std::move(location));
        return response;
    }
    static Response with_status(int status, std::string body = {}) {
        Response response;
        response.status = status;
        response.body = std::move(body);
        return response;
    }
};

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
    unsigned short port = 0;  // 0: a free port
    std::string address = "127.0.0.1";
    std::string tls_certificate_file;  // both set: HTTPS
    std::string tls_key_file;
};

// gzip (RFC 1952) of `data`; for tests that serve pre-compressed bodies, gzip bombs included.
// `level` as zlib's (-1: its default).
std::string gzip_compress(std::string_view data, int level = -1);

// `data` in a Content-Encoding the fetcher reads: "gzip", "deflate" (a zlib stream, as RFC 9110
// says), "raw-deflate" (what some servers send as "deflate"), "br" or "zstd". Throws on another.
std::string content_encode(std::string_view data, std::string_view coding);

// gzip of `prefix` followed by `size` zero bytes, compressed in pieces so a large bomb costs
// little memory. A prefix such as the start of a feed makes the bomb look like one.
std::string gzip_zeros(std::size_t size, std::string_view prefix = {});

class HttpServer {
  public:
    // Listens on `address`:`port` (any 127.x.y.z works on Linux); port 0 picks a free port. A
    // fixed port lets a test stop a server and start another one where the client expects it
    // (outage and recovery).
    explicit HttpServer(unsigned short port = 0, std::string address = "127.0.0.1")
        : HttpServer(ServerOptions{port, std::move(address), {}, {}}) {}

    // HTTPS when `tls_certificate_file` (PEM chain) and `tls_key_file` are given.
    explicit HttpServer(ServerOptions options);

    // Stops the server and joins its thread; open connections are closed.
    ~HttpServer();

    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    unsigned short port() const;
    const std::string& address() const;

    // "http://HOST:PORT/path" ("https://" with TLS); HOST defaults to the listening address.
    std::string url(std::string_view path, std::string_view host = {}) const;
    // A CURLOPT_RESOLVE entry mapping `host` to this server: "host:PORT:ADDRESS".
    std::string resolve_entry(std::string_view host) const;

    // Answers requests for `path` (query ignored) with `handler`; replaces an earlier route.
    void route(std::string path, Handler handler);

    // Every request received so far, in order.
    std::vector<Request> requests() const;
    // Requests received for `path`.
    std::vector<Request> requests(std::string_view path) const;
    // Stops (false) or resumes keeping the request log that requests() reads: a long run (the
    // soak) answers hundreds of thousands of requests and would otherwise hold them all.
    void keep_log(bool keep);
    // Requests received, whether or not logged.
    std::size_t request_count() const;
    // TCP connections accepted so far.
    std::size_t connection_count() const;
    // Most requests to one Host (without port) that were in progress at the same time: from the
    // request's arrival until its response was fully sent or its connection closed.
    std::size_t max_concurrent(const std::string& host) const;
    // Most TCP connections open at the same time whose first request named `host` (idle
    // keep-alive connections count; a connection counts from its first request to its close).
    std::size_t max_open_connections(const std::string& host) const;
    // The most requests in progress at once over all hosts.
    std::size_t max_concurrent_total() const;
    // Requests still in progress (a client that gave up shows as 0 once its socket closed).
    std::size_t active() const;

  private:
    struct Impl;  // the Asio context, acceptor, sessions and counters (http_server.cpp)
    std::unique_ptr<Impl> impl_;
};

// Serves tests/fixtures/`fixture` at `path` as `content_type`.
inline void serve_fixture(HttpServer& server, std::string path, const std::string& fixture,
                          std::string content_type = "application/rss+xml") {
    server.route(std::move(path), [body = read_fixture(fixture), type = std::move(content_type)](
                                      const Request&) { return Response::text(body, type); });
}

}  // namespace feedd::test
