// [http] and [[user]]: the reader API's keys, validated like every other (file:line:column).
#include <doctest/doctest.h>

#include <algorithm>

#include "config/problems.hpp"
#include "feedd/config/config.hpp"

using namespace std::chrono_literals;
using feedd::SecretSource;
using feedd::test::problems_of;
namespace config = feedd::config;

TEST_CASE("without [http] the API is off, and [http] with [[user]] blocks reads every key") {
    CHECK(config::parse_config("", "/etc/feedd/feeds.toml").http.listen.empty());
    const auto loaded = config::parse_config(R"([http]
listen = "127.0.0.1:8080"
max_connections = 8
request_timeout = "5s"
max_header = "8KiB"
max_body = 65536

[[user]]
name = "alice"
password_file = "alice.pass"
token_env = "ALICE_TOKEN"

[[user]]
name = "bob"
token_file = ["bob-phone.token", "/srv/bob-laptop.token"]
token_credential = "bob-tablet"
)",
                                             "/etc/feedd/feeds.toml");
    CHECK(loaded.http.listen == "127.0.0.1:8080");
    CHECK(loaded.http.max_connections == 8);
    CHECK(loaded.http.request_timeout == 5s);
    CHECK(loaded.http.max_header == 8192);
    CHECK(loaded.http.max_body == 65536);
    REQUIRE(loaded.users.size() == 2);
    CHECK(loaded.users[0].name == "alice");
    CHECK(loaded.users[0].password == SecretSource{SecretSource::Kind::file, "/etc/feedd/alice.pass"});
    REQUIRE(loaded.users[0].tokens.size() == 1);
    CHECK(loaded.users[0].tokens[0] == SecretSource{SecretSource::Kind::env, "ALICE_TOKEN"});
    CHECK(loaded.users[1].password.kind == SecretSource::Kind::none);
    REQUIRE(loaded.users[1].tokens.size() == 3);
    CHECK(loaded.users[1].tokens[0].reference == "/etc/feedd/bob-phone.token");
    CHECK(loaded.users[1].tokens[1].reference == "/srv/bob-laptop.token");
    CHECK(loaded.users[1].tokens[2] == SecretSource{SecretSource::Kind::credential, "bob-tablet"});
}

TEST_CASE("[http] listen takes an IP address and port, an IPv6 one in brackets, or a unix socket path") {
    for (const char* good : {"127.0.0.1:8080", "[::1]:8080", "0.0.0.0:0", "/run/feedd/api.sock"})
        CHECK_MESSAGE(problems_of(std::string("[http]\nlisten = \"") + good + "\"\n").empty(), good);
    const auto host = problems_of("[http]\nlisten = \"localhost:8080\"\n");
    REQUIRE(host.size() == 1);
    CHECK(
        host[0].starts_with("/etc/feedd/feeds.toml:2:10: `listen` \"localhost:8080\" must start with an IP "
                            "address"));
    const auto port = problems_of("[http]\nlisten = \"127.0.0.1:99999\"\n");
    REQUIRE(port.size() == 1);
    CHECK(port[0].find("port \"99999\"") != std::string::npos);
    const auto no_port = problems_of("[http]\nlisten = \"127.0.0.1\"\n");
    REQUIRE(no_port.size() == 1);
    CHECK(no_port[0].find("must be an address and a port") != std::string::npos);
}

TEST_CASE("[http] and [[user]] mistakes are each one line with their position") {
    const auto problems = problems_of(R"([http]
listen = "127.0.0.1:8080"
max_conections = 3
max_body = "1GiB"

[[user]]
password_file = "x"

[[user]]
name = "carol"

[[user]]
name = "dave:admin"
token_env = "T"

[[user]]
name = "erin"
password_env = "A"
password_file = "b"

[[user]]
name = "erin"
token_env = "T2"
)");
    REQUIRE(problems.size() == 7);
    CHECK(problems[0] ==
          "/etc/feedd/feeds.toml:3:1: unknown key `max_conections` in [http]; did you mean "
          "`max_connections`?");
    CHECK(
        problems[1].starts_with("/etc/feedd/feeds.toml:4:12: `max_body` must be a size from 1KiB to 64MiB"));
    CHECK(problems[2] == "/etc/feedd/feeds.toml:6:1: this [[user]] has no `name`");
    CHECK(problems[3].starts_with(
        "/etc/feedd/feeds.toml:9:1: user \"carol\" has neither a password nor a token"));
    CHECK(problems[4] ==
          "/etc/feedd/feeds.toml:13:8: user name \"dave:admin\" contains ':' (basic authentication "
          "splits there)");
    CHECK(problems[5] ==
          "/etc/feedd/feeds.toml:19:17: give only one of `password_file`, `password_env` and "
          "`password_credential`");
    CHECK(problems[6] == "/etc/feedd/feeds.toml:22:8: duplicate user name \"erin\"");
}

TEST_CASE("an [http] listener without any [[user]] is a warning: only /healthz would answer") {
    const auto loaded =
        config::parse_config("[http]\nlisten = \"127.0.0.1:8080\"\n", "/etc/feedd/feeds.toml");
    CHECK(std::any_of(loaded.warnings.begin(), loaded.warnings.end(),
                      [](const std::string& w) { return w.find("no [[user]]") != std::string::npos; }));
}
