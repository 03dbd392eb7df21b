// The listener, its limits and authentication, against a real server on loopback.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "api/auth.hpp"
#include "api/client.hpp"
#include "api/world.hpp"

using namespace feedd::test;
using nlohmann::json;

namespace {

const std::string http_on_loopback = R"(
[http]
listen = "127.0.0.1:0"
request_timeout = "1s"
max_connections = 4
max_header = "2KiB"
max_body = "4KiB"
)";

}  // namespace

TEST_CASE("/healthz answers like feedd status --format json, without authentication") {
    ApiWorld world(http_on_loopback + two_users);
    const auto answer = fetch(world.endpoint, "GET", "/healthz");
    CHECK(answer.status == 200);
    CHECK(answer.header("Content-Type") == "application/json");
    const auto body = json::parse(answer.body);
    CHECK(body["health"] == "healthy");
    CHECK(body["running"] == true);
    CHECK(body["feeds"] == 0);
    CHECK(body.contains("articles"));
}

TEST_CASE("every other endpoint needs a password or a token, and each caller is who they say") {
    ApiWorld world(http_on_loopback + two_users);
    const auto anonymous = fetch(world.endpoint, "GET", "/v1/me");
    CHECK(anonymous.status == 401);
    CHECK(anonymous.header("WWW-Authenticate") == "Basic realm=\"feedd\"");
    CHECK(json::parse(anonymous.body) == json{{"error_message", "access unauthorized"}});

    const auto wrong = fetch(world.endpoint, "GET", "/v1/me", {{"Authorization", basic("alice", "guess")}});
    CHECK(wrong.status == 401);
    CHECK(wrong.body.find("alice") == std::string::npos);
    // bob has no password: no password logs him in, not even alice's.
    CHECK(fetch(world.endpoint, "GET", "/v1/me", {{"Authorization", basic("bob", "alice-secret")}}).status ==
          401);
    CHECK(fetch(world.endpoint, "GET", "/v1/me", {{"X-Auth-Token", "alice-token2"}}).status == 401);

    const auto alice =
        fetch(world.endpoint, "GET", "/v1/me", {{"Authorization", basic("alice", "alice-secret")}});
    REQUIRE(alice.status == 200);
    CHECK(json::parse(alice.body)["username"] == "alice");
    CHECK(json::parse(alice.body)["id"] == 1);
    const auto by_token = fetch(world.endpoint, "GET", "/v1/me", {{"X-Auth-Token", "alice-token"}});
    CHECK(json::parse(by_token.body)["username"] == "alice");
    const auto bob = fetch(world.endpoint, "GET", "/v1/me", {{"X-Auth-Token", "bob-token"}});
    REQUIRE(bob.status == 200);
    CHECK(json::parse(bob.body)["username"] == "bob");
    CHECK(json::parse(bob.body)["id"] == 2);
}

TEST_CASE("an unknown path is 404 and a known path with another method 405, both as JSON errors") {
    ApiWorld world(http_on_loopback + two_users);
    const auto missing = fetch(world.endpoint, "GET", "/v2/nothing");
    CHECK(missing.status == 404);
    CHECK(json::parse(missing.body).contains("error_message"));
    CHECK(fetch(world.endpoint, "DELETE", "/healthz").status == 405);
}

TEST_CASE("oversized headers are answered 431 and an oversized body 413, and the connection closes") {
    ApiWorld world(http_on_loopback + two_users);
    {
        Connection<> connection(world.endpoint);
        const auto answer = connection.request("GET", "/healthz", {{"X-Padding", std::string(4096, 'a')}});
        CHECK(answer.status == 431);
        CHECK(connection.closed_by_peer());
    }
    {
        Connection<> connection(world.endpoint);
        const auto answer =
            connection.request("PUT", "/v1/me", {{"X-Auth-Token", "alice-token"}}, std::string(8192, 'x'));
        CHECK(answer.status == 413);
        CHECK(connection.closed_by_peer());
    }
    // The server still answers.
    CHECK(fetch(world.endpoint, "GET", "/healthz").status == 200);
}

TEST_CASE("a request that does not arrive within request_timeout is answered 408 and closed") {
    ApiWorld world(http_on_loopback + two_users);
    Connection<> slow(world.endpoint);
    slow.send_raw("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");  // and never the blank line
    CHECK(slow.read().status == 408);
    CHECK(slow.closed_by_peer());
    // An idle connection is closed without a word.
    Connection<> idle(world.endpoint);
    CHECK(idle.closed_by_peer());
}

TEST_CASE("connections beyond max_connections are answered 503, the admitted ones keep working") {
    ApiWorld world(http_on_loopback + two_users);
    std::vector<std::unique_ptr<Connection<>>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(std::make_unique<Connection<>>(world.endpoint));
        REQUIRE(held.back()->request("GET", "/healthz").status == 200);  // admitted, kept alive
    }
    Connection<> extra(world.endpoint);
    CHECK(extra.read().status == 503);
    CHECK(held.front()->request("GET", "/healthz").status == 200);
    held.clear();
    // Each ended connection frees its place (the server sees the close before the next accept).
    bool admitted = false;
    for (int attempt = 0; attempt < 50 && !admitted; ++attempt)
        admitted = fetch(world.endpoint, "GET", "/healthz").status == 200;
    CHECK(admitted);
}

TEST_CASE("repeated failed logins from one address are answered 429 for a while, other addresses are not") {
    ApiWorld world(http_on_loopback + two_users);
    for (int i = 0; i < feedd::api::Throttle::free_failures + 1; ++i)
        CHECK(
            fetch(world.endpoint, "GET", "/v1/me", {{"X-Auth-Token", "guess-" + std::to_string(i)}}).status ==
            401);
    // Now even the right password waits: the address is closed.
    const auto closed =
        fetch(world.endpoint, "GET", "/v1/me", {{"Authorization", basic("alice", "alice-secret")}});
    CHECK(closed.status == 429);
    CHECK(std::stoi(closed.header("Retry-After")) >= 1);
    // The same from another loopback address passes.
    Connection<> elsewhere(world.endpoint, "127.0.0.2");
    CHECK(elsewhere.request("GET", "/v1/me", {{"Authorization", basic("alice", "alice-secret")}}).status ==
          200);
}

TEST_CASE("the listener works on a unix socket path, and removes the socket when it stops") {
    feedd::test::TempDir socket_dir;
    const auto socket = (socket_dir / "api.sock").string();
    {
        ApiWorld world("[http]\nlisten = \"" + socket + "\"\n" + two_users);
        CHECK(world.endpoint == socket);
        Connection<boost::asio::local::stream_protocol> connection(socket);
        CHECK(connection.request("GET", "/v1/me", {{"X-Auth-Token", "bob-token"}}).status == 200);
    }
    CHECK(!std::filesystem::exists(socket));
}

TEST_CASE("passwords and tokens are compared in full: a prefix or a longer guess is no match") {
    using feedd::api::equal_constant_time;
    CHECK(equal_constant_time("secret", "secret"));
    CHECK(!equal_constant_time("secre", "secret"));
    CHECK(!equal_constant_time("secrets", "secret"));
    CHECK(!equal_constant_time("", "secret"));
    CHECK(!equal_constant_time("secret", ""));
    CHECK(equal_constant_time("", ""));
}
