#include <doctest/doctest.h>

#include <algorithm>

#include "feedd/opml/opml.hpp"
#include "support/fixtures.hpp"

namespace opml = feedd::opml;
using feedd::test::read_fixture;

namespace {

using Tags = std::vector<std::string>;

const opml::ImportedFeed& by_url(const opml::ImportResult& result, const std::string& url) {
    const auto it = std::find_if(result.feeds.begin(), result.feeds.end(),
                                 [&](const opml::ImportedFeed& feed) { return feed.url == url; });
    if (it == result.feeds.end()) throw std::runtime_error("no feed " + url);
    return *it;
}

opml::ExportFeed exported(const std::string& name, const std::string& url, const std::string& category,
                          Tags tags = {}) {
    opml::ExportFeed feed;
    feed.source.name = name;
    feed.source.url = url;
    feed.source.category = category;
    feed.source.tags = std::move(tags);
    return feed;
}

}  // namespace

TEST_CASE("newsboat's flat OPML 1.0 with titles but no text") {
    const auto result = opml::import_opml(read_fixture("opml/newsboat.opml"));
    CHECK(result.title == "newsboat - Exported Feeds");
    REQUIRE(result.feeds.size() == 4);
    CHECK(result.skipped.empty());
    CHECK(result.feeds[0].url == "https://lwn.net/headlines/rss");
    CHECK(result.feeds[0].title == "LWN.net");
    CHECK(result.feeds[0].site_link == "https://lwn.net");
    CHECK(result.feeds[0].category.empty());
    CHECK(result.feeds[3].url == "https://blog.example.org/feed?tag=c%2B%2B&lang=en");
    CHECK(result.feeds[3].title == "C++ & friends");
}

TEST_CASE("Miniflux's OPML 2.0: one folder level, no type attribute") {
    const auto result = opml::import_opml(read_fixture("opml/miniflux.opml"));
    REQUIRE(result.feeds.size() == 4);
    CHECK(result.skipped.empty());
    CHECK(result.feeds[0].title == "Ars Technica");
    CHECK(result.feeds[0].category == "All");
    CHECK(by_url(result, "https://feeds.bbci.co.uk/news/world/rss.xml").category == "News");
    CHECK(by_url(result, "https://www.cgtn.com/subscribe/rss/section/china.xml").site_link ==
          "https://www.cgtn.com/china");
}

TEST_CASE("FreshRSS: feeds imported, its scraped web pages skipped with the reason") {
    const auto result = opml::import_opml(read_fixture("opml/freshrss.opml"));
    REQUIRE(result.feeds.size() == 3);
    CHECK(result.feeds[0].category == "Uncategorized");
    CHECK(by_url(result, "https://lwn.net/headlines/rss").category == "Tech");
    CHECK(by_url(result, "https://planet.debian.org/rss20.xml").title == "Planet Debian");
    REQUIRE(result.skipped.size() == 1);
    CHECK(result.skipped[0].text == "Some shop");
    CHECK(result.skipped[0].reason.find("scraped web page") != std::string::npos);
}

TEST_CASE("Feedly: a feed in two folders is one feed, the second folder a tag") {
    const auto result = opml::import_opml(read_fixture("opml/feedly.opml"));
    REQUIRE(result.feeds.size() == 3);
    const auto& verge = by_url(result, "https://www.theverge.com/rss/index.xml");
    CHECK(verge.category == "Tech");
    CHECK(verge.tags == Tags{"Must Read"});
    CHECK(by_url(result, "http://feeds.arstechnica.com/arstechnica/index").category == "Tech");
    CHECK(by_url(result, "https://api.quantamagazine.org/feed/").category == "Science");
}

TEST_CASE("Inoreader: UTF-8 titles and folders, a feed outside any folder") {
    const auto result = opml::import_opml(read_fixture("opml/inoreader.opml"));
    REQUIRE(result.feeds.size() == 4);
    const auto& people = by_url(result, "http://www.people.com.cn/rss/world.xml");
    CHECK(people.category == "人民网");
    CHECK(people.title == "人民网 - 国际");
    CHECK(by_url(result, "https://www.aljazeera.com/xml/rss/all.xml").title ==
          "Al Jazeera – Breaking News, World News and Video from Al Jazeera");
    CHECK(by_url(result, "https://xkcd.com/rss.xml").category.empty());
    CHECK(by_url(result, "https://xkcd.com/rss.xml").title == "Comics");
}

TEST_CASE("the quirks of hand-edited files") {
    const auto result = opml::import_opml(read_fixture("opml/quirks.opml"));
    const auto& cgtn = by_url(result, "https://www.cgtn.com/subscribe/rss/section/china.xml");
    CHECK(cgtn.title == "CGTN China");     // line break in the attribute collapsed
    CHECK(cgtn.category == "News/Asia");   // a folder with only a title
    CHECK(cgtn.tags == Tags{"Politics"});  // the same URL, host in capitals, in another folder
    const auto& untitled = by_url(result, "https://example.org/no-text.xml");
    CHECK(untitled.title.empty());
    CHECK(untitled.site_link == "https://example.org/");
    const auto& flat = by_url(result, "https://flat.example/rss");
    CHECK(flat.category == "Blogs/Friends");
    CHECK(flat.tags == Tags{"personal", "weekly"});
    const auto& tagged = by_url(result, "https://tags.example/rss");
    CHECK(tagged.category.empty());
    CHECK(tagged.tags == Tags{"tech", "linux"});
    CHECK(by_url(result, "http://old.example/rss.xml").title == "Old browser link");
    CHECK(result.feeds.size() == 5);

    REQUIRE(result.skipped.size() == 5);
    CHECK(result.skipped[0].text == "No URL at all");
    CHECK(result.skipped[0].reason == "no feed URL (xmlUrl)");
    CHECK(result.skipped[1].text == "Gopher hole");
    CHECK(result.skipped[1].reason == "not an http(s) URL: gopher://gopher.example/feed");
    CHECK(result.skipped[2].reason == "not an http(s) URL: file:///home/jane/feed.xml");
    CHECK(result.skipped[3].text == "A web page");
    CHECK(result.skipped[3].reason.find("not a feed") != std::string::npos);
    CHECK(result.skipped[4].text == "Empty folder");
}

TEST_CASE("input that is not OPML is refused with one clear line") {
    CHECK_THROWS_WITH_AS(opml::import_opml(read_fixture("opml/not-xml.opml")), doctest::Contains("not XML: "),
                         opml::OpmlError);
    CHECK_THROWS_WITH_AS(opml::import_opml(read_fixture("opml/not-xml.opml")), doctest::Contains("line 2"),
                         opml::OpmlError);
    CHECK_THROWS_WITH_AS(
        opml::import_opml(read_fixture("opml/not-opml.xml")),
        "not OPML: the root element is <rss>, not <opml> (this is a feed: add it with `feedd feeds "
        "add URL`)",
        opml::OpmlError);
    CHECK_THROWS_WITH_AS(opml::import_opml(read_fixture("opml/billion-laughs.opml")),
                         doctest::Contains("declares entities"), opml::OpmlError);
    CHECK_THROWS_WITH_AS(opml::import_opml(""), "not OPML: the file is empty", opml::OpmlError);
    CHECK_THROWS_WITH_AS(opml::import_opml("<opml version=\"2.0\"><head/></opml>"),
                         "not OPML: <opml> has no <body>", opml::OpmlError);
    CHECK_THROWS_AS(opml::import_opml(std::string("\x89PNG\r\n\x1a\n\0\0\0", 11)), opml::OpmlError);
}

TEST_CASE("export writes category paths as nested folders, tags as the category attribute") {
    std::vector<opml::ExportFeed> feeds{
        exported("cgtn-china", "https://www.cgtn.com/china.xml", "News/Asia"),
        exported("lwn", "https://lwn.net/headlines/rss", "Tech", {"linux", "weekly"}),
        exported("bbc", "https://feeds.bbci.co.uk/news/world/rss.xml", "News/World"),
        exported("cgtn-politics", "https://www.cgtn.com/politics.xml", "News/Asia"),
        exported("loose", "https://loose.example/rss", "")};
    feeds[0].feed_title = "CGTN China";
    feeds[0].site_link = "https://www.cgtn.com/china";
    feeds[4].disabled = true;
    opml::ExportOptions options;
    options.created = std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + std::chrono::hours{19};
    const std::string xml = opml::export_opml(feeds, options);
    CHECK(xml == R"(<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0" xmlns:feedd="https://github.com/feedd/feedd/opml">
  <head>
    <title>feedd subscriptions</title>
    <dateCreated>Sat, 28 Nov 2026 19:00:00 GMT</dateCreated>
  </head>
  <body>
    <outline text="News" title="News">
      <outline text="Asia" title="Asia">
        <outline type="rss" text="CGTN China" title="CGTN China" xmlUrl="https://www.cgtn.com/china.xml" htmlUrl="https://www.cgtn.com/china" feedd:name="cgtn-china" />
        <outline type="rss" text="cgtn-politics" title="cgtn-politics" xmlUrl="https://www.cgtn.com/politics.xml" feedd:name="cgtn-politics" />
      </outline>
      <outline text="World" title="World">
        <outline type="rss" text="bbc" title="bbc" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml" feedd:name="bbc" />
      </outline>
    </outline>
    <outline text="Tech" title="Tech">
      <outline type="rss" text="lwn" title="lwn" xmlUrl="https://lwn.net/headlines/rss" category="linux,weekly" feedd:name="lwn" />
    </outline>
    <outline type="rss" text="loose" title="loose" xmlUrl="https://loose.example/rss" feedd:name="loose" feedd:disabled="true" />
  </body>
</opml>
)");
    CHECK(opml::export_opml(feeds, options) == xml);  // deterministic
}

TEST_CASE("export escapes what XML needs escaped and drops what XML cannot carry") {
    auto feed = exported("odd", "https://odd.example/rss?a=1&b=2", "R&D/<Labs>");
    feed.source.title = "\"Quotes\" & <tags> \x01 naïve — ünïcode";
    opml::ExportOptions options;
    options.title = "Jane's <feeds>";
    const std::string xml = opml::export_opml({feed}, options);
    CHECK(xml.find("xmlUrl=\"https://odd.example/rss?a=1&amp;b=2\"") != std::string::npos);
    CHECK(xml.find("text=\"R&amp;D\"") != std::string::npos);
    CHECK(xml.find("<title>Jane's &lt;feeds&gt;</title>") != std::string::npos);
    CHECK(xml.find('\x01') == std::string::npos);
    const auto back = opml::import_opml(xml);
    REQUIRE(back.feeds.size() == 1);
    CHECK(back.feeds[0].title == "\"Quotes\" & <tags> naïve — ünïcode");
    CHECK(back.feeds[0].category == "R&D/<Labs>");
    CHECK(back.feeds[0].url == "https://odd.example/rss?a=1&b=2");
    CHECK(back.title == "Jane's <feeds>");
}

TEST_CASE("round trip: what is exported imports as the same feeds, names, categories, tags and nesting") {
    for (const auto* fixture : {"opml/newsboat.opml", "opml/miniflux.opml", "opml/freshrss.opml",
                                "opml/feedly.opml", "opml/inoreader.opml", "opml/quirks.opml"}) {
        CAPTURE(fixture);
        const auto first = opml::import_opml(read_fixture(fixture));
        std::vector<opml::ExportFeed> feeds;
        for (std::size_t i = 0; i < first.feeds.size(); ++i) {
            const auto& in = first.feeds[i];
            opml::ExportFeed out;
            out.source.name = "feed-" + std::to_string(i);
            out.source.url = in.url;
            out.source.title = in.title;
            out.source.category = in.category;
            out.source.tags = in.tags;
            out.source.enabled = i % 2 == 0;
            out.site_link = in.site_link;
            feeds.push_back(out);
        }
        const auto second = opml::import_opml(opml::export_opml(feeds, {}));
        REQUIRE(second.feeds.size() == first.feeds.size());
        CHECK(second.skipped.empty());
        for (std::size_t i = 0; i < first.feeds.size(); ++i) {
            CAPTURE(first.feeds[i].url);
            CHECK(second.feeds[i].name == "feed-" + std::to_string(i));
            CHECK(second.feeds[i].url == first.feeds[i].url);
            CHECK(second.feeds[i].category == first.feeds[i].category);
            CHECK(second.feeds[i].tags == first.feeds[i].tags);
            CHECK(second.feeds[i].site_link == first.feeds[i].site_link);
            CHECK(second.feeds[i].enabled == (i % 2 == 0));
            if (!first.feeds[i].title.empty()) CHECK(second.feeds[i].title == first.feeds[i].title);
        }
    }
}

namespace {

// `depth` outlines, each inside the previous; folders named f0, f1, …, the innermost a feed.
std::string nested_opml(std::size_t depth, bool folders) {
    std::string xml = "<opml version=\"2.0\"><body>";
    for (std::size_t i = 0; i + 1 < depth; ++i)
        xml += folders ? "<outline text=\"f" + std::to_string(i) + "\">"
                       : "<outline text=\"x\" xmlUrl=\"https://a.example/" + std::to_string(i) + "\">";
    xml += "<outline text=\"feed\" xmlUrl=\"https://a.example/feed\"/>";
    for (std::size_t i = 0; i + 1 < depth; ++i) xml += "</outline>";
    return xml + "</body></opml>";
}

}  // namespace

TEST_CASE("deeply nested outlines are refused with one line, never a crash, in linear time") {
    // 25 000 nested folders once overflowed the stack; so did nested feed outlines.
    for (const bool folders : {true, false}) {
        CAPTURE(folders);
        CHECK_THROWS_WITH_AS(
            opml::import_opml(nested_opml(25'000, folders)),
            doctest::Contains("outlines nested in more than 64 folder levels at line 1, column "),
            opml::OpmlError);
    }
    // 64 folders is the bound: the feed inside 64 folders is read with its whole path.
    const auto result = opml::import_opml(nested_opml(65, true));
    REQUIRE(result.feeds.size() == 1);
    CHECK(std::count(result.feeds[0].category.begin(), result.feeds[0].category.end(), '/') == 63);
    CHECK(result.feeds[0].category.ends_with("f62/f63"));
    CHECK_THROWS_AS(opml::import_opml(nested_opml(66, true)), opml::OpmlError);
}

TEST_CASE("export keeps at most 64 folder levels of a category, however deep, and imports again") {
    std::string category;
    for (int i = 0; i < 100'000; ++i) category += "f/";
    const std::string xml = opml::export_opml({exported("deep", "https://a.example/feed", category)}, {});
    const auto result = opml::import_opml(xml);
    REQUIRE(result.feeds.size() == 1);
    CHECK(std::count(result.feeds[0].category.begin(), result.feeds[0].category.end(), '/') == 63);
}
