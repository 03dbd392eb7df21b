// The fetcher against a real HTTP server on 127.0.0.1 (tests/support/http_server.hpp).
#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "feedd/fetch/fetch.hpp"
#include "fetch/harness.hpp"
#include "fetch/options.hpp"
#include "support/faults.hpp"
#include "support/http_server.hpp"

using namespace std::chrono_literals;
using feedd::FetchErrorKind;
using feedd::FetchRequest;
using feedd::FetchResult;
using feedd::fetch::Fetcher;
using feedd::fetch::FetcherOptions;
using namespace feedd::test;

namespace {

Response feed(std::string body) {
    auto response = Response::text(std::move(body), "application/rss+xml; charset=utf-8");
    return response;
}

}  // namespace

TEST_CASE("200: body, content type, validators, cache hints and our User-Agent") {
    HttpServer server;
    server.route("/feed.xml", [](const Request&) {
        auto response = feed("<rss>one</rss>");
        response.headers.emplace_back("ETag", "\"abc\"");
        response.headers.emplace_back("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT");
        response.headers.emplace_back("Cache-Control", "public, max-age=7200");
        response.headers.emplace_back("Expires", "Thu, 22 Oct 2015 07:28:00 GMT");
        response.headers.emplace_back("Date", "Wed, 21 Oct 2015 08:00:00 GMT");
        return response;
    });
    Harness harness;
    const auto result = harness.get(request_for(server.url("/feed.xml")));
    CHECK(result.ok());
    CHECK(result.status == 200);
    CHECK(result.body == "<rss>one</rss>");
    CHECK(result.content_type == "application/rss+xml; charset=utf-8");
    CHECK(result.etag == "\"abc\"");
    CHECK(result.last_modified == "Wed, 21 Oct 2015 07:28:00 GMT");
    CHECK(result.final_url == server.url("/feed.xml"));
    CHECK(result.redirects.empty());
    REQUIRE(result.max_age.has_value());
    CHECK(*result.max_age == 7200s);
    REQUIRE(result.expires.has_value());
    CHECK(feedd::format_utc(*result.expires) == "2015-10-22T07:28:00Z");
    REQUIRE(result.server_date.has_value());
    CHECK(feedd::format_utc(*result.server_date) == "2015-10-21T08:00:00Z");
    CHECK(result.bytes_received > static_cast<std::int64_t>(result.body.size()));

    const auto log = server.requests();
    REQUIRE(log.size() == 1);
    CHECK(log[0].header("user-agent") == feedd::fetch::default_user_agent());
    CHECK_FALSE(log[0].has_header("if-none-match"));
    CHECK_FALSE(log[0].has_header("if-modified-since"));
}

TEST_CASE("304: validators from the first poll are sent back, and new ones come back on 304") {
    HttpServer server;
    server.route("/feed.xml", [](const Request& request) {
        if (request.header("if-none-match") == "\"v1\"" &&
            request.header("if-modified-since") == "Wed, 21 Oct 2015 07:28:00 GMT") {
            auto response = Response::with_status(304);
            response.headers.emplace_back("ETag", "\"v1b\"");
            return response;
        }
        auto response = feed("<rss/>");
        response.headers.emplace_back("ETag", "\"v1\"");
        response.headers.emplace_back("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT");
        return response;
    });
    Harness harness;
    const auto first = harness.get(request_for(server.url("/feed.xml")));
    REQUIRE(first.ok());

    auto again = request_for(server.url("/feed.xml"));
    again.etag = first.etag;
    again.last_modified = first.last_modified;
    const auto second = harness.get(again);
    CHECK(second.not_modified());
    CHECK_FALSE(second.ok());
    CHECK(second.error == FetchErrorKind::none);
    CHECK(second.body.empty());
    CHECK(second.etag == "\"v1b\"");
    CHECK(server.requests().back().header("if-none-match") == "\"v1\"");
}

TEST_CASE("gzip: offered in Accept-Encoding and decoded") {
    const std::string text(50000, 'x');
    HttpServer server;
    server.route("/z.xml", [&text](const Request&) {
        auto response = feed(text);
        response.gzip = true;
        return response;
    });
    Harness harness;
    const auto result = harness.get(request_for(server.url("/z.xml")));
    CHECK(result.ok());
    CHECK(result.body == text);
    CHECK(result.bytes_received < 10000);  // compressed on the wire
    CHECK(server.requests().front().header("accept-encoding").find("gzip") != std::string::npos);
}

namespace {

// A route answering `body` encoded as `header` says (its codings applied in order, as a server
// applies them); `encoded` is what went on the wire.
Response encoded_as(const std::string& body, const std::string& header, std::vector<std::string> codings) {
    auto response = feed(body);
    for (const auto& coding : codings) response.body = content_encode(response.body, coding);
    response.headers.emplace_back("Content-Encoding", header);
    return response;
}

}  // namespace

TEST_CASE("every offered content encoding is decoded: gzip, deflate (zlib or raw), br, zstd, and stacked") {
    HttpServer server;
    std::string text;
    for (int i = 0; i < 3000; ++i) text += "<item><title>Story " + std::to_string(i) + "</title></item>\n";
    struct Case {
        std::string header;
        std::vector<std::string> codings;
    };
    const std::vector<Case> cases = {
        {"gzip", {"gzip"}},
        {"x-gzip", {"gzip"}},
        {"deflate", {"deflate"}},
        {"deflate", {"raw-deflate"}},
        {"br", {"br"}},
        {"zstd", {"zstd"}},
        {"GZIP", {"gzip"}},
        {"identity", {}},
        {"gzip, br", {"gzip", "br"}},
        {"deflate,zstd", {"deflate", "zstd"}},
    };
    Harness harness;
    for (const auto& c : cases) {
        CAPTURE(c.header);
        CAPTURE(c.codings.size());
        const auto response = encoded_as(text, c.header, c.codings);
        const auto wire = response.body.size();
        server.route("/f.xml", [response](const Request&) { return response; });
        const auto result = harness.get(request_for(server.url("/f.xml")));
        CHECK(result.ok());
        CHECK(result.body == text);
        if (!c.codings.empty()) CHECK(wire < text.size() / 4);
    }
    // What a server may choose from, in the one header curl sends.
    const auto offered = server.requests().front().header("accept-encoding");
    for (const char* coding : {"gzip", "deflate", "br", "zstd"})
        CHECK(offered.find(coding) != std::string::npos);
}

TEST_CASE("gzip members one after another decode as one body, and bytes after the last member are ignored") {
    HttpServer server;
    auto response = feed(content_encode("<rss>one ", "gzip") + content_encode("two</rss>", "gzip") + "\n\n");
    response.headers.emplace_back("Content-Encoding", "gzip");
    server.route("/f.xml", [response](const Request&) { return response; });
    Harness harness;
    const auto result = harness.get(request_for(server.url("/f.xml")));
    CHECK(result.ok());
    CHECK(result.body == "<rss>one two</rss>");
}

TEST_CASE(
    "a body that does not decode as its Content-Encoding says is one line of error, and an error page "
    "stays its status") {
    HttpServer server;
    const std::string text(20000, 'x');
    const auto gzip = content_encode(text, "gzip");
    const auto br = content_encode(text, "br");
    const auto zstd = content_encode(text, "zstd");
    struct Case {
        std::string header;
        std::string body;
        std::string says;
    };
    const std::vector<Case> cases = {
        {"gzip", gzip.substr(0, 10) + std::string(gzip.size(), 'z'), "gzip: corrupt or truncated data"},
        {"gzip", gzip.substr(0, gzip.size() / 2), "gzip: corrupt or truncated data"},
        {"gzip", text, "gzip: corrupt or truncated data"},  // said, not done
        {"deflate", text, "deflate: corrupt or truncated data"},
        {"br", br.substr(0, br.size() - 4), "br: truncated"},
        {"br", "\xff\xff" + text, "br: corrupt data ("},
        {"zstd", zstd.substr(0, zstd.size() / 2), "zstd: truncated"},
        {"zstd", text, "zstd: corrupt data ("},
    };
    Harness harness;
    for (const auto& c : cases) {
        CAPTURE(c.header);
        CAPTURE(c.says);
        auto response = feed(c.body);
        response.headers.emplace_back("Content-Encoding", c.header);
        server.route("/f.xml", [response](const Request&) { return response; });
        const auto result = harness.get(request_for(server.url("/f.xml")));
        CHECK(result.error == FetchErrorKind::bad_response);
        CHECK(result.status == 200);
        CHECK(result.body.empty());
        CHECK(result.error_message.find("the body could not be decoded (" + c.says) == 0);
        CHECK(result.error_message.find('\n') == std::string::npos);
    }

    // Not a coding at all: a server's mistake seen in the wild. The body is read as it came.
    for (const char* header : {"utf-8", "text/html", "gzip, binary"}) {
        CAPTURE(header);
        auto mislabelled = feed(std::string(header) == "gzip, binary" ? gzip : "<rss>as sent</rss>");
        mislabelled.headers.emplace_back("Content-Encoding", header);
        server.route("/f.xml", [mislabelled](const Request&) { return mislabelled; });
        const auto read = harness.get(request_for(server.url("/f.xml")));
        CHECK(read.ok());
        CHECK(read.body == (std::string(header) == "gzip, binary" ? text : "<rss>as sent</rss>"));
    }

    // More layers than any server uses: curl refuses the response before feedd sees it.
    auto layered = feed(gzip);
    layered.headers.emplace_back("Content-Encoding", "gzip, gzip, gzip, gzip, gzip, gzip");
    server.route("/f.xml", [layered](const Request&) { return layered; });
    auto result = harness.get(request_for(server.url("/f.xml")));
    CHECK(result.error == FetchErrorKind::bad_response);
    CHECK(result.error_message.find("more than 5 content encodings") != std::string::npos);

    auto missing = feed(gzip.substr(0, 20));
    missing.status = 404;
    missing.headers.emplace_back("Content-Encoding", "gzip");
    server.route("/gone.xml", [missing](const Request&) { return missing; });
    result = harness.get(request_for(server.url("/gone.xml")));
    CHECK(result.error == FetchErrorKind::http);
    CHECK(result.error_message == "HTTP 404 Not Found");
}

TEST_CASE("br and zstd bombs stop at the limit on the decoded size, as gzip's do") {
    const std::string zeros(64u << 20, '\0');
    HttpServer server;
    Harness harness;
    for (const char* coding : {"br", "zstd", "deflate"}) {
        CAPTURE(coding);
        auto response = feed(content_encode(zeros, coding));
        const auto wire = response.body.size();
        response.headers.emplace_back("Content-Encoding", coding);
        server.route("/bomb", [response](const Request&) { return response; });
        auto request = request_for(server.url("/bomb"));
        request.max_body = 1 << 20;
        const auto result = harness.get(request);
        CHECK(result.error == FetchErrorKind::too_large);
        CHECK(result.error_message == "body larger than 1048576 bytes (decoded)");
        CHECK(result.bytes_received < static_cast<std::int64_t>(wire) + 4096);

        request.max_body = 64 << 20;  // exactly the decoded size: allowed
        CHECK(harness.get(request).body.size() == (64u << 20));
    }
}

TEST_CASE("301 then 302 chain: every hop recorded with its status, relative Location resolved") {
    HttpServer server;
    server.route("/old", [&server](const Request&) {
        return Response::redirect(301, server.url("/middle", "b.test"));
    });
    server.route("/middle", [](const Request&) { return Response::redirect(302, "/new?x=1"); });
    server.route("/new", [](const Request&) { return feed("<rss>moved</rss>"); });
    Harness harness(resolving({server.resolve_entry("a.test"), server.resolve_entry("b.test")}));
    const auto result = harness.get(request_for(server.url("/old", "a.test")));
    CHECK(result.ok());
    CHECK(result.body == "<rss>moved</rss>");
    REQUIRE(result.redirects.size() == 2);
    CHECK(result.redirects[0].status == 301);
    CHECK(result.redirects[0].from == server.url("/old", "a.test"));
    CHECK(result.redirects[0].to == server.url("/middle", "b.test"));
    CHECK(result.redirects[1].status == 302);
    CHECK(result.redirects[1].to == server.url("/new?x=1", "b.test"));
    CHECK(result.final_url == server.url("/new?x=1", "b.test"));
    CHECK(server.requests().back().host == "b.test");
}

TEST_CASE("308 and 307 are told apart") {
    HttpServer server;
    server.route("/p", [](const Request&) { return Response::redirect(308, "/t"); });
    server.route("/t", [](const Request&) { return Response::redirect(307, "/end"); });
    server.route("/end", [](const Request&) { return feed("ok"); });
    Harness harness;
    const auto result = harness.get(request_for(server.url("/p")));
    REQUIRE(result.redirects.size() == 2);
    CHECK(result.redirects[0].status == 308);
    CHECK(result.redirects[1].status == 307);
}

TEST_CASE("redirect loop stops after max_redirects") {
    HttpServer server;
    server.route("/loop", faults::redirect(302, "/loop"));
    Harness harness;
    auto request = request_for(server.url("/loop"));
    request.max_redirects = 3;
    const auto result = harness.get(request);
    CHECK(result.error == FetchErrorKind::too_many_redirects);
    CHECK(server.requests("/loop").size() == 4);  // the first request and 3 followed hops
    CHECK(result.redirects.size() == 4);
}

TEST_CASE("redirect to ftp:// or file:// is refused, so is such a URL to begin with") {
    HttpServer server;
    server.route("/ftp", faults::redirect(301, "ftp://127.0.0.1/feed.xml"));
    server.route("/file", faults::redirect(302, "file:///etc/passwd"));
    Harness harness;
    const auto ftp = harness.get(request_for(server.url("/ftp")));
    CHECK(ftp.error == FetchErrorKind::bad_scheme);
    CHECK(ftp.error_message.find("ftp") != std::string::npos);
    const auto file = harness.get(request_for(server.url("/file")));
    CHECK(file.error == FetchErrorKind::bad_scheme);
    CHECK(file.body.empty());
    CHECK(harness.get(request_for("file:///etc/passwd")).error == FetchErrorKind::bad_scheme);
    CHECK(harness.get(request_for("gopher://127.0.0.1/")).error == FetchErrorKind::bad_scheme);
    CHECK(harness.get(request_for("not a url")).error != FetchErrorKind::none);
}

TEST_CASE(
    "private-network guard: internal addresses refused, also behind a redirect and on a reused connection") {
    HttpServer outside;                 // plays a public host
    HttpServer inside(0, "127.0.0.2");  // an internal service
    inside.route("/secret", [](const Request&) { return feed("secret"); });
    outside.route("/feed.xml", [](const Request&) { return feed("public"); });
    outside.route("/jump", [&inside](const Request&) {
        return Response::redirect(302, inside.url("/secret", "intranet.test"));
    });
    Harness harness(resolving({outside.resolve_entry("public.test"), inside.resolve_entry("intranet.test")},
                              {"127.0.0.1"}));
    auto guarded = [](std::string url) {
        auto request = request_for(std::move(url));
        request.allow_private_networks = false;
        return request;
    };

    CHECK(harness.get(guarded(outside.url("/feed.xml", "public.test"))).ok());

    const auto direct = harness.get(guarded(inside.url("/secret", "intranet.test")));
    CHECK(direct.error == FetchErrorKind::blocked_address);
    CHECK(direct.error_message.find("127.0.0.2") != std::string::npos);
    // Through the system resolver too (localhost is 127.0.0.1 and ::1, both internal).
    const auto local = harness.get(guarded("http://localhost:" + std::to_string(inside.port()) + "/secret"));
    CHECK(local.error == FetchErrorKind::blocked_address);

    const auto jumped = harness.get(guarded(outside.url("/jump", "public.test")));
    CHECK(jumped.error == FetchErrorKind::blocked_address);
    CHECK(jumped.redirects.size() == 1);
    CHECK(inside.request_count() == 0);

    // A connection opened while the guard was off must not carry a guarded request.
    CHECK(harness.get(request_for(inside.url("/secret", "intranet.test"))).ok());
    CHECK(harness.get(guarded(inside.url("/secret", "intranet.test"))).error ==
          FetchErrorKind::blocked_address);
    CHECK(inside.request_count() == 1);
}

TEST_CASE("credentials and custom headers go to the original host only") {
    HttpServer server;
    server.route("/private", [&server](const Request&) {
        return Response::redirect(302, server.url("/elsewhere", "other.test"));
    });
    server.route("/elsewhere", [](const Request&) { return feed("x"); });
    server.route("/same", [](const Request&) { return Response::redirect(301, "/private"); });
    Harness harness(resolving({server.resolve_entry("home.test"), server.resolve_entry("other.test")}));
    auto request = request_for(server.url("/same", "home.test"));
    request.username = "reader";
    request.password = "hunter2";
    request.headers = {{"X-Token", "s3cret"}};
    const auto result = harness.get(request);
    CHECK(result.ok());
    const auto log = server.requests();
    REQUIRE(log.size() == 3);
    CHECK(log[0].header("x-token") == "s3cret");
    CHECK(log[0].header("authorization").rfind("Basic ", 0) == 0);
    CHECK(log[1].path == "/private");
    CHECK(log[1].header("x-token") == "s3cret");  // same host and port: still ours
    CHECK(log[2].host == "other.test");
    CHECK_FALSE(log[2].has_header("x-token"));
    CHECK_FALSE(log[2].has_header("authorization"));
    CHECK(result.error_message.find("hunter2") == std::string::npos);
}

TEST_CASE("credentials stay with credentials_origin even when the request starts elsewhere") {
    HttpServer server;
    server.route("/moved", [](const Request&) { return feed("x"); });
    server.route("/back", [&server](const Request&) {
        return Response::redirect(301, server.url("/moved", "home.test"));
    });
    Harness harness(resolving({server.resolve_entry("home.test"), server.resolve_entry("other.test")}));
    auto with_credentials = [&](const std::string& url) {
        auto request = request_for(url);
        request.username = "reader";
        request.password = "hunter2";
        request.headers = {{"X-Token", "s3cret"}};
        request.credentials_origin = server.url("/feed", "home.test");
        return request;
    };
    // Another host from the first request on, and back to the origin through a redirect: the
    // credentials went nowhere before, so they stay withheld (sticky, as after any foreign hop).
    CHECK(harness.get(with_credentials(server.url("/back", "other.test"))).ok());
    // The origin's host at another path gets them.
    CHECK(harness.get(with_credentials(server.url("/moved", "home.test"))).ok());
    const auto log = server.requests();
    REQUIRE(log.size() == 3);
    CHECK(log[0].host == "other.test");
    CHECK_FALSE(log[0].has_header("authorization"));
    CHECK_FALSE(log[0].has_header("x-token"));
    CHECK_FALSE(log[1].has_header("authorization"));
    CHECK(log[2].host == "home.test");
    CHECK(log[2].header("x-token") == "s3cret");
    CHECK(log[2].header("authorization").rfind("Basic ", 0) == 0);

    using feedd::fetch::credentials_may_go_to;
    CHECK(credentials_may_go_to("https://a.example/feed", "https://a.example:443/other"));
    CHECK(credentials_may_go_to("http://a.example:8080/feed", "https://a.example:8080/feed"));
    CHECK_FALSE(credentials_may_go_to("https://a.example/feed", "http://a.example/feed"));
    CHECK_FALSE(credentials_may_go_to("https://a.example:8443/feed", "http://a.example:8443/feed"));
    CHECK_FALSE(credentials_may_go_to("https://a.example/feed", "https://b.example/feed"));
    CHECK_FALSE(credentials_may_go_to("https://a.example/feed", "https://a.example:8443/feed"));
    CHECK_FALSE(credentials_may_go_to("https://a.example/feed", "ftp://a.example/feed"));
}

TEST_CASE("header values with line breaks are not sent (no header smuggling)") {
    HttpServer server;
    server.route("/feed.xml", [](const Request&) { return feed("x"); });
    Harness harness;
    auto request = request_for(server.url("/feed.xml"));
    request.etag = "\"v1\"\r\nX-Injected: 1";
    request.headers = {{"X-Good", "yes"}, {"X-Bad", "a\r\nX-Injected: 2"}, {"X-Bad:", "b"}};
    CHECK(harness.get(request).ok());
    const auto log = server.requests();
    REQUIRE(log.size() == 1);
    CHECK(log[0].header("x-good") == "yes");
    CHECK_FALSE(log[0].has_header("x-injected"));
    CHECK_FALSE(log[0].has_header("x-bad"));
    CHECK_FALSE(log[0].has_header("if-none-match"));
}

TEST_CASE("the proxy setting sends requests through the proxy") {
    HttpServer proxy;  // a plain HTTP proxy sees absolute-form targets
    proxy.route("http://feeds.example.invalid/feed.xml", [](const Request&) { return feed("via proxy"); });
    Harness harness;
    auto request = request_for("http://feeds.example.invalid/feed.xml");
    request.proxy = proxy.url("");
    request.allow_private_networks = false;  // the operator's proxy is not a feed's address
    const auto result = harness.get(request);
    CHECK(result.ok());
    CHECK(result.body == "via proxy");
    REQUIRE(proxy.request_count() == 1);
    CHECK(proxy.requests().front().host == "feeds.example.invalid");
}

namespace {

// Sets environment variables for one test and restores them after.
class ScopedEnv {
  public:
    ScopedEnv(std::initializer_list<std::pair<const char*, std::string>> values) {
        for (const auto& [name, value] : values) {
            const char* old = std::getenv(name);
            saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
            ::setenv(name, value.c_str(), 1);
        }
    }
    ~ScopedEnv() {
        for (const auto& [name, value] : saved_) {
            if (value)
                ::setenv(name.c_str(), value->c_str(), 1);
            else
                ::unsetenv(name.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace

TEST_CASE("proxy variables in the environment are ignored: only the configured proxy is used") {
    HttpServer proxy;                   // a proxy named in the environment, at a "public" address
    HttpServer inside(0, "127.0.0.2");  // an internal service
    const std::string port = std::to_string(inside.port());
    proxy.route("http://intranet.test:" + port + "/secret",
                [](const Request&) { return feed("via env proxy"); });
    proxy.route("http://public.test:" + port + "/feed.xml",
                [](const Request&) { return feed("via env proxy"); });
    inside.route("/secret", [](const Request&) { return feed("secret"); });
    inside.route("/feed.xml", [](const Request&) { return feed("direct"); });
    const std::string proxy_url = proxy.url("");
    ScopedEnv env{{"http_proxy", proxy_url},  {"HTTP_PROXY", proxy_url}, {"https_proxy", proxy_url},
                  {"HTTPS_PROXY", proxy_url}, {"ALL_PROXY", proxy_url},  {"all_proxy", proxy_url}};
    Harness harness(resolving({inside.resolve_entry("intranet.test"), inside.resolve_entry("public.test")},
                              {"127.0.0.1"}));

    // With the guard on, the feed's own address is checked, not the proxy's.
    auto guarded = request_for(inside.url("/secret", "intranet.test"));
    guarded.allow_private_networks = false;
    const auto blocked = harness.get(guarded);
    CHECK(blocked.error == FetchErrorKind::blocked_address);
    CHECK(blocked.body.empty());

    // With the guard off, the request goes straight to the feed.
    const auto direct = harness.get(request_for(inside.url("/feed.xml", "public.test")));
    CHECK(direct.ok());
    CHECK(direct.body == "direct");
    CHECK(proxy.request_count() == 0);
}

TEST_CASE("NO_PROXY in the environment does not route a feed around the configured proxy") {
    HttpServer proxy;
    HttpServer inside(0, "127.0.0.2");
    proxy.route(inside.url("/secret", "intranet.test"), [](const Request&) { return feed("via proxy"); });
    inside.route("/secret", [](const Request&) { return feed("secret"); });
    ScopedEnv env{{"no_proxy", "intranet.test"}, {"NO_PROXY", "intranet.test"}};
    Harness harness(resolving({inside.resolve_entry("intranet.test")}));
    auto request = request_for(inside.url("/secret", "intranet.test"));
    request.proxy = proxy.url("");
    const auto result = harness.get(request);
    CHECK(result.ok());
    CHECK(result.body == "via proxy");
    CHECK(inside.request_count() == 0);
}

TEST_CASE("404 and 410 are HTTP errors that keep their status") {
    HttpServer server;
    server.route("/gone", [](const Request&) { return Response::with_status(410, "gone"); });
    Harness harness;
    const auto missing = harness.get(request_for(server.url("/missing")));
    CHECK(missing.error == FetchErrorKind::http);
    CHECK(missing.status == 404);
    CHECK(missing.error_message == "HTTP 404 Not Found");
    const auto gone = harness.get(request_for(server.url("/gone")));
    CHECK(gone.error == FetchErrorKind::http);
    CHECK(gone.status == 410);
    CHECK_FALSE(gone.ok());
}

TEST_CASE("429 and 503 carry Retry-After in both forms as an absolute time") {
    HttpServer server;
    server.route("/seconds", [](const Request&) {
        auto response = Response::with_status(429);
        response.headers.emplace_back("Retry-After", "120");
        return response;
    });
    server.route("/date", [](const Request&) {
        auto response = Response::with_status(503);
        response.headers.emplace_back("Retry-After", "Fri, 31 Dec 2038 23:59:59 GMT");
        return response;
    });
    Harness harness;
    const auto before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto seconds = harness.get(request_for(server.url("/seconds")));
    const auto after = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    CHECK(seconds.status == 429);
    CHECK(seconds.error == FetchErrorKind::http);
    REQUIRE(seconds.retry_after.has_value());
    CHECK(*seconds.retry_after >= before + 120s);
    CHECK(*seconds.retry_after <= after + 120s);

    const auto date = harness.get(request_for(server.url("/date")));
    CHECK(date.status == 503);
    REQUIRE(date.retry_after.has_value());
    CHECK(feedd::format_utc(*date.retry_after) == "2038-12-31T23:59:59Z");
}

TEST_CASE("a stalled server times out") {
    HttpServer server;
    server.route("/stall", faults::stall_before_headers(feed("never")));
    server.route("/stall-body", faults::stall_mid_body(feed(std::string(10000, 'x')), 100));
    Harness harness;
    auto request = request_for(server.url("/stall"));
    request.timeout = 300ms;
    const auto stalled = harness.get(request);
    CHECK(stalled.error == FetchErrorKind::timeout);
    CHECK(stalled.elapsed >= 300ms);

    request.url = server.url("/stall-body");
    const auto mid = harness.get(request);
    CHECK(mid.error == FetchErrorKind::timeout);
    CHECK(mid.status == 200);
}

TEST_CASE("a delayed answer within the timeout arrives") {
    HttpServer server;
    server.route("/slow", [](const Request&) {
        auto response = feed("late");
        response.delay = 100ms;
        return response;
    });
    Harness harness;
    auto request = request_for(server.url("/slow"));
    request.timeout = 3s;
    const auto result = harness.get(request);
    CHECK(result.ok());
    CHECK(result.elapsed >= 100ms);
}

TEST_CASE("an endless body stops at the limit") {
    HttpServer server;
    server.route("/endless", faults::endless_body(feed("")));
    Harness harness;
    auto request = request_for(server.url("/endless"));
    request.max_body = 256 * 1024;
    const auto result = harness.get(request);
    CHECK(result.error == FetchErrorKind::too_large);
    CHECK(result.body.empty());
    // Stopped on the bytes as sent: nothing was decoded, and the message does not say so.
    CHECK(result.error_message == "body larger than 262144 bytes");
}

TEST_CASE("a gzip bomb stops at the limit on the decoded size") {
    const std::string bomb = gzip_zeros(64u << 20);
    HttpServer server;
    server.route("/bomb", faults::gzip_encoded(feed(bomb)));
    Harness harness;
    auto request = request_for(server.url("/bomb"));
    request.max_body = 1 << 20;
    const auto result = harness.get(request);
    CHECK(result.error == FetchErrorKind::too_large);
    CHECK(result.bytes_received < static_cast<std::int64_t>(bomb.size()) + 4096);

    request.max_body = 128 << 20;  // the same body under a higher limit decodes whole
    CHECK(harness.get(request).body.size() == (64u << 20));
}

TEST_CASE("a connection reset mid-body is a network error") {
    HttpServer server;
    server.route("/reset", faults::reset_mid_body(feed(std::string(100000, 'x')), 1000));
    Harness harness;
    const auto result = harness.get(request_for(server.url("/reset")));
    CHECK(result.error == FetchErrorKind::network);
    CHECK_FALSE(result.error_message.empty());
}

TEST_CASE("huge response headers fail cleanly") {
    HttpServer server;
    server.route("/huge", faults::huge_header(feed("x"), 300 * 1024));
    Harness harness;
    const auto result = harness.get(request_for(server.url("/huge")));
    CHECK_FALSE(result.ok());
    CHECK(result.error == FetchErrorKind::bad_response);
    CHECK_FALSE(result.error_message.empty());
}

TEST_CASE("nothing listening, then the server comes back") {
    unsigned short port = 0;
    {
        HttpServer probe;
        port = probe.port();
    }
    Harness harness;
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/feed.xml";
    const auto down = harness.get(request_for(url));
    CHECK(down.error == FetchErrorKind::connect);
    CHECK(down.status == 0);

    HttpServer server(port);
    server.route("/feed.xml", [](const Request&) { return feed("back"); });
    const auto up = harness.get(request_for(url));
    CHECK(up.ok());
    CHECK(up.body == "back");
}

TEST_CASE("an unknown host name is a DNS error") {
    Harness harness;
    const auto result = harness.get(request_for("http://no-such-host.invalid/feed.xml"));
    CHECK(result.error == FetchErrorKind::dns);
}

TEST_CASE("many fetches at once on one io_context, a second wave reuses the connections") {
    HttpServer server;
    server.route("/feed.xml", [](const Request& request) {
        auto response = feed("<rss>" + request.host + "</rss>");
        response.delay = 20ms;  // keeps them overlapping
        return response;
    });
    FetcherOptions options;
    for (int i = 0; i < 20; ++i)
        options.resolve.push_back(server.resolve_entry("h" + std::to_string(i) + ".test"));
    Harness harness(options);
    std::vector<FetchRequest> requests;
    for (int round = 0; round < 5; ++round)
        for (int i = 0; i < 20; ++i)
            requests.push_back(request_for(server.url("/feed.xml", "h" + std::to_string(i) + ".test")));
    const auto results = harness.get_all(requests);
    for (std::size_t i = 0; i < results.size(); ++i) {
        CHECK(results[i].ok());
        CHECK(results[i].body == "<rss>h" + std::to_string(i % 20) + ".test</rss>");
    }
    CHECK(harness.fetcher.in_flight() == 0);
    CHECK(server.request_count() == 100);
    CHECK(server.max_concurrent_total() > 1);
    const std::size_t connections = server.connection_count();

    std::vector<FetchRequest> second;
    for (int i = 0; i < 20; ++i)
        second.push_back(request_for(server.url("/feed.xml", "h" + std::to_string(i) + ".test")));
    for (const auto& result : harness.get_all(second)) CHECK(result.ok());
    CHECK(server.request_count() == 120);
    CHECK(server.connection_count() == connections);
}

TEST_CASE("cancel_all and destruction complete every transfer exactly once as cancelled") {
    HttpServer server;
    server.route("/stall", faults::stall_before_headers(feed("x")));
    boost::asio::io_context io;
    std::vector<FetchResult> results;
    {
        Fetcher fetcher(io);
        for (int i = 0; i < 3; ++i)
            fetcher.fetch(request_for(server.url("/stall")),
                          [&](FetchResult result) { results.push_back(std::move(result)); });
        CHECK(fetcher.in_flight() == 3);
        // Run until the server has seen the requests, so the transfers are truly under way.
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (server.request_count() < 3 && std::chrono::steady_clock::now() < deadline)
            io.run_one_for(50ms);
        fetcher.cancel_all();
        CHECK(results.empty());           // completions are posted, never called inside cancel_all
        CHECK(fetcher.in_flight() == 3);  // until they have run
        while (results.size() < 3) io.run_one();
        CHECK(fetcher.in_flight() == 0);
        CHECK(server.request_count() == 3);
        fetcher.fetch(request_for(server.url("/stall")),
                      [&](FetchResult result) { results.push_back(std::move(result)); });
    }  // the fourth is still running when the fetcher goes
    io.restart();
    io.run();
    REQUIRE(results.size() == 4);
    for (const auto& result : results) CHECK(result.error == FetchErrorKind::cancelled);
}

TEST_CASE("a completion may start the next fetch") {
    HttpServer server;
    server.route("/feed.xml", [](const Request&) { return feed("x"); });
    Harness harness;
    int completed = 0;
    std::function<void(FetchResult)> chain = [&](FetchResult result) {
        CHECK(result.ok());
        if (++completed < 5) harness.fetcher.fetch(request_for(server.url("/feed.xml")), chain);
    };
    harness.fetcher.fetch(request_for(server.url("/feed.xml")), chain);
    harness.run_until([&] { return completed == 5; });
    CHECK(server.request_count() == 5);
}

TEST_CASE("per-feed User-Agent replaces the default") {
    HttpServer server;
    server.route("/feed.xml", [](const Request&) { return feed("x"); });
    Harness harness;
    auto request = request_for(server.url("/feed.xml"));
    request.user_agent = "custom/1.0";
    CHECK(harness.get(request).ok());
    CHECK(server.requests().front().header("user-agent") == "custom/1.0");
    CHECK(feedd::fetch::default_user_agent().find("feedd/" FEEDD_TEST_VERSION) == 0);
}

TEST_CASE("registered_domain shares limits the way the Public Suffix List says") {
    using feedd::fetch::registered_domain;
    CHECK(registered_domain("a.b.example.co.uk") == "example.co.uk");
    CHECK(registered_domain("WWW.Example.COM") == "example.com");
    CHECK(registered_domain("alice.github.io") == "alice.github.io");
    CHECK(registered_domain("bob.github.io") != registered_domain("alice.github.io"));
    CHECK(registered_domain("alice.tumblr.com") == "tumblr.com");
    CHECK(registered_domain("127.0.0.1") == "127.0.0.1");
}
