// The test server itself: if it lies, every fetch test lies with it.
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "support/http_server.hpp"

namespace http = boost::beast::http;
using feedd::test::HttpServer;
using feedd::test::Request;
using feedd::test::Response;

namespace {

// A blocking client is fine here: the server runs on its own thread.
http::response<http::string_body> get(const HttpServer& server, const std::string& target,
                                      const std::string& host,
                                      std::vector<std::pair<std::string, std::string>> headers = {}) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address(server.address()), server.port()});
    http::request<http::empty_body> request(http::verb::get, target, 11);
    request.set(http::field::host, host);
    for (auto& [name, value] : headers) request.set(name, value);
    http::write(socket, request);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return response;
}

}  // namespace

TEST_CASE("test server answers routes, logs requests and answers 404 elsewhere") {
    HttpServer server;
    server.route("/feed.xml", [](const Request& request) {
        auto response = Response::text("<rss/>");
        if (request.header("if-none-match") == "\"v1\"") response = Response::with_status(304);
        response.headers.emplace_back("ETag", "\"v1\"");
        return response;
    });
    auto first = get(server, "/feed.xml?x=1", "A.Example:8080");
    CHECK(first.result_int() == 200);
    CHECK(first.body() == "<rss/>");
    CHECK(first[http::field::etag] == "\"v1\"");
    auto second = get(server, "/feed.xml", "a.example", {{"If-None-Match", "\"v1\""}});
    CHECK(second.result_int() == 304);
    CHECK(get(server, "/nothing", "a.example").result_int() == 404);

    auto log = server.requests();
    REQUIRE(log.size() == 3);
    CHECK(log[0].path == "/feed.xml");
    CHECK(log[0].target == "/feed.xml?x=1");
    CHECK(log[0].host == "a.example");
    CHECK(log[1].header("if-none-match") == "\"v1\"");
    CHECK(server.requests("/feed.xml").size() == 2);
    CHECK(server.max_concurrent("a.example") == 1);
    CHECK(server.connection_count() == 3);
}

TEST_CASE("test server gzips and builds gzip bombs that inflate to their size") {
    const std::string bomb = feedd::test::gzip_zeros(8 << 20);
    CHECK(bomb.size() < 64 * 1024);
    HttpServer server;
    server.route("/z", [](const Request&) {
        auto response = Response::text(std::string(1000, 'a'));
        response.gzip = true;
        return response;
    });
    auto response = get(server, "/z", "h");
    CHECK(response[http::field::content_encoding] == "gzip");
    CHECK(response.body().size() < 1000);
}
