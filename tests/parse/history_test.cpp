// Feed history (RFC 5005): the links a backfill follows to a feed's earlier documents.
#include <doctest/doctest.h>

#include "feedd/parse/parse.hpp"

using feedd::parse::parse_feed;

TEST_CASE("an archived Atom feed names its previous archive, resolved against the feed's base") {
    const std::string bytes = R"(<feed xmlns="http://www.w3.org/2005/Atom"
        xmlns:fh="http://purl.org/syndication/history/1.0">
      <title>Archived</title>
      <link rel="alternate" href="https://example.org/"/>
      <link rel="current" href="https://example.org/feed.atom"/>
      <link rel="prev-archive" href="/archive/2024-07.atom"/>
      <link rel="next-archive" href="archive/2024-09.atom"/>
      <fh:archive/>
      <entry><id>urn:a</id><title>A</title></entry>
    </feed>)";
    const auto feed = parse_feed(bytes, {"https://example.org/archive/2024-08.atom", ""});
    CHECK(feed.link == "https://example.org/");  // history links are not the feed's own link
    CHECK(feed.prev_archive == "https://example.org/archive/2024-07.atom");
    CHECK(feed.next_page.empty());
    CHECK(feed.archive);
    CHECK_FALSE(feed.complete);
    CHECK(feed.entries.size() == 1);
}

TEST_CASE("a paged feed names its next page: Atom, atom:link in RSS, the IANA URI form, JSON Feed") {
    const auto atom = parse_feed(R"(<feed xmlns="http://www.w3.org/2005/Atom">
        <link rel="NEXT" href="https://example.org/feed?page=2"/><entry><id>x</id></entry></feed>)");
    CHECK(atom.next_page == "https://example.org/feed?page=2");

    const auto rss = parse_feed(R"(<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
        <title>Paged</title><link>https://example.org/</link>
        <atom:link rel="self" href="https://example.org/feed"/>
        <atom:link rel="http://www.iana.org/assignments/relation/next" href="/feed?paged=2"/>
        <item><guid>1</guid></item></channel></rss>)",
                                {"https://example.org/feed", ""});
    CHECK(rss.link == "https://example.org/");
    CHECK(rss.next_page == "https://example.org/feed?paged=2");
    CHECK(rss.prev_archive.empty());

    const auto json = parse_feed(R"({"version": "https://jsonfeed.org/version/1.1", "title": "J",
        "next_url": "page2.json", "items": [{"id": "1", "content_text": "x"}]})",
                                 {"https://example.org/feed/page1.json", ""});
    CHECK(json.next_page == "https://example.org/feed/page2.json");
}

TEST_CASE("a complete feed says so, and a feed without history links has none") {
    const auto complete = parse_feed(R"(<rss version="2.0"
        xmlns:fh="http://purl.org/syndication/history/1.0"><channel><fh:complete/>
        <item><guid>1</guid></item></channel></rss>)");
    CHECK(complete.complete);
    CHECK(complete.next_page.empty());

    const auto plain =
        parse_feed(R"(<rss version="2.0"><channel><item><guid>1</guid></item></channel></rss>)");
    CHECK_FALSE(plain.complete);
    CHECK_FALSE(plain.archive);
    CHECK(plain.prev_archive.empty());
    CHECK(plain.next_page.empty());
    // The JSON contract only grows where the feed has history.
    CHECK(feedd::parse::to_json(plain).find("prev_archive") == std::string::npos);
    CHECK(feedd::parse::to_json(complete).find("\"complete\":true") != std::string::npos);
}
