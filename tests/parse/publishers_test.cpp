// Feeds as publishers serve them: video sites, podcasts, namespaced RSS, Atom entry documents,
// CDF, DOCTYPEs and DTD entities. Each fixture is written from the format's spec or from what
// the publisher serves; the values are what a reader would show.
#include <doctest/doctest.h>

#include "parse/support.hpp"

using feedd::FeedFormat;
using feedd::format_utc;
using feedd::parse::parse_feed;
using feedd::test::parse_fixture;

// ---- Real feeds refused as "not a feed"

TEST_CASE("a DOCTYPE before <rss>, HTML's included, does not make the feed an HTML page") {
    const auto feed = parse_fixture("doctype-html-rss.xml");
    REQUIRE(feed.is_feed);
    CHECK(feed.format == FeedFormat::rss20);
    CHECK(feed.title == "Template leftovers");
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].title == "Still a feed");
    CHECK(feed.wellformed);

    // The page it would be without a feed's root stays a page, with or without <html>.
    const auto page = parse_feed("<!DOCTYPE html>\n<head><title>x</title></head><body><p>hi</p></body>");
    CHECK_FALSE(page.is_feed);
    CHECK(page.error.starts_with("not a feed: an HTML page"));
}

TEST_CASE("an Atom Entry Document is a feed of one entry") {
    const auto feed = parse_fixture("atom-entry-document.atom");
    REQUIRE(feed.is_feed);
    CHECK(feed.format == FeedFormat::atom10);
    CHECK(feed.title.empty());
    CHECK(feed.language == "en");
    REQUIRE(feed.entries.size() == 1);
    const auto& entry = feed.entries[0];
    CHECK(entry.id == "tag:entry.example.com,2024:one");
    CHECK(entry.title == "One entry, alone");
    CHECK(entry.link == "https://entry.example.com/2024/one-entry");  // xml:base of the root, once
    CHECK(entry.author == "Ann Author");
    CHECK(format_utc(*entry.updated) == "2024-08-23T18:30:02Z");
    CHECK(entry.content ==
          "<p>Published with <a href=\"https://entry.example.com/atompub\">AtomPub</a>.</p>");
    CHECK(feed.wellformed);
}

TEST_CASE("CDF: channel and items from HREF, LASTMOD, TITLE and ABSTRACT, sub-channels included") {
    const auto feed = parse_fixture("channel.cdf");
    REQUIRE(feed.is_feed);
    CHECK(std::string(feedd::to_string(feed.format)) == "cdf");
    CHECK(feed.title == "Example Channel");
    CHECK(feed.link == "http://cdf.example.com/index.html");
    CHECK(feed.subtitle == "News from the example company");
    CHECK(feed.image == "http://cdf.example.com/images/logo.gif");
    CHECK(format_utc(*feed.updated) == "1998-11-05T22:12:00Z");
    REQUIRE(feed.entries.size() == 2);
    CHECK(feed.entries[0].title == "First story");
    CHECK(feed.entries[0].link == "http://cdf.example.com/news/1.html");
    CHECK(feed.entries[0].summary == "What happened first");
    CHECK(format_utc(*feed.entries[0].updated) == "1998-11-05T20:00:00Z");
    CHECK(feed.entries[1].title == "Second story");
    CHECK(feed.entries[1].link == "http://cdf.example.com/sport/2.html");
}

// ---- Fields left empty that the feed does carry

TEST_CASE("YouTube channel feed: the description and the thumbnail come from media:group") {
    const auto feed = parse_fixture("youtube-channel.atom");
    CHECK(feed.title == "Example Workshop");
    CHECK(feed.link == "https://www.youtube.com/channel/UCexample0000000000000001");
    REQUIRE(feed.entries.size() == 1);
    const auto& video = feed.entries[0];
    CHECK(video.id == "yt:video:dQx0example1");
    CHECK(video.title == "Building a bench in one day");
    CHECK(video.link == "https://www.youtube.com/watch?v=dQx0example1");
    CHECK(video.author == "Example Workshop");
    CHECK(video.summary ==
          "Oak, glue &amp; patience.\nTools: https://example.com/tools");  // plain text, escaped
    CHECK(video.image == "https://i3.ytimg.com/vi/dQx0example1/hqdefault.jpg");
    CHECK(feed.wellformed);
}

TEST_CASE("Media RSS: media:title, media:description and media:category fill what the item lacks") {
    const auto feed = parse_fixture("media-rss-video.xml");
    REQUIRE(feed.entries.size() == 2);
    const auto& clip = feed.entries[0];
    CHECK(clip.title == "Harbour at dawn");                // inside media:content
    CHECK(clip.summary == "<p>Boats <b>leaving</b></p>");  // type="html"
    CHECK(clip.image == "https://video.example.org/thumbs/clip7.jpg");
    CHECK(clip.categories == std::vector<std::string>{"travel/harbours", "Nature"});
    // The item's own elements win over Media RSS.
    CHECK(feed.entries[1].title == "Own title wins");
    CHECK(feed.entries[1].summary == "Own description wins");
}

TEST_CASE("iTunes: summaries, subtitles and authors of a podcast, whatever the case of their names") {
    const auto feed = parse_fixture("podcast-itunes.xml");
    CHECK(feed.subtitle == "Weekly talk about small gardens");  // itunes:Subtitle
    CHECK(feed.image == "https://garden.example.net/art.jpg");
    REQUIRE(feed.entries.size() == 3);
    CHECK(feed.entries[0].author == "Ruth Example and Tom Guest");
    CHECK(feed.entries[0].summary ==
          "Tomatoes on a balcony: pots, light &amp; water.");           // summary over subtitle
    CHECK(feed.entries[1].summary == "Herbs that survive the winter");  // itunes:SUBTITLE
    CHECK(feed.entries[1].author == "Ruth Example");                    // the channel's itunes:author
    // RSS's own elements win, wherever the iTunes ones stand.
    CHECK(feed.entries[2].author == "Ruth Example");
    CHECK(feed.entries[2].summary == "The show notes");

    // A channel with only itunes:summary has it as its subtitle.
    const auto summary_only = parse_feed(
        "<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel>"
        "<title>P</title><itunes:summary>About the show</itunes:summary></channel></rss>");
    CHECK(summary_only.subtitle == "About the show");
}

TEST_CASE("an Atom feed without an alternate link takes its http(s) id as its link") {
    const auto feed = parse_fixture("atom-draft-namespace.atom");
    CHECK(feed.link == "https://draft.example.net/");
    // A tag: or urn: id is no link.
    const auto tagged = parse_feed(
        "<feed "
        "xmlns=\"http://www.w3.org/2005/Atom\"><title>T</title><id>tag:example.com,2024:feed</id></feed>");
    CHECK(tagged.link.empty());
}

TEST_CASE("RSS in a namespace: Userland's default namespace, or a prefix of the feed's own") {
    const auto userland = parse_fixture("rss-userland-namespace.xml");
    CHECK(userland.format == FeedFormat::rss20);
    CHECK(userland.title == "Scripting News style");
    CHECK(userland.link == "http://userland.example.com/");
    CHECK(userland.subtitle == "RSS 2.0 in Userland's namespace");
    CHECK(userland.language == "en-us");
    REQUIRE(userland.entries.size() == 1);
    CHECK(userland.entries[0].title == "Namespaced item");
    CHECK(userland.entries[0].link == "http://userland.example.com/2004/01/01#a");
    CHECK(userland.entries[0].summary == "Its <i>description</i>");
    CHECK(userland.entries[0].id == "http://userland.example.com/2004/01/01#a");
    CHECK(userland.entries[0].author == "Dave");

    const auto prefixed = parse_fixture("rss-prefixed.xml");
    CHECK(prefixed.title == "Prefixed RSS");
    CHECK(prefixed.subtitle == "Every element under a prefix of its own");
    REQUIRE(prefixed.entries.size() == 1);
    CHECK(prefixed.entries[0].title == "Prefixed item");
    CHECK(prefixed.entries[0].link == "https://prefixed.example.org/1");
    CHECK(prefixed.entries[0].summary == "Prefixed description");
}

TEST_CASE("Atom under a prefix bound to a namespace feedd does not know (a draft's) is read as Atom") {
    const auto feed = parse_fixture("atom-draft-namespace.atom");
    CHECK(feed.format == FeedFormat::atom10);
    CHECK(feed.title == "Draft Atom");
    CHECK(format_utc(*feed.updated) == "2005-07-11T12:00:00Z");
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].title == "From a draft");
    CHECK(feed.entries[0].id == "https://draft.example.net/1");
    CHECK(feed.entries[0].summary == "Before RFC 4287");
}

TEST_CASE("content in other elements: xhtml:body, body and fullitem in RSS items") {
    const auto feed = parse_fixture("content-elements.xml");
    REQUIRE(feed.entries.size() == 3);
    CHECK(feed.entries[0].summary == "Short");
    CHECK(feed.entries[0].content == "<p>The <a href=\"https://bodies.example.com/full\">full</a> text</p>");
    CHECK(feed.entries[1].content == "<p>Body in the XHTML namespace</p>");
    CHECK(feed.entries[2].content == "<p>Escaped full item</p>");
}

TEST_CASE("Atom 0.3: mode=\"base64\" and mode=\"escaped\" are decoded") {
    const auto feed = parse_fixture("atom03-modes.xml");
    CHECK(feed.format == FeedFormat::atom03);
    REQUIRE(feed.entries.size() == 2);
    CHECK(feed.entries[0].content == "<p>Decoded <b>base64</b> – ünïcode</p>");
    CHECK(feed.entries[0].summary == "Plain &amp; simple");  // text/plain: escaped as text
    CHECK(feed.entries[1].content == "<p>Escaped &amp; decoded</p>");
}

TEST_CASE("internal DTD entities with plain text values are expanded, others stay text") {
    const auto feed = parse_fixture("internal-entities.xml");
    CHECK(feed.title == "Example Weekly");
    CHECK(feed.subtitle == "© 2024 Example Weekly");
    REQUIRE(feed.entries.size() == 1);
    const auto& entry = feed.entries[0];
    CHECK(entry.title == "She said \"hi\"");
    CHECK(entry.link == "https://weekly.example.com/issue-1");
    CHECK(entry.summary == "CDATA keeps &site; as it is");
    // An entity that refers to another and an external one are never expanded.
    CHECK(entry.categories == std::vector<std::string>{"&nested;"});
    CHECK(entry.author == "&remote;");
    CHECK_FALSE(feed.wellformed);
    CHECK(feed.error.find("&nested;") != std::string::npos);
}

TEST_CASE("internal DTD entities that would grow the document beyond 1 MiB are not expanded at all") {
    std::string body;
    for (int i = 0; i < 2000; ++i) body += "&big;";
    const auto feed =
        parse_feed("<!DOCTYPE rss [<!ENTITY big \"" + std::string(1000, 'x') +
                   "\"><!ENTITY small \"s\">]><rss version=\"2.0\"><channel><title>&small;</title>"
                   "<item><title>&big;</title><description>" +
                   body + "</description></item></channel></rss>");
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.title == "&small;");
    CHECK(feed.entries[0].title == "&big;");
    CHECK(feed.entries[0].summary == body);
    CHECK(feed.error.find("unknown entity &small;") != std::string::npos);
}

TEST_CASE("RSS 1.0: the item's rdf:about is its id, not dc:identifier") {
    const auto feed = parse_fixture("rss10-identifier.rdf");
    CHECK(feed.format == FeedFormat::rss10);
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].id == "https://journal.example.org/article/10.5555/je.2024.001");
    CHECK(feed.entries[0].link == "https://journal.example.org/article/10.5555/je.2024.001");
    CHECK(feed.entries[0].author == "Mia Author");
    // Without rdf:about, dc:identifier still is the id.
    const auto bare = parse_feed(
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>T</title>"
        "<item><title>I</title><dc:identifier>urn:isbn:0451450523</dc:identifier></item></channel></rss>");
    REQUIRE(bare.entries.size() == 1);
    CHECK(bare.entries[0].id == "urn:isbn:0451450523");
}
