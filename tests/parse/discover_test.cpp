// An HTML page is no feed; the feeds it advertises are reported.
#include <doctest/doctest.h>

#include "parse/support.hpp"

TEST_CASE("an HTML page is reported as such, with the feeds it advertises") {
    const auto page = feedd::test::parse_fixture("html-page.html", {"https://site.example.com/", ""});
    CHECK_FALSE(page.is_feed);
    CHECK(page.error.starts_with("not a feed: an HTML page that advertises 3 feeds"));
    REQUIRE(page.advertised.size() == 3);
    CHECK(page.advertised[0] ==
          feedd::FeedLink{"https://site.example.com/news/rss.xml", "application/rss+xml", "All news"});
    CHECK(page.advertised[1].url == "https://site.example.com/atom/politics.xml");  // rel is case-insensitive
    CHECK(page.advertised[2].type == "application/feed+json");
}

TEST_CASE("discovery resolves against the page URL and ignores other links") {
    const auto links = feedd::parse::discover_feed_links(
        "<html><head><link rel=\"alternate stylesheet\" href=\"s.css\" type=\"text/css\">"
        "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"feed/\"></head></html>",
        "https://blog.example/posts/1");
    REQUIRE(links.size() == 1);
    CHECK(links[0].url == "https://blog.example/posts/feed/");
    CHECK(links[0].title.empty());
    CHECK(feedd::parse::discover_feed_links("not html at all", "").empty());
}
