// The contract: bytes in, ParsedFeed out, never an exception, never a crash.
#include <doctest/doctest.h>

#include <random>

#include "parse/support.hpp"

using feedd::parse::parse_feed;
using feedd::test::parse_fixture;
using feedd::test::read_fixture;

TEST_CASE("the seed article comes out of the RSS fixture whole") {
    const auto feed = parse_feed(read_fixture("cgtn-china.rss"));
    CHECK(feed.is_feed);
    CHECK(feed.wellformed);
    CHECK(feed.error.empty());
    CHECK(feed.format == feedd::FeedFormat::rss20);
    REQUIRE(feed.entries.size() == 3);
    const auto& seed = feed.entries[0];
    CHECK(seed.id == "1wiDjgGubIY");
    CHECK(seed.title == "Xi chairs CPC leadership meeting on developing China's western region");
    CHECK(seed.author == "CGTN");
    CHECK(seed.categories == std::vector<std::string>{"Politics", "China"});
    CHECK(feedd::format_utc(*seed.published) == "2024-08-23T05:52:31Z");
    CHECK(seed.content.starts_with("<img src='https://news.cgtn.com/"));
    CHECK(seed.content.find("<p>Xi Jinping, general secretary") != std::string::npos);
    // The Chongqing photo.
    CHECK(seed.image.ends_with("/4c9166dcb293471b9b973a125f7ebcf9.jpeg"));
    CHECK(feed.ttl_minutes == 30);
    CHECK(feedd::format_utc(*feed.updated) == "2024-08-23T06:05:10Z");
}

TEST_CASE("entity-laden titles become plain text") {
    const auto feed = parse_feed(read_fixture("cgtn-china.rss"));
    CHECK(feed.entries[1].title == "Chongqing\u2019s new rail link opens & speeds western trade");
}

TEST_CASE("an entry without an image has none rather than a guess") {
    const auto feed = parse_fixture("entry-images.xml");
    CHECK(feed.entries[3].image.empty());
}

TEST_CASE("input that is no feed is reported, not thrown") {
    for (const std::string bytes : {"", "   \n", "just some text", "{\"a\": 1}", "[1,2,3]", "{broken json",
                                    "<?xml version=\"1.0\"?>", "\xFF\xFE", "<"}) {
        CAPTURE(bytes);
        const auto feed = parse_feed(bytes);
        CHECK_FALSE(feed.is_feed);
        CHECK_FALSE(feed.error.empty());
    }
    const auto opml = parse_fixture("not-a-feed.xml");
    CHECK_FALSE(opml.is_feed);
    CHECK(opml.error == "not a feed: the root element is <opml>");
}

TEST_CASE("no prefix of a feed and no mangled copy crashes the parser") {
    // Truncation at every length and deterministic byte flips over fixtures of every kind; run
    // under ASan/UBSan this finds memory errors in the recovery paths.
    std::mt19937 random(12345);
    for (const char* name : {"feeds/atom-text-constructs.atom", "feeds/rss10.rdf", "feeds/jsonfeed11.json",
                             "feeds/unescaped-html.xml", "cgtn-politics.atom"}) {
        const std::string bytes = read_fixture(name);
        for (std::size_t length = 0; length < bytes.size(); length += 7) {
            const auto feed =
                parse_feed(std::string_view(bytes).substr(0, length), {"https://x.example/", ""});
            if (!feed.is_feed) CHECK_FALSE(feed.error.empty());
        }
        for (int round = 0; round < 200; ++round) {
            std::string mangled = bytes;
            for (int flips = 0; flips < 4; ++flips)
                mangled[random() % mangled.size()] = static_cast<char>("<>&;\"'/\0\x80\xff]!"[random() % 13]);
            const auto feed = parse_feed(mangled, {"https://x.example/", "text/xml; charset=utf-8"});
            CHECK((feed.is_feed || !feed.error.empty()));
        }
    }
}

TEST_CASE("to_json prints the contract's fields with null for what is absent") {
    const auto json = feedd::parse::to_json(parse_fixture("rss090.rdf"));
    CHECK(json.starts_with("{\"wellformed\":true,\"error\":null,\"feed\":{\"format\":\"rss0.9x\""));
    CHECK(json.find("\"published\":null") != std::string::npos);
    CHECK(json.find("\"ttl_minutes\":null") != std::string::npos);
    CHECK(json.find('\n') == std::string::npos);
}

TEST_CASE("nesting deeper than any stack does not crash the parser") {
    const int depth = 200000;
    std::string open, close;
    for (int i = 0; i < depth; ++i) open += "<b>", close += "</b>";
    const auto rss = parse_feed("<rss version=\"2.0\"><channel><item><title>deep</title><description>" +
                                open + "x" + close + "</description></item></channel></rss>");
    REQUIRE(rss.entries.size() == 1);
    CHECK(rss.entries[0].summary.size() == open.size() + 1 + close.size());
    const auto atom = parse_feed(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type=\"xhtml\">"
        "<div xmlns=\"http://www.w3.org/1999/xhtml\">" +
        open + "x" + close + "</div></content></entry></feed>");
    REQUIRE(atom.entries.size() == 1);
    CHECK(atom.entries[0].content.starts_with("<b><b>"));
    const auto json =
        parse_feed("{\"version\":\"https://jsonfeed.org/version/1.1\",\"items\":[{\"id\":\"1\",\"x\":" +
                   std::string(depth, '[') + std::string(depth, ']') + "}]}");
    CHECK(json.entries.size() == 1);
    std::string groups;
    for (int i = 0; i < depth; ++i) groups += "<media:group>";
    const auto media =
        parse_feed("<rss version=\"2.0\" xmlns:media=\"http://search.yahoo.com/mrss/\"><channel><item>" +
                   groups + "</item></channel></rss>");
    CHECK(media.is_feed);
}

TEST_CASE("a body given away to the parser reads as the same body lent to it") {
    // parse_feed(std::string&&) frees the body (or its converted copy) as soon as it holds the
    // document; every path through the parser must read the same feed as from a view.
    const std::string documents[] = {
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title><item><title>A</title>"
        "<link>/a</link><content:encoded xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">"
        "<![CDATA[<p><a href=\"/x\">x</a></p>]]></content:encoded></item></channel></rss>",
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel><title>Caf\xe9</title>"
        "<item><title>\xe9t\xe9</title><description>&lt;p&gt;ol\xe9&lt;/p&gt;</description></item>"
        "</channel></rss>",
        std::string("<rss version=\"2.0\"><channel><title>N\0UL</title><item><title>A</title></item>"
                    "</channel></rss>",
                    92),
        "<rss version=\"2.0\"><channel><title>Broken</title><item><title>a < b</title></item></channel>",
        "<!DOCTYPE rss [<!ENTITY e \"expanded\">]><rss version=\"2.0\"><channel><title>&e;</title>"
        "<item><title>A</title></item></channel></rss>",
        "{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"J\", \"home_page_url\": "
        "\"https://example.org/\", \"items\": [{\"id\": \"1\", \"content_html\": \"<p><img "
        "src=\\\"/i.png\\\">"
        "</p>\"}]}",
        "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed\"></head></html>",
        "<?xml version=\"1.0\"?><html><body>page</body></html>",
        "<notafeed/>",
        "plain text",
    };
    for (const auto& document : documents) {
        CAPTURE(document);
        const feedd::parse::ParseOptions options{"https://example.org/feed", ""};
        const auto lent = feedd::parse::to_json(parse_feed(std::string_view(document), options));
        CHECK(feedd::parse::to_json(parse_feed(std::string(document), options)) == lent);
    }
}

TEST_CASE(
    "to_json escapes what JSON requires, keeps other characters and replaces bytes that are not UTF-8") {
    feedd::ParsedFeed feed;
    feed.is_feed = true;
    feed.format = feedd::FeedFormat::rss20;
    feedd::Entry entry;
    entry.title = "q\"b\\s/\x01\x1f\t\n\r\b\f\x7f é 中";
    entry.summary = "bad \xff byte";
    entry.categories = {"a", "b\"c"};
    entry.enclosures.push_back({"http://x.example/a.mp3", "", 12});
    feed.entries.push_back(entry);
    const auto json = feedd::parse::to_json(feed);
    CHECK(json.find(R"("title":"q\"b\\s/\u0001\u001f\t\n\r\b\f)"
                    "\x7f"
                    " é 中\"") != std::string::npos);
    CHECK(json.find("\"summary\":\"bad \xEF\xBF\xBD byte\"") != std::string::npos);
    CHECK(json.find(R"("categories":["a","b\"c"])") != std::string::npos);
    CHECK(json.find(R"("enclosures":[{"url":"http://x.example/a.mp3","type":null,"length":12}]})") !=
          std::string::npos);
    CHECK(json.ends_with("]}]}"));
}
