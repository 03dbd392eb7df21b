// The main content of an article page: what a reader of the story wants, without the site around it.
#include <doctest/doctest.h>

#include <string>

#include "feedd/parse/parse.hpp"
#include "support/fixtures.hpp"

using feedd::SiteRule;
using feedd::parse::extract_article;
using feedd::parse::PageOptions;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "a news page: the story's paragraphs, not the navigation, share bar, ads, tags, related or comments") {
    const auto page = extract_article(feedd::test::read_fixture("pages/news.html"),
                                      {"https://courier.example/news/local/bridge-reopens", "text/html", {}});
    INFO(page.text);
    CHECK(page.method == "heuristic");
    CHECK(page.title == "Harbour bridge reopens after repairs");
    CHECK(has(page.text, "The harbour bridge reopened to traffic on Monday"));
    CHECK(has(page.text, "we will inspect it every six months from now on."));
    CHECK(has(page.text, "asked the council for help with their losses"));
    CHECK(has(page.text, "according to the agenda"));  // a link inside a paragraph stays
    for (const char* boilerplate :
         {"Sport", "Weather", "Share on", "Buy a new car", "Related stories", "Ferry timetable", "nightmare",
          "Most read", "newsletter", "All rights reserved", "Transport", "Home"})
        CHECK_MESSAGE(!has(page.text, boilerplate), boilerplate);
    CHECK(page.words > 150);
    // URLs are absolute, and the lazy-loaded image shows its real source.
    CHECK(has(page.html, "href=\"https://courier.example/news/local/fund-vote\""));
    CHECK(has(page.html, "src=\"https://courier.example/img/2026/bridge-reopening.jpg\""));
    CHECK_FALSE(has(page.html, "<script"));
}

TEST_CASE("a blog in windows-1252, declared in a meta element: the post, read as the characters it holds") {
    const auto page = extract_article(feedd::test::read_fixture("pages/blog.html"),
                                      {"http://garden.example/2026/11/beans", "", {}});
    INFO(page.text);
    CHECK(page.encoding == "windows-1252");
    CHECK(page.title == "Notes from the garden: caf\u00e9 chairs and winter beans");
    CHECK(has(page.text, "where the old caf\u00e9 chairs used to stand"));
    CHECK(has(page.text, "na\u00efvely convinced"));
    CHECK(has(page.text, "a long overdue repair of the greenhouse door."));
    for (const char* boilerplate : {"Blogroll", "Seeds and weeds", "Powered by", "About", "Leave a comment"})
        CHECK_MESSAGE(!has(page.text, boilerplate), boilerplate);
    CHECK(has(page.html, "src=\"http://garden.example/2026/11/images/beans.jpg\""));
}

TEST_CASE("character references of every HTML version read as their characters, in text and links") {
    const auto page = extract_article(
        "<html><body><article><p>It&apos;s done &check; &mdash; the &lbrace;config&rbrace; moved, "
        "&LT;b&GT; is text, &amp;check; is not a check, and &#x2019;quotes&#8217; too, for certain.</p>"
        "<p><a href=\"/a?x=1&amp;y=2&lowbar;z\">a link</a> in a paragraph long enough, with commas, to be "
        "kept.</p></article></body></html>",
        {"https://x.example/", "", {}});
    INFO(page.text);
    CHECK(has(page.text,
              "It's done \u2713 \u2014 the {config} moved, <b> is text, &check; is not a check, "
              "and \u2019quotes\u2019 too"));
    CHECK(has(page.html, "href=\"https://x.example/a?x=1&amp;y=2_z\""));
}

TEST_CASE("a documentation page: headings, code and lists of the section, not the table of contents") {
    const auto page = extract_article(feedd::test::read_fixture("pages/docs.html"),
                                      {"https://docs.example.org/2.1/retention.html", "", {}});
    INFO(page.text);
    CHECK(has(page.text, "Retention decides how long archived items stay"));
    CHECK(has(page.text, "keep_days = 365"));
    CHECK(has(page.text, "job boards, kept for a week."));
    CHECK(has(page.text, "once a day while the service runs."));
    CHECK(has(page.text, "Per source"));
    for (const char* boilerplate : {"Installing", "FAQ", "Previous", "Copyright"})
        CHECK_MESSAGE(!has(page.text, boilerplate), boilerplate);
}

TEST_CASE("a site rule takes the content its XPath selects and drops what `remove` selects") {
    SiteRule rule{"courier.example", "//div[@class='story-body']", {"//div[contains(@class,'ad-slot')]"}};
    const auto page = extract_article(feedd::test::read_fixture("pages/news.html"),
                                      {"https://www.courier.example/news/x", "text/html", {rule}});
    CHECK(page.method == "site rule courier.example");
    CHECK(page.warning.empty());
    CHECK(has(page.text, "The harbour bridge reopened"));
    CHECK_FALSE(has(page.text, "Buy a new car"));
    CHECK_FALSE(has(page.text, "The first buses cross"));  // the figure is outside the selection

    // Another host: the rule does not apply.
    const auto other = extract_article(feedd::test::read_fixture("pages/news.html"),
                                       {"https://notcourier.example/news/x", "text/html", {rule}});
    CHECK(other.method == "heuristic");
}

TEST_CASE("a site rule that selects nothing, or is no XPath, says so and the heuristic runs") {
    const auto html = feedd::test::read_fixture("pages/news.html");
    const auto empty = extract_article(
        html,
        {"https://courier.example/a", "text/html", {SiteRule{"courier.example", "//div[@id='gone']", {}}}});
    CHECK(empty.method == "heuristic");
    CHECK(empty.warning == "site rule courier.example: content selected nothing; used the heuristic");
    CHECK(has(empty.text, "The harbour bridge reopened"));

    const auto broken = extract_article(
        html, {"https://courier.example/a", "text/html", {SiteRule{"courier.example", "//div[", {}}}});
    CHECK(broken.method == "heuristic");
    CHECK(broken.warning.starts_with("site rule courier.example: "));
    CHECK(has(broken.text, "The harbour bridge reopened"));
    CHECK_FALSE(feedd::parse::xpath_error("//div[").empty());
    CHECK(feedd::parse::xpath_error("//article//p").empty());
}

TEST_CASE("hostile pages give a bounded result, never a crash") {
    // 100 000 nested elements: the part past the nesting limit is not read.
    std::string deep = "<html><body>";
    for (int i = 0; i < 100000; ++i) deep += "<div>";
    deep +=
        "<p>Deep inside, a paragraph long enough to count as the text of an article, with commas, too.</p>";
    const auto nested = extract_article(deep, {"https://x.example/", "", {}});
    CHECK(nested.text.empty());

    CHECK(extract_article("", {"https://x.example/", "", {}}).text.empty());
    CHECK(extract_article(std::string("\0\xff\xfe<p>", 5), {"", "", {}}).html.find("<script") ==
          std::string::npos);
    const auto script = extract_article(
        "<p>A paragraph of text that is long enough, surely, to be the article "
        "itself.<script>alert(1)</script></p>",
        {"https://x.example/", "", {}});
    CHECK(has(script.text, "long enough, surely"));
    CHECK_FALSE(has(script.html, "alert"));
}
