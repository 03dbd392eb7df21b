// HTTPS against the local server: verification, a private CA through ca_file, and credentials
// that never travel over plain http once a hop was https.
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <optional>

#include "feedd/fetch/fetch.hpp"
#include "fetch/harness.hpp"
#include "support/faults.hpp"

using namespace std::chrono_literals;
using feedd::FetchErrorKind;
using feedd::FetchRequest;
using feedd::FetchResult;
using namespace feedd::test;

namespace {

const std::string ca_file = faults::test_ca_file();

}  // namespace

TEST_CASE("https: verified against the feed's ca_file, refused without it or for another name") {
    HttpServer server(faults::tls_options());
    server.route("/feed.xml", [](const Request&) { return Response::text("<rss>secure</rss>"); });
    feedd::test::Harness harness(
        resolving({server.resolve_entry("secure.test"), server.resolve_entry("wrong.test")}));

    auto request = request_for(server.url("/feed.xml", "secure.test"));
    request.ca_file = ca_file;
    const auto trusted = harness.get(request);
    CHECK(trusted.ok());
    CHECK(trusted.body == "<rss>secure</rss>");

    const auto untrusted = harness.get(request_for(server.url("/feed.xml", "secure.test")));
    CHECK(untrusted.error == FetchErrorKind::tls);
    CHECK(untrusted.error_message.starts_with("TLS failed: "));  // says what failed, not just OpenSSL's code
    CHECK(untrusted.body.empty());

    auto wrong_name = request_for(server.url("/feed.xml", "wrong.test"));
    wrong_name.ca_file = ca_file;
    CHECK(harness.get(wrong_name).error == FetchErrorKind::tls);
    CHECK(server.request_count() == 1);  // nothing was sent over an unverified connection
}

TEST_CASE("credentials are not sent over http after https, even back on the same host") {
    HttpServer plain;
    HttpServer secure(faults::tls_options());
    secure.route("/feed.xml", [&plain](const Request&) {
        return Response::redirect(301, plain.url("/feed.xml", "secure.test"));  // downgrade
    });
    plain.route("/feed.xml", [&secure](const Request&) {
        return Response::redirect(302, secure.url("/final", "secure.test"));
    });
    secure.route("/final", [](const Request&) { return Response::text("<rss/>"); });
    // Both servers answer to secure.test on their own ports.
    feedd::test::Harness harness(
        resolving({secure.resolve_entry("secure.test"), plain.resolve_entry("secure.test")}));

    auto request = request_for(secure.url("/feed.xml", "secure.test"));
    request.ca_file = ca_file;
    request.username = "reader";
    request.password = "hunter2";
    request.headers = {{"Authorization-Token", "s3cret"}};
    const auto result = harness.get(request);
    CHECK(result.ok());
    REQUIRE(result.redirects.size() == 2);

    const auto first = secure.requests("/feed.xml");
    REQUIRE(first.size() == 1);
    CHECK(first[0].has_header("authorization"));
    CHECK(first[0].header("authorization-token") == "s3cret");
    const auto downgraded = plain.requests();
    REQUIRE(downgraded.size() == 1);
    CHECK_FALSE(downgraded[0].has_header("authorization"));
    CHECK_FALSE(downgraded[0].has_header("authorization-token"));
    const auto back = secure.requests("/final");
    REQUIRE(back.size() == 1);
    CHECK_FALSE(back[0].has_header("authorization"));  // once dropped, never sent again
    CHECK_FALSE(back[0].has_header("authorization-token"));
}
