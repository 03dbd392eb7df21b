// Links resolved against xml:base (nested), then the feed's link, then --base-url.
#include <doctest/doctest.h>

#include "parse/internal.hpp"
#include "parse/support.hpp"

using feedd::test::parse_fixture;

TEST_CASE("the relative link of cgtn-china.rss resolves against the channel link") {
    const auto feed = feedd::parse::parse_feed(feedd::test::read_fixture("cgtn-china.rss"),
                                               {"https://elsewhere.example/", ""});
    CHECK(feed.entries.at(2).link == "https://news.cgtn.com/news/2024-08-21/clean-energy-bases/index.html");
}

TEST_CASE("nested xml:base applies to links, enclosures and href/src inside content") {
    const auto feed = parse_fixture("xml-base-nested.atom");
    CHECK(feed.link == "https://base.example.com/blog/index.html");
    REQUIRE(feed.entries.size() == 1);
    const auto& entry = feed.entries[0];
    CHECK(entry.link == "https://base.example.com/blog/2024/08/post.html");
    REQUIRE(entry.enclosures.size() == 1);
    CHECK(entry.enclosures[0].url == "https://base.example.com/blog/media/talk.ogg");
    CHECK(entry.content.find("<a href=\"https://base.example.com/static/page.html\">rel</a>") !=
          std::string::npos);
    CHECK(entry.content.find("<a href=\"https://other.example.org/x\">abs</a>") != std::string::npos);
    CHECK(entry.content.find("<a href=\"#top\">frag</a>") != std::string::npos);
    CHECK(entry.content.find("<img src='https://base.example.com/static/img/pic.png'>") != std::string::npos);
    CHECK(entry.image == "https://base.example.com/static/img/pic.png");
}

TEST_CASE("without xml:base or a feed link, --base-url is the base, without any, links stay relative") {
    const std::string bytes =
        "<rss version=\"2.0\"><channel><item><link>a/b.html</link></item></channel></rss>";
    CHECK(feedd::parse::parse_feed(bytes, {"https://given.example/dir/x.xml", ""}).entries.at(0).link ==
          "https://given.example/dir/a/b.html");
    CHECK(feedd::parse::parse_feed(bytes).entries.at(0).link == "a/b.html");
}

TEST_CASE("the HTML scan rewrites only relative href and src attributes") {
    using feedd::parse::detail::absolutize_html;
    std::string html =
        "<a href=\"/x?a=1&amp;b=2\">x</a><img SRC=y.png><a href='mailto:me@example.com'>m</a>"
        "<p data-src=\"z\">src=nothing</p><a href = \"//cdn.example/c\">c</a>";
    absolutize_html(html, "https://h.example/d/e");
    CHECK(html ==
          "<a href=\"https://h.example/x?a=1&amp;b=2\">x</a><img SRC=https://h.example/d/y.png>"
          "<a href='mailto:me@example.com'>m</a><p data-src=\"z\">src=nothing</p>"
          "<a href = \"https://cdn.example/c\">c</a>");
}

TEST_CASE("the seed article's links through RSS and Atom are one once tracking parameters go") {
    const auto rss = feedd::parse::parse_feed(feedd::test::read_fixture("cgtn-china.rss"));
    const auto atom = feedd::parse::parse_feed(feedd::test::read_fixture("cgtn-politics.atom"));
    const auto& from_rss = rss.entries.at(0);
    const auto& from_atom = atom.entries.at(0);
    CHECK(from_rss.link != from_atom.link);
    CHECK(feedd::test::without_tracking(from_rss.link) == feedd::test::without_tracking(from_atom.link));
    CHECK(from_rss.title == from_atom.title);
    CHECK(from_atom.title == "Xi chairs CPC leadership meeting on developing China's western region");
}

TEST_CASE("relative references resolve as RFC 3986 says") {
    using feedd::parse::detail::resolve_url;
    const std::string base = "http://a.example/b/c/d;p?q#f";
    // RFC 3986, section 5.4.1 and 5.4.2 (host renamed).
    CHECK(resolve_url(base, "g") == "http://a.example/b/c/g");
    CHECK(resolve_url(base, "./g") == "http://a.example/b/c/g");
    CHECK(resolve_url(base, "g/") == "http://a.example/b/c/g/");
    CHECK(resolve_url(base, "/g") == "http://a.example/g");
    CHECK(resolve_url(base, "//g") == "http://g");
    CHECK(resolve_url(base, "?y") == "http://a.example/b/c/d;p?y");
    CHECK(resolve_url(base, "g?y") == "http://a.example/b/c/g?y");
    CHECK(resolve_url(base, "#s") == "http://a.example/b/c/d;p?q#s");
    CHECK(resolve_url(base, "g#s") == "http://a.example/b/c/g#s");
    CHECK(resolve_url(base, "..") == "http://a.example/b/");
    CHECK(resolve_url(base, "../g") == "http://a.example/b/g");
    CHECK(resolve_url(base, "../../../g") == "http://a.example/g");
    CHECK(resolve_url(base, "g/../h") == "http://a.example/b/c/h");
    CHECK(resolve_url("https://h.example", "x") == "https://h.example/x");
    CHECK(resolve_url("https://h.example?q=1", "x") == "https://h.example/x");
    CHECK(resolve_url(base, "  https://abs.example/  ") == "https://abs.example/");
    CHECK(resolve_url("not a base", "x") == "x");
}
