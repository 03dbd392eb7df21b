// Formats detected from the document; vocabularies known by namespace URI.
#include <doctest/doctest.h>

#include "parse/support.hpp"

using feedd::FeedFormat;
using feedd::format_utc;
using feedd::test::parse_fixture;

TEST_CASE("RSS 0.91 is told apart from RSS 2.0") {
    const auto feed = parse_fixture("rss091.xml");
    CHECK(feed.format == FeedFormat::rss09x);
    CHECK(feed.language == "en-us");
    CHECK(feed.image == "http://old.example.com/logo.gif");  // relative: against the channel link
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].summary == "Hello from 1999 <b>bold</b>");
}

TEST_CASE("RSS 0.90 and RSS 1.0 are RDF documents told apart by their namespace") {
    CHECK(parse_fixture("rss090.rdf").format == FeedFormat::rss09x);
    const auto feed = parse_fixture("rss10.rdf");
    CHECK(feed.format == FeedFormat::rss10);
    CHECK(feed.language == "de");
    CHECK(format_utc(*feed.updated) == "2024-08-23T06:00:00Z");
    CHECK(feed.image == "https://rdf.example.org/logo.png");
    CHECK(feed.update_period_minutes == 30);  // hourly, twice
    REQUIRE(feed.entries.size() == 1);
    const auto& entry = feed.entries[0];
    CHECK(entry.id == "https://rdf.example.org/a");
    CHECK(entry.author == "Anna");
    CHECK(entry.categories == std::vector<std::string>{"Politik"});
    CHECK(format_utc(*entry.published) == "2024-08-23T00:00:00Z");
    CHECK(entry.content == "<p>Lang <img src=\"https://rdf.example.org/img/a.png\"></p>");
}

TEST_CASE("Atom 0.3: escaped mode, tagline, issued and modified, inherited author") {
    const auto feed = parse_fixture("atom03.xml");
    CHECK(feed.format == FeedFormat::atom03);
    CHECK(feed.title == "Atom <0.3> feed");
    CHECK(feed.subtitle == "An old Atom feed");
    CHECK(feed.language == "en");
    REQUIRE(feed.entries.size() == 1);
    const auto& entry = feed.entries[0];
    CHECK(entry.author == "Mark");
    CHECK(format_utc(*entry.published) == "2004-05-01T12:00:00Z");
    CHECK(entry.link == "http://atom03.example.com/2004/05/01/entry");
    CHECK(entry.content == "<p>Escaped <a href=\"http://atom03.example.com/more\">HTML</a></p>");
}

TEST_CASE("Atom text constructs: text is escaped, html kept, xhtml unwrapped, titles plain") {
    const auto feed = parse_fixture("atom-text-constructs.atom");
    CHECK(feed.title == "The bold feed");
    REQUIRE(feed.entries.size() == 2);
    CHECK(feed.entries[0].title == "Less <than> &amp; literal");
    CHECK(feed.entries[0].summary == "5 &lt; 6 &amp; 7");
    CHECK(feed.entries[0].content == "<p>An <em>html</em> body</p>");
    CHECK(feed.entries[1].title == "Tagged & spaced");
    CHECK(feed.entries[1].content ==
          "<p>Prefixed <a href=\"https://constructs.example.com/x\">xhtml</a></p>");
}

TEST_CASE("JSON Feed 1.1: authors, attachments, content_text escaped, numeric ids") {
    const auto feed = parse_fixture("jsonfeed11.json");
    CHECK(feed.format == FeedFormat::json1x);
    CHECK(feed.language == "en-GB");
    CHECK(feed.image == "https://json.example.org/icon.png");
    REQUIRE(feed.entries.size() == 2);
    const auto& second = feed.entries[0];
    CHECK(second.id == "2");
    CHECK(second.link == "https://json.example.org/2");
    CHECK(second.author == "Brent, Manton");
    CHECK(format_utc(*second.published) == "2024-08-23T09:00:00Z");
    CHECK(second.categories == std::vector<std::string>{"json", "feeds"});
    REQUIRE(second.enclosures.size() == 1);
    CHECK(second.enclosures[0] == feedd::Enclosure{"https://json.example.org/2.mp3", "audio/mpeg", 4096});
    CHECK(feed.entries[1].content == "Plain &lt;text&gt; &amp; more");
    CHECK(feed.entries[1].image == "https://json.example.org/1.jpg");
    CHECK(format_utc(*feed.entries[1].updated) == "2024-08-22T10:00:00Z");
}

TEST_CASE("JSON Feed 1.0: the single author and an image from the content") {
    const auto feed = parse_fixture("jsonfeed10.json");
    CHECK(feed.format == FeedFormat::json1x);
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].author == "Old Author");
    CHECK(feed.entries[0].image == "https://json10.example.org/pic.jpg");
}

TEST_CASE("namespaces are matched by URI, not by the prefix a feed picked") {
    const auto feed = parse_fixture("namespace-prefixes.xml");
    CHECK(feed.link == "https://prefix.example.net/");  // a10:link
    REQUIRE(feed.entries.size() == 1);
    const auto& entry = feed.entries[0];
    CHECK(entry.content == "<p>The content</p>");  // c:encoded, not the decoy content:encoded
    CHECK(entry.author == "Dora");
    CHECK(entry.image == "https://prefix.example.net/thumb.jpg");
    CHECK(format_utc(*entry.updated) == "2024-08-23T07:00:00Z");
    CHECK(entry.link == "https://prefix.example.net/1");  // a permalink guid
}

TEST_CASE("podcast tags: itunes image, ttl, skipHours and skipDays, RSS author names") {
    const auto feed = parse_fixture("podcast.xml");
    CHECK(feed.image == "https://pod.example.com/cover.jpg");
    CHECK(feed.ttl_minutes == 60);
    CHECK(feed.skip_hours == std::vector<int>{0, 1, 0});
    CHECK(feed.skip_days == std::vector<std::string>{"Saturday", "Sunday"});
    REQUIRE(feed.entries.size() == 1);
    const auto& episode = feed.entries[0];
    CHECK(episode.author == "The Host");
    CHECK(episode.image == "https://pod.example.com/ep1.jpg");
    CHECK(episode.summary == "Summary &amp; notes");
    REQUIRE(episode.enclosures.size() == 1);
    CHECK(episode.enclosures[0].length == 24986239);
}

TEST_CASE("entry images: media image, image enclosure, else the first <img> of the content") {
    const auto feed = parse_fixture("entry-images.xml");
    REQUIRE(feed.entries.size() == 4);
    CHECK(feed.entries[0].image == "https://img.example.com/still.jpg");  // not the video
    CHECK(feed.entries[1].image == "https://img.example.com/pics/enc.png");
    CHECK(feed.entries[2].image == "https://img.example.com/news/photos/first.jpg");
}
