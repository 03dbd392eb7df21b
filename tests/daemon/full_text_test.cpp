// Full text (issue 19): the daemon fetches the page an entry links to, through the same fetcher
// and gates as feeds, and archives its main content. Against real HTTP servers on 127.0.0.1,
// through the binary CMake built (`feedd poll --once`, `feedd show`, `feedd fetch-page`).
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "support/archive.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace feedd::test;

namespace {

// An RSS feed whose items carry a teaser of one sentence and link to `links`.
std::string teaser_feed(const std::vector<std::string>& links) {
    std::string out = R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Teasers</title><link>https://courier.example/</link>
)";
    int n = 0;
    for (const auto& link : links) {
        ++n;
        out += "<item><guid>story-" + std::to_string(n) + "</guid><title>Story " + std::to_string(n) +
               "</title><link>" + link +
               "</link><description>A short teaser, read the rest on the site.</description></item>\n";
    }
    return out + "</channel></rss>\n";
}

Handler html(std::string body) {
    return
        [body = std::move(body)](const Request&) { return Response::text(body, "text/html; charset=utf-8"); };
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// A story page in the shape of a news site: navigation, share bar, ad, comments around the story.
std::string story_page(const std::string& body) {
    return R"(<!DOCTYPE html><html><head><title>Harbour news</title></head><body>
<header><nav class="main-nav"><ul><li><a href="/news">Newsroom</a></li><li><a href="/sport">Sportsdesk</a></li><li><a href="/weather">Weatherwatch</a></li></ul></nav></header>
<main><article><h1>Harbour news</h1>
<div class="share-bar"><a href="https://share.example/">Share this everywhere</a></div>
)" + body + R"(
</article>
<section id="comments" class="comments"><div class="comment"><p>Commenters always disagree about this kind of thing, as usual, really.</p></div></section>
</main><footer><p>Copyright Courier Holdings, all rights reserved, imprint and privacy.</p></footer></body></html>)";
}

const std::string first_story =
    "<p>The harbour bridge reopened to traffic on Monday, three weeks after inspectors found cracks in two "
    "of "
    "its steel supports and closed it to all vehicles, cyclists and pedestrians.</p>"
    "<p>Engineers replaced the damaged supports, strengthened the joints on either side, and repainted the "
    "western span, work that the city council said cost a little under four million euros.</p>"
    "<p>Commuters had faced detours of up to forty minutes while the bridge was shut, and the ferry service "
    "added extra crossings at peak hours to carry the people who usually walk or cycle across.</p>";

}  // namespace

TEST_CASE(
    "full text: after a poll of a summary-only feed, show has the page's main text and none of its "
    "navigation") {
    HttpServer server;
    server.route("/feed.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/bridge"), server.url("/news/courier")}),
                              "application/rss+xml");
    });
    server.route("/news/bridge", html(story_page(first_story)));
    server.route("/news/courier", html(read_fixture("pages/news.html")));
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("", feed_block("teasers", server.url("/feed.xml"), "full_text = \"auto\"\n")));
    FeeddCli feedd{dir};

    const auto poll = feedd({"poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(server.requests("/news/bridge").size() == 1);
    CHECK(server.requests("/news/courier").size() == 1);
    CHECK(has(poll.err, "words by heuristic"));

    const auto show = feedd({"show", "1"});
    INFO("show: " << show.out);
    REQUIRE(show.exit_code == 0);
    CHECK(has(show.out, "A short teaser"));  // the feed's own text stays
    CHECK(has(show.out, "strengthened the joints on either side"));
    CHECK(has(show.out, "ferry service added extra crossings"));
    CHECK(has(show.out, "-- page " + server.url("/news/bridge") + ": fetched "));
    CHECK(has(show.out, "HTTP 200"));
    for (const char* boilerplate :
         {"Newsroom", "Sportsdesk", "Share this everywhere", "Commenters always", "Courier Holdings"})
        CHECK_MESSAGE(!has(show.out, boilerplate), boilerplate);

    const auto courier = feedd({"show", "2"});
    CHECK(has(courier.out, "Marta Oyelaran"));
    CHECK_FALSE(has(courier.out, "Storm warning for the weekend"));
    CHECK_FALSE(has(courier.out, "Four million euros for a paint job"));

    // The page's words are searchable, though the feed never carried them.
    const auto query = feedd({"query", "--search", "inspectors"});
    CHECK(has(query.out, "Story 1"));

    // A second poll neither asks for the pages again nor fetches them before they are due.
    REQUIRE(feedd({"poll", "--once", "--force"}).exit_code == 0);
    CHECK(server.requests("/news/bridge").size() == 1);
}

TEST_CASE("full text: the same article through two feeds is fetched once, off fetches nothing") {
    HttpServer server;
    const auto story = server.url("/news/bridge");
    // `story` by value: it is declared after the server, whose thread may still answer while the
    // test's locals go.
    server.route("/a.xml", [story](const Request&) {
        return Response::text(teaser_feed({story}), "application/rss+xml");
    });
    server.route("/b.xml", [story](const Request&) {
        return Response::text(teaser_feed({story + "?utm_source=rss"}), "application/rss+xml");
    });
    server.route("/c.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/other")}), "application/rss+xml");
    });
    server.route("/news/bridge", html(story_page(first_story)));
    server.route("/news/other", html(story_page(first_story)));
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("full_text = \"always\"\n",
                           feed_block("a", server.url("/a.xml")) + feed_block("b", server.url("/b.xml")) +
                               feed_block("c", server.url("/c.xml"), "full_text = \"off\"\n")));
    FeeddCli feedd{dir};
    const auto poll = feedd({"poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(server.requests("/news/bridge").size() == 1);
    CHECK(server.requests("/news/other").empty());
}

TEST_CASE(
    "full text: a page behind a 429 waits for its Retry-After like a feed, and the feed is polled "
    "meanwhile") {
    HttpServer server;
    server.route("/feed.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/bridge")}), "application/rss+xml");
    });
    server.route("/news/bridge", [](const Request&) {
        auto response = Response::with_status(429, "slow down");
        response.headers.emplace_back("Retry-After", "7200");
        return response;
    });
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("full_text = \"always\"\n", feed_block("teasers", server.url("/feed.xml"))));
    FeeddCli feedd{dir};
    const auto first = feedd({"poll", "--once"});
    INFO("stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(server.requests("/news/bridge").size() == 1);
    CHECK(has(first.err, "retry at"));

    {
        auto archive = open_read_only(dir / "feedd.db");
        const auto page = archive.page(1);
        REQUIRE(page);
        CHECK(page->status == 429);
        CHECK_FALSE(page->fetched_at);
        REQUIRE(page->next_try);
        REQUIRE(page->tried_at);
        // Retry-After: 7200 (two hours), as a feed would wait.
        const auto wait = *page->next_try - *page->tried_at;
        CHECK(wait >= std::chrono::hours(2) - std::chrono::seconds(5));
        CHECK(wait <= std::chrono::hours(2) + std::chrono::seconds(5));
    }
    // The feed is polled again; its page is not due yet and is not fetched.
    const auto second = feedd({"poll", "--once", "--force"});
    REQUIRE(second.exit_code == 0);
    CHECK(server.requests("/feed.xml").size() == 2);
    CHECK(server.requests("/news/bridge").size() == 1);
    const auto show = feedd({"show", "1"});
    CHECK(has(show.out, "HTTP 429"));
    CHECK(has(show.out, "failed (1 in a row)"));
}

TEST_CASE("full text: a page that changed gives a revision (feedd fetch-page)") {
    // Declared before the server: its thread reads them until the server is gone.
    std::string current = story_page(first_story);
    std::mutex mutex;
    HttpServer server;
    server.route("/feed.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/bridge")}), "application/rss+xml");
    });
    server.route("/news/bridge", [&](const Request&) {
        std::lock_guard lock(mutex);
        return Response::text(current, "text/html");
    });
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("full_text = \"always\"\n", feed_block("teasers", server.url("/feed.xml"))));
    FeeddCli feedd{dir};
    REQUIRE(feedd({"poll", "--once"}).exit_code == 0);
    {
        std::lock_guard lock(mutex);
        current = story_page(
            "<p>Correction: the harbour bridge reopened on Tuesday, not on Monday, three weeks after "
            "inspectors "
            "found cracks in its supports and closed it to every vehicle, cyclist and pedestrian.</p>" +
            first_story);
    }
    const auto fetched = feedd({"fetch-page", "1"});
    INFO("stderr: " << fetched.err);
    REQUIRE(fetched.exit_code == 0);
    CHECK(has(fetched.out, "Correction: the harbour bridge reopened on Tuesday"));
    CHECK(has(fetched.err, "(changed)"));
    CHECK(has(fetched.err, "the earlier text is kept as a revision"));
    CHECK(server.requests("/news/bridge").size() == 2);

    const auto show = feedd({"show", "1", "--revisions"});
    CHECK(has(show.out, "Correction: the harbour bridge"));
    CHECK(has(show.out, "1 revision(s)"));
    CHECK(has(show.out, "[before "));

    // The same page again: no revision.
    const auto again = feedd({"fetch-page", "1"});
    CHECK(has(again.err, "(unchanged)"));
    CHECK(feedd({"show", "1"}).out.find("1 revision(s)") != std::string::npos);
    // An unknown article is the user's mistake.
    CHECK(feedd({"fetch-page", "99"}).exit_code == 2);
}

TEST_CASE("full text: a page on a private address is refused by the guard, recorded with its reason") {
    HttpServer server;
    server.route("/feed.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/bridge")}), "application/rss+xml");
    });
    server.route("/news/bridge", html(story_page(first_story)));
    TempDir dir;
    write_file(dir / "feeds.toml", config_with("", feed_block("teasers", server.url("/feed.xml"))));
    FeeddCli feedd{dir};
    REQUIRE(feedd({"poll", "--once"}).exit_code == 0);
    // The guard on: the page's address (127.0.0.1) is refused before a byte is sent.
    write_file(dir / "feeds.toml", "[settings]\ndatabase = \"feedd.db\"\nfull_text = \"always\"\n" +
                                       feed_block("teasers", server.url("/feed.xml")));
    const auto fetched = feedd({"fetch-page", "1"});
    INFO("stderr: " << fetched.err);
    CHECK(fetched.exit_code == 1);
    CHECK(server.requests("/news/bridge").empty());
    const auto show = feedd({"show", "1"});
    CHECK(has(show.out, "-- page " + server.url("/news/bridge") + ": not fetched"));
    CHECK(has(show.out, "refused to connect to internal address"));
}

TEST_CASE(
    "full text: a story a feed without full text brought gets its page once a full_text feed carries it") {
    HttpServer server;
    for (const std::string path : {"/plain.xml", "/full.xml"})
        server.route(path, [&](const Request&) {
            return Response::text(teaser_feed({server.url("/news/bridge")}), "application/rss+xml");
        });
    server.route("/news/bridge", html(story_page(first_story)));
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("", feed_block("plain", server.url("/plain.xml")) +
                                   feed_block("full", server.url("/full.xml"), "full_text = \"always\"\n")));
    FeeddCli feedd{dir};
    REQUIRE(feedd({"poll", "--once", "--feed", "plain"}).exit_code == 0);
    CHECK(server.requests("/news/bridge").empty());
    // The same story through the full_text feed joins the article, which asks for its page.
    const auto poll = feedd({"poll", "--once", "--feed", "full"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(server.requests("/news/bridge").size() == 1);
    const auto show = feedd({"show", "1"});
    INFO("show: " << show.out);
    CHECK(has(show.out, "strengthened the joints on either side"));
    // Polled again, it asks for nothing more: the page is archived.
    REQUIRE(feedd({"poll", "--once", "--feed", "full", "--force"}).exit_code == 0);
    CHECK(server.requests("/news/bridge").size() == 1);
}

TEST_CASE("full text: robots.txt that disallows the path means no page fetch, and the log says why") {
    HttpServer server;
    server.route("/feed.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/bridge"), server.url("/open/story")}),
                              "application/rss+xml");
    });
    server.route("/robots.txt", [](const Request&) {
        return Response::text("User-agent: *\nDisallow: /\n\nUser-agent: feedd\nDisallow: /news/\n",
                              "text/plain");
    });
    server.route("/news/bridge", html(story_page(first_story)));
    server.route("/open/story", html(story_page(first_story)));
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("full_text = \"always\"\n", feed_block("teasers", server.url("/feed.xml"))));
    FeeddCli feedd{dir};
    const auto poll = feedd({"poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(server.requests("/news/bridge").empty());
    CHECK(server.requests("/open/story").size() == 1);  // feedd's own group allows it
    CHECK(server.requests("/robots.txt").size() == 1);  // once for the site
    CHECK(has(poll.err,
              "not fetched: robots.txt of " + server.url("") + " disallows /news/bridge (Disallow: /news/)"));
    // The site's decision is not a failure: asked again on the refetch schedule, not retried soon.
    CHECK(has(poll.err, "(Disallow: /news/); asked again: "));
    CHECK_FALSE(has(poll.err, "retry at"));
    const auto show = feedd({"show", "1"});
    CHECK(has(show.out, "disallows /news/bridge"));
    // feedd fetch-page honours it too.
    const auto fetched = feedd({"fetch-page", "1"});
    CHECK(fetched.exit_code == 1);
    CHECK(server.requests("/news/bridge").empty());
}

TEST_CASE(
    "full text: robots.txt answering 503 keeps every page of the site unfetched for now, a 404 allows all") {
    HttpServer server;
    server.route("/feed.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/bridge")}), "application/rss+xml");
    });
    server.route("/robots.txt", [](const Request&) { return Response::with_status(503); });
    server.route("/news/bridge", html(story_page(first_story)));
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("full_text = \"always\"\n", feed_block("teasers", server.url("/feed.xml"))));
    FeeddCli feedd{dir};
    const auto poll = feedd({"poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(server.requests("/news/bridge").empty());
    CHECK(has(poll.err, "robots.txt could not be read (HTTP 503"));
    CHECK(has(poll.err, "not fetched: " + server.url("/robots.txt") + " could not be read"));
    CHECK(has(poll.err, "retry at"));  // a failure of the site's, retried with backoff
    // Once robots.txt is gone (404), everything may be fetched.
    server.route("/robots.txt", [](const Request&) { return Response::with_status(404); });
    CHECK(feedd({"fetch-page", "1"}).exit_code == 0);
    CHECK(server.requests("/news/bridge").size() == 1);
}

TEST_CASE("full text: poll --once --feed X fetches the pages due of X's articles, not other feeds'") {
    HttpServer server;
    server.route("/a.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/bridge")}), "application/rss+xml");
    });
    server.route("/b.xml", [&](const Request&) {
        return Response::text(teaser_feed({server.url("/news/ferry")}), "application/rss+xml");
    });
    server.route("/news/bridge", html(story_page(first_story)));
    server.route("/news/ferry", html(story_page(first_story)));
    TempDir dir;
    write_file(dir / "feeds.toml", config_with("", feed_block("a", server.url("/a.xml")) +
                                                       feed_block("b", server.url("/b.xml"))));
    FeeddCli feedd{dir};
    REQUIRE(feedd({"poll", "--once"}).exit_code == 0);
    // Both articles' pages are due now (as when their refetch or retry time has come).
    {
        auto archive = feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_write);
        for (const std::string name : {"a", "b"}) {
            feedd::store::ArticleQuery query;
            query.feeds = {name};
            const auto rows = archive.query(query);
            REQUIRE(rows.size() == 1);
            archive.request_pages({{rows.front().id, rows.front().link}}, feedd::TimePoint{});
        }
    }
    const auto poll = feedd({"poll", "--once", "--feed", "a"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(server.requests("/news/bridge").size() == 1);
    CHECK(server.requests("/news/ferry").empty());
    // b's page waits for b's turn.
    REQUIRE(feedd({"poll", "--once", "--feed", "b"}).exit_code == 0);
    CHECK(server.requests("/news/ferry").size() == 1);
    CHECK(server.requests("/news/bridge").size() == 1);
}
