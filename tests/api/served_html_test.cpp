// The API's store of sanitised HTML: what it serves is html::sanitize's answer for exactly the HTML
// and base URL asked, however often and in whatever order they are asked, within its bound.
#include <doctest/doctest.h>

#include "api/served_html.hpp"
#include "feedd/html/html.hpp"

using feedd::api::ServedHtml;

TEST_CASE("served html: the sanitiser's answer, made once for the same HTML and base URL") {
    ServedHtml served;
    const std::string html = "<p>Zeppelins <img src=\"z.png\" onerror=\"alert(1)\"><script>x()</script></p>";
    const auto first = served.get(html, "https://a.example/story/");
    CHECK(first->html == feedd::html::sanitize(html, "https://a.example/story/"));
    CHECK(first->html.find("https://a.example/story/z.png") != std::string::npos);
    CHECK(first->words == 1);
    const auto again = served.get(html, "https://a.example/story/");
    CHECK(again == first);  // the same value, not made again
    CHECK(served.figures().hits == 1);
    CHECK(served.figures().misses == 1);

    // Another base URL resolves the image elsewhere: not the first answer.
    const auto moved = served.get(html, "https://b.example/");
    CHECK(moved->html.find("https://b.example/z.png") != std::string::npos);
    // An edited text is a new key: never the answer kept for the old one.
    const auto edited = served.get("<p>Zeppelins and airships</p>", "https://a.example/story/");
    CHECK(edited->html == "<p>Zeppelins and airships</p>");
    CHECK(edited->words == 3);
    CHECK(served.get(html, "https://a.example/story/")->html == first->html);
}

TEST_CASE("served html: bounded in bytes, the least recently used dropped first") {
    ServedHtml served(64 * 1024);
    auto story = [](int i) {
        return "<p>Story " + std::to_string(i) + " " + std::string(2000, 'z') + "</p>";
    };
    for (int i = 0; i < 200; ++i) {
        (void)served.get(story(i), "https://a.example/");
        if (i >= 1) (void)served.get(story(0), "https://a.example/");  // kept in use
    }
    const auto figures = served.figures();
    CHECK(figures.bytes <= 64 * 1024);
    CHECK(figures.entries > 10);
    CHECK(figures.entries < 200);
    const auto misses = figures.misses;
    (void)served.get(story(0), "https://a.example/");  // used throughout: still there
    CHECK(served.figures().misses == misses);
    (void)served.get(story(1), "https://a.example/");  // long unused: made again
    CHECK(served.figures().misses == misses + 1);

    // Over an eighth of the bound: answered, not kept.
    const std::string huge = "<p>" + std::string(20000, 'h') + "</p>";
    CHECK(served.get(huge, "https://a.example/")->html == huge);
    CHECK(served.figures().bytes <= 64 * 1024);
    CHECK(served.get(huge, "https://a.example/")->html == huge);
    CHECK(served.figures().misses == misses + 3);
}
