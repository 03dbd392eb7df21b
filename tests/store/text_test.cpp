// Canonical links and the text forms the archive compares and indexes.
#include <doctest/doctest.h>

#include "feedd/store/store.hpp"
#include "store/text.hpp"

using feedd::store::canonical_link;
using namespace feedd::store::detail;

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

TEST_CASE("html_to_text: tags out, entities decoded, white space collapsed") {
    CHECK(html_to_text("<p>One &amp; two</p><p>three&nbsp;four</p>") == "One & two\nthree four");
    CHECK(html_to_text("<div>\n  <p>a <b>bold</b>\n move</p>\n\n<br/>  <p></p>end</div>") ==
          "a bold move\nend");
    CHECK(html_to_text("China&#39;s &#x4E2D;&lt;b&gt; &hellip;") == "China's \u4E2D<b> \u2026");
    CHECK(html_to_text("<script>var x = '<p>';</script>Text<style>p{}</style> here") == "Text here");
    CHECK(html_to_text("<!-- note --><img src='a.jpg' alt='x'>Caption") == "Caption");
    CHECK(html_to_text("a &unknown; b &#99999999; c") == "a &unknown; b \uFFFD c");
    CHECK(html_to_text("cut <a href=") == "cut");
}

TEST_CASE("valid_utf8 replaces broken sequences") {
    CHECK(valid_utf8("ok \xE4\xB8\xAD") == "ok \xE4\xB8\xAD");
    CHECK(valid_utf8("bad \xFF end") == "bad \uFFFD end");
    CHECK(valid_utf8("overlong \xC0\xAF") == "overlong \uFFFD\uFFFD");
    CHECK(valid_utf8("cut \xE4\xB8") == "cut \uFFFD\uFFFD");
}

TEST_CASE("has_cjk tells scripts written without spaces") {
    CHECK(has_cjk("中国"));
    CHECK(has_cjk("ひらがな"));
    CHECK(has_cjk("한국어"));
    CHECK_FALSE(has_cjk("Ünïcode Ελληνικά русский"));
}

TEST_CASE("hash_hex is stable") {
    CHECK(hash_hex("") != hash_hex(" "));
    CHECK(hash_hex("abc") == hash_hex("abc"));
    CHECK(hash_hex("abc").size() == 32);
}
