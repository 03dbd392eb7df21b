// robots.txt (RFC 9309): which group applies to feedd, and the longest match between Allow and
// Disallow with `*` and `$`.
#include <doctest/doctest.h>

#include "feedd/parse/parse.hpp"

using namespace feedd::parse;

TEST_CASE("robots: feedd's own group wins over *, matched case-insensitively by product token") {
    const auto text =
        "# comment\n"
        "User-agent: *\n"
        "Disallow: /\n"
        "\n"
        "User-agent: FeedD/1.0\n"
        "User-agent: otherbot\n"
        "Disallow: /private/ # no\n"
        "Sitemap: https://example.org/sitemap.xml\n";
    const auto rules = parse_robots(text, "feedd");
    CHECK(robots_allow(rules, "/news/story"));
    std::string why;
    CHECK_FALSE(robots_allow(rules, "/private/x", &why));
    CHECK(why == "Disallow: /private/");
    // Another crawler gets the * group: everything disallowed but robots.txt itself.
    const auto other = parse_robots(text, "somebot");
    CHECK_FALSE(robots_allow(other, "/news/story"));
    CHECK(robots_allow(other, "/robots.txt"));
}

TEST_CASE("robots: the longest pattern decides, allow wins a tie, * and $ match as RFC 9309 says") {
    const auto rules = parse_robots(
        "user-agent: *\r\n"
        "disallow: /articles/\r\n"
        "allow: /articles/public\r\n"
        "disallow: /*.pdf$\r\n"
        "disallow: /a*/draft\r\n"
        "allow: /tie\r\n"
        "disallow: /tie\r\n"
        "disallow:\r\n",
        "feedd");
    CHECK_FALSE(robots_allow(rules, "/articles/secret"));
    CHECK(robots_allow(rules, "/articles/public-story"));
    CHECK_FALSE(robots_allow(rules, "/files/report.pdf"));
    CHECK(robots_allow(rules, "/files/report.pdf?download=1"));  // $ anchors the end
    CHECK_FALSE(robots_allow(rules, "/abc/x/draft/1"));
    CHECK(robots_allow(rules, "/tie"));
    CHECK(robots_allow(rules, "/other"));
    CHECK(robots_allow(rules, ""));  // the root
}

TEST_CASE("robots: rules and paths compare in one spelling of their percent-encoding (RFC 9309 2.2.2)") {
    const auto rules = parse_robots(
        "User-agent: *\n"
        "Disallow: /caf\xC3\xA9/\n"
        "Disallow: /%7Euser/\n"
        "Disallow: /a%2fb\n"
        "Disallow: /private/\n"
        "Allow: /private/%70ublic\n",
        "feedd");
    CHECK_FALSE(robots_allow(rules, "/caf%C3%A9/menu"));  // a raw UTF-8 rule, an encoded path
    CHECK_FALSE(robots_allow(rules, "/caf%c3%a9/menu"));  // hex digits in either case
    CHECK_FALSE(robots_allow(rules, "/~user/home"));      // %7E is '~', unreserved
    CHECK_FALSE(robots_allow(rules, "/a%2Fb"));
    CHECK(robots_allow(rules, "/a/b"));  // an encoded '/' is not a '/'
    CHECK(robots_allow(rules, "/cafe/menu"));
    CHECK(robots_allow(rules, "/private/public/x"));  // %70 is 'p': the longer Allow matches
    std::string why;
    CHECK_FALSE(robots_allow(rules, "/private/other", &why));
    CHECK(why == "Disallow: /private/");
}

TEST_CASE("robots: no group for feedd or * allows everything, rules before any user-agent belong to none") {
    CHECK(parse_robots("Disallow: /\nUser-agent: otherbot\nDisallow: /\n", "feedd").rules.empty());
    CHECK(parse_robots("", "feedd").rules.empty());
    CHECK(parse_robots("<html>not a robots file</html>", "feedd").rules.empty());
    // Two groups naming feedd are one.
    const auto rules = parse_robots(
        "User-agent: feedd\nDisallow: /a\n\nUser-agent: *\nDisallow: /c\n\nUser-agent: feedd\nDisallow: /b\n",
        "feedd");
    CHECK_FALSE(robots_allow(rules, "/a"));
    CHECK_FALSE(robots_allow(rules, "/b"));
    CHECK(robots_allow(rules, "/c"));
}

TEST_CASE("robots: a pattern of many stars against a long path stays fast and right") {
    std::string pattern = "/";
    for (int i = 0; i < 200; ++i) pattern += "*a";
    pattern += "$";
    const auto rules = parse_robots("User-agent: *\nDisallow: " + pattern + "\n", "feedd");
    CHECK(robots_allow(rules, "/" + std::string(5000, 'a') + "b"));
    CHECK_FALSE(robots_allow(rules, "/" + std::string(5000, 'a')));
}
