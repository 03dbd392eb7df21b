// Full text in the archive, on both stores: an article's page is asked for once whichever feeds
// carry it, claimed when due and not again during its lease, written with its extraction, kept as
// a revision when a later fetch differs, searchable, and a failure keeps what was archived.
#include <doctest/doctest.h>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "store/stores.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::feed;
using feedd::test::utc;

namespace {

// One entry linking to https://news.example/story, carried by feed `name`.
std::vector<std::int64_t> poll_story(Archive& archive, const std::string& name, TimePoint now) {
    ParsedFeed parsed;
    Entry entry;
    entry.id = name + "-story";
    entry.title = "The story";
    entry.link = "https://news.example/story";
    entry.summary = "<p>Two sentences of teaser. Read on.</p>";
    parsed.entries.push_back(entry);
    FeedState state;
    state.name = name;
    state.last_poll = now;
    state.last_status = 200;
    return archive.commit_poll(feed(name), &parsed, state, now).new_article_ids;
}

PageFetch fetched(std::int64_t article, TimePoint at, const std::string& text) {
    PageFetch fetch;
    fetch.article_id = article;
    fetch.url = "https://news.example/story";
    fetch.final_url = "https://news.example/story/";
    fetch.status = 200;
    fetch.tried_at = at;
    fetch.title = "The story";
    fetch.text = text;
    fetch.html = "<p>" + text + "</p>";
    fetch.method = "heuristic";
    fetch.next_try = at + std::chrono::hours(24 * 7);
    return fetch;
}

}  // namespace

STORE_TEST_CASE("pages: an article's page is asked for once, claimed once per lease, and archived") {
    Store store;
    auto archive = store.open();
    const auto t0 = utc(2026, 3, 1, 10);
    const auto ids = poll_story(archive, "alpha", t0);
    REQUIRE(ids.size() == 1);
    const auto article = ids.front();
    // The same story through a second feed joins the article: no second page.
    CHECK(poll_story(archive, "beta", t0).empty());
    CHECK_FALSE(archive.next_page_due());
    archive.request_pages({{article, "https://news.example/story"}}, t0);
    archive.request_pages({{article, "https://news.example/story"}}, t0 + std::chrono::hours(1));
    CHECK(archive.next_page_due() == t0);

    auto tasks = archive.claim_pages(t0, t0 + std::chrono::hours(1), 10);
    REQUIRE(tasks.size() == 1);
    CHECK(tasks.front().article_id == article);
    CHECK(tasks.front().url == "https://news.example/story");
    CHECK(tasks.front().text_hash.empty());
    // Claimed: not due again during its lease.
    CHECK(archive.claim_pages(t0 + std::chrono::minutes(30), t0 + std::chrono::hours(2), 10).empty());

    CHECK_FALSE(archive.record_page(fetched(article, t0, "The whole story, paragraph after paragraph.")));
    auto detail = archive.article(article);
    REQUIRE(detail);
    REQUIRE(detail->page);
    CHECK(detail->page->text == "The whole story, paragraph after paragraph.");
    CHECK(detail->page->html == "<p>The whole story, paragraph after paragraph.</p>");
    CHECK(detail->page->final_url == "https://news.example/story/");
    CHECK(detail->page->status == 200);
    CHECK(detail->page->fetched_at == t0);
    CHECK(detail->page->error.empty());
    CHECK(archive.next_page_due() == t0 + std::chrono::hours(24 * 7));

    // The page's words are found by a search, though no feed's entry has them.
    ArticleQuery query;
    query.search = "paragraph";
    const auto rows = archive.query(query);
    REQUIRE(rows.size() == 1);
    CHECK(rows.front().id == article);
}

STORE_TEST_CASE(
    "store:pages: a page that changed keeps the earlier text as a revision, a failure keeps the text") {
    Store store;
    auto archive = store.open();
    const auto t0 = utc(2026, 3, 1, 10);
    const auto article = poll_story(archive, "alpha", t0).front();
    archive.request_pages({{article, "https://news.example/story"}}, t0);
    (void)archive.claim_pages(t0, t0 + std::chrono::hours(1), 10);
    CHECK_FALSE(archive.record_page(fetched(article, t0, "First version of the story.")));

    const auto t1 = t0 + std::chrono::hours(24 * 7);
    auto tasks = archive.claim_pages(t1, t1 + std::chrono::hours(1), 10);
    REQUIRE(tasks.size() == 1);
    CHECK_FALSE(tasks.front().text_hash.empty());
    // The same text again: no revision.
    CHECK_FALSE(archive.record_page(fetched(article, t1, "First version of the story.")));
    CHECK(archive.page(article)->revisions.empty());
    CHECK(archive.record_page(fetched(article, t1 + std::chrono::hours(1), "Second version, corrected.")));
    auto page = archive.page(article);
    REQUIRE(page);
    CHECK(page->text == "Second version, corrected.");
    REQUIRE(page->revisions.size() == 1);
    CHECK(page->revisions.front().text == "First version of the story.");
    CHECK(page->revisions.front().html == "<p>First version of the story.</p>");
    ArticleQuery query;
    query.search = "corrected";
    CHECK(archive.query(query).size() == 1);
    query.search = "First";
    CHECK(archive.query(query).empty());

    PageFetch failure;
    failure.article_id = article;
    failure.url = "https://news.example/story";
    failure.status = 503;
    failure.tried_at = t1 + std::chrono::hours(2);
    failure.error = "HTTP 503";
    failure.failures = 1;
    failure.next_try = t1 + std::chrono::hours(3);
    CHECK_FALSE(archive.record_page(failure));
    page = archive.page(article);
    CHECK(page->text == "Second version, corrected.");
    CHECK(page->error == "HTTP 503");
    CHECK(page->status == 503);
    CHECK(page->failures == 1);
    CHECK(page->next_try == t1 + std::chrono::hours(3));
    CHECK(page->fetched_at == t1 + std::chrono::hours(1));
}
