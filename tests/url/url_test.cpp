// The URL toolkit: parts, resolution, the canonical form of cross-feed identity, redaction.
#include <doctest/doctest.h>

#include "feedd/url/url.hpp"

using namespace feedd::url;

TEST_CASE("canonical links: scheme, host, www, port, fragment and tracking parameters") {
    CHECK(canonical_link("HTTP://WWW.Example.ORG:80/a/b?utm_source=rss&id=7&fbclid=x#top") ==
          "https://example.org/a/b?id=7");
    CHECK(canonical_link("https://example.org:443/a") == "https://example.org/a");
    CHECK(canonical_link("https://example.org:8443/a") == "https://example.org:8443/a");
    CHECK(canonical_link("https://example.org") == "https://example.org/");
    CHECK(canonical_link("https://example.org/a/./b/../c") == "https://example.org/a/c");
    CHECK(canonical_link("https://example.org/a?gclid=1&mc_cid=2&mc_eid=3&utm_medium=x") ==
          "https://example.org/a");
    CHECK(canonical_link("https://example.org/A?Q=1") ==
          "https://example.org/A?Q=1");  // path and query keep case
    CHECK(canonical_link("  https://example.org/a  ") == "https://example.org/a");
    CHECK(canonical_link("https://example.org/%7euser") == "https://example.org/~user");
    CHECK(canonical_link("") == "");
    CHECK(canonical_link("not a link") == "not a link");
    CHECK(canonical_link("mailto:someone@example.org") == "mailto:someone@example.org");
    CHECK(canonical_link("https://www2.example.org/a") == "https://www2.example.org/a");
    CHECK(canonical_link("https://[2001:DB8::1]:443/a") == "https://[2001:db8::1]/a");
}

TEST_CASE("parse splits an absolute URL as written, scheme and host lower-cased") {
    auto parts = parse("HTTPS://me:pw@Example.ORG:8443/a/B?x=1#top");
    REQUIRE(parts);
    CHECK(parts->scheme == "https");
    CHECK(parts->userinfo == "me:pw");
    CHECK(parts->host == "example.org");
    CHECK(parts->port == "8443");
    CHECK(parts->path == "/a/B");
    CHECK(parts->query == "?x=1");
    CHECK(parts->fragment == "#top");
    parts = parse("http://[::1]:8080");
    REQUIRE(parts);
    CHECK(parts->host == "[::1]");
    CHECK(parts->port == "8080");
    CHECK(parts->path.empty());
    CHECK_FALSE(parse("example.org/feed"));
    CHECK_FALSE(parse("http://[::1/feed"));
    CHECK(host("https://WWW.Example.org/feed") == "www.example.org");
    CHECK(host("https://User@Feeds.Example.org:8443/x") == "feeds.example.org");
    CHECK(host("not a url").empty());
}

TEST_CASE("relative references resolve against the base (RFC 3986)") {
    const std::string base = "https://h.example/d/e?q#f";
    CHECK(resolve(base, "/x") == "https://h.example/x");
    CHECK(resolve(base, "x/y") == "https://h.example/d/x/y");
    CHECK(resolve(base, "//other.example/p") == "https://other.example/p");
    CHECK(resolve(base, "../up") == "https://h.example/up");
    CHECK(resolve(base, "?z") == "https://h.example/d/e?z");
    CHECK(resolve(base, " mailto:a@b ") == "mailto:a@b");
    CHECK(resolve("", "x") == "x");
    CHECK(has_scheme("feed:https://x"));
    CHECK_FALSE(has_scheme("/path:x"));
}

TEST_CASE("scheme names the scheme a URL starts with, lower-cased, or nothing for a relative one") {
    CHECK(scheme("HTTPS://example.org/") == "https");
    CHECK(scheme("JaVaScRiPt:alert(1)") == "javascript");
    CHECK(scheme("data:image/png;base64,AAAA") == "data");
    CHECK(scheme("/path:x") == "");
    CHECK(scheme("img/a.png") == "");
    CHECK(scheme("1http://x") == "");
    CHECK(scheme("") == "");
}

TEST_CASE("encode_unsafe percent-encodes what a URL may not hold, as a browser sends it") {
    CHECK(encode_unsafe("/images/my photo.jpg") == "/images/my%20photo.jpg");
    CHECK(encode_unsafe("caf\xC3\xA9?q=\"x\"&a=<b>") == "caf%C3%A9?q=%22x%22&a=%3Cb%3E");
    CHECK(encode_unsafe("https://x.example/a%20b?c=d#e") == "https://x.example/a%20b?c=d#e");
    CHECK(resolve("https://x.example/dir/", encode_unsafe("my photo.jpg")) ==
          "https://x.example/dir/my%20photo.jpg");
}

TEST_CASE("redact_userinfo keeps credentials out of messages") {
    CHECK(redact_userinfo("https://me:secret@example.org/feed?a=b@c") == "https://example.org/feed?a=b@c");
    CHECK(redact_userinfo("http://token@[::1]:80/") == "http://[::1]:80/");
    CHECK(redact_userinfo("https://example.org/@user") == "https://example.org/@user");
    CHECK(redact_userinfo("not a url with @ sign") == "not a url with @ sign");
}

TEST_CASE("redact_userinfo_in removes the credentials of every URL in a message") {
    CHECK(redact_userinfo_in("`url` \"https://me:secret@example.org/feed\": bad; see http://a:b@c.org") ==
          "`url` \"https://example.org/feed\": bad; see http://c.org");
    CHECK(redact_userinfo_in("moved to https://u:p@[::1]:8080?x=@y (seen 3 times)") ==
          "moved to https://[::1]:8080?x=@y (seen 3 times)");
    CHECK(redact_userinfo_in("mail me@example.org about https://example.org/@me") ==
          "mail me@example.org about https://example.org/@me");
    CHECK(redact_userinfo_in("") == "");
}
