// Broken XML is repaired and read; the repair is reported; DTD entities are never expanded.
#include <doctest/doctest.h>

#include "parse/support.hpp"

using feedd::test::parse_fixture;

TEST_CASE("HTML entities that XML does not know are read as HTML5 defines them") {
    const auto feed = parse_fixture("html-entities.xml");
    CHECK(feed.title == "Caf\u00e9 \u2013 news today");
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].title == "\u201cQuoted\u201d \u2026 \u00bd \U0001D53C \u2019");
    CHECK(feed.entries[0].summary == "<p>Body</p> with \u00a9 and &nbsp;");
    CHECK_FALSE(feed.wellformed);
    CHECK(feed.error.starts_with("undeclared entity &eacute; in <title> (line 4, column 15), read as HTML"));
}

TEST_CASE("a bare ampersand is a literal one") {
    const auto feed = parse_fixture("bare-ampersand.xml");
    CHECK(feed.title == "Tom & Jerry");
    CHECK(feed.link == "https://amp.example.com/?a=1&b=2");
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].title == "AT&T & friends");
    CHECK(feed.entries[0].link == "https://amp.example.com/item?x=1&y=2");
    CHECK_FALSE(feed.wellformed);
    CHECK(feed.error.find("bare '&'") != std::string::npos);
}

TEST_CASE("control characters are dropped") {
    const auto feed = parse_fixture("control-chars.xml");
    CHECK(feed.title == "Control characters");
    CHECK(feed.entries.at(0).title == "Formfeed");
    CHECK(feed.error.find("control character") != std::string::npos);
}

TEST_CASE("junk before the root and a broken declaration are cut away") {
    const auto junk = parse_fixture("junk-before-root.xml");
    CHECK(junk.is_feed);
    CHECK(junk.title == "After the junk");
    CHECK(junk.entries.size() == 1);
    CHECK(junk.error.find("junk before the XML declaration") != std::string::npos);
    const auto declaration = parse_fixture("broken-declaration.xml");
    CHECK(declaration.title == "Broken declaration");
    CHECK(declaration.entries.size() == 1);
    CHECK_FALSE(declaration.wellformed);
}

TEST_CASE("a truncated feed keeps what arrived, including the half item") {
    const auto feed = parse_fixture("truncated.xml");
    CHECK_FALSE(feed.wellformed);
    CHECK(feed.error.find("truncated") != std::string::npos);
    REQUIRE(feed.entries.size() == 2);
    CHECK(feed.entries[0].link == "https://cut.example.com/1");
    CHECK(feed.entries[1].title == "Half an item");
}

TEST_CASE("unescaped HTML inside a description is kept as HTML and later items survive") {
    const auto feed = parse_fixture("unescaped-html.xml");
    REQUIRE(feed.entries.size() == 2);
    CHECK(feed.entries[0].summary ==
          "<p>First line<br>second line <img src=\"https://raw.example.com/raw.png\">");
    CHECK(feed.entries[0].image == "https://raw.example.com/raw.png");
    CHECK(feed.entries[1].title == "Next item survives");
    CHECK(feed.error.find("<description>") != std::string::npos);
}

TEST_CASE("an unescaped '<' in text is read as text") {
    const auto feed = parse_fixture("unescaped-lt.xml");
    CHECK(feed.entries.at(0).title == "When 1 < 2 holds");
    CHECK(feed.error.find("line 6") != std::string::npos);
}

TEST_CASE("entities of a DTD are never expanded: no billion laughs, no external files") {
    const auto feed = parse_fixture("billion-laughs.xml");
    CHECK(feed.title == "Laughs &lol9;");
    CHECK(feed.entries.at(0).title == "Secret: &xxe;");
    CHECK(feed.error.find("kept as text") != std::string::npos);
}

TEST_CASE("an unclosed element inside an item is closed where its parent ends") {
    const std::string bytes =
        "<rss version=\"2.0\"><channel><item><title>One</title><media>x</item><item><title>Two</title></item>"
        "</channel></rss>";
    const auto feed = feedd::parse::parse_feed(bytes);
    REQUIRE(feed.entries.size() == 2);
    CHECK(feed.entries[1].title == "Two");
    CHECK(feed.error.find("unclosed <media>") != std::string::npos);
}

TEST_CASE("a stray end tag is dropped") {
    const auto feed = feedd::parse::parse_feed(
        "<rss version=\"2.0\"><channel></div><item><title>Kept</title></item></channel></rss>");
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.error.find("stray </div>") != std::string::npos);
}

TEST_CASE("the same breakage in every item is repaired for all items, not one at a time") {
    std::string items;
    for (int i = 0; i < 100; ++i)
        items += "<item><title>t" + std::to_string(i) + ": 1 < 2</title><description><p>Para<br>" +
                 std::to_string(i) + "</description></item>";
    const auto feed = feedd::parse::parse_feed("<rss version=\"2.0\"><channel>" + items + "</channel></rss>");
    REQUIRE(feed.entries.size() == 100);
    CHECK(feed.entries[99].title == "t99: 1 < 2");
    CHECK(feed.entries[99].summary == "<p>Para<br>99");
    CHECK(feed.error.find("(and 1 more problem)") != std::string::npos);
}
