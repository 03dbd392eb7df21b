// Full text in the archive, on both stores: an article's page is asked for once whichever feeds
// carry it, claimed when due and not again during its lease, written with its extraction, kept as
// a revision when a later fetch differs, searchable, and a failure keeps what was archived.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "store/stores.hpp"
#include "support/temp_dir.hpp"

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

namespace pages_cjk_test {

// "The harbour bridge reopened to traffic on Monday. Engineers replaced the damaged supports."
const std::string bridge_story =
    "\xE6\xB8\xAF\xE5\x8F\xA3\xE5\xA4\xA7\xE6\xA1\xA5\xE5\x91\xA8\xE4\xB8\x80\xE9\x87\x8D\xE6\x96\xB0\xE9"
    "\x80\x9A\xE8\xBD\xA6\xE3\x80\x82\xE5\xB7\xA5\xE7\xA8\x8B\xE5\xB8\x88\xE6\x9B\xB4\xE6\x8D\xA2\xE4\xBA"
    "\x86\xE5\x8F\x97\xE6\x8D\x9F\xE7\x9A\x84\xE6\x94\xAF\xE6\x9E\xB6\xE3\x80\x82";
const std::string reopened = "\xE9\x87\x8D\xE6\x96\xB0\xE9\x80\x9A\xE8\xBD\xA6";  // 重新通车: four characters
const std::string bridge = "\xE5\xA4\xA7\xE6\xA1\xA5";  // 大桥: two, below a trigram
// "The ferry added crossings." (渡轮增加了班次。)
const std::string ferry_story =
    "\xE6\xB8\xA1\xE8\xBD\xAE\xE5\xA2\x9E\xE5\x8A\xA0\xE4\xBA\x86\xE7\x8F\xAD\xE6\xAC\xA1\xE3\x80\x82";
const std::string ferry_added = "\xE6\xB8\xA1\xE8\xBD\xAE\xE5\xA2\x9E\xE5\x8A\xA0";  // 渡轮增加

std::vector<std::int64_t> found(Archive& archive, const std::string& search) {
    ArticleQuery query;
    query.search = search;
    std::vector<std::int64_t> ids;
    for (const auto& row : archive.query(query)) ids.push_back(row.id);
    return ids;
}

}  // namespace pages_cjk_test

STORE_TEST_CASE(
    "pages: a CJK phrase only on an article's page finds the article, as a word on it does, and a revision's "
    "old phrase no longer does") {
    using namespace pages_cjk_test;
    Store store;
    auto archive = store.open();
    const auto t0 = utc(2026, 3, 1, 10);
    const auto article = poll_story(archive, "alpha", t0).front();
    archive.request_pages({{article, "https://news.example/story"}}, t0);
    (void)archive.claim_pages(t0, t0 + std::chrono::hours(1), 10);
    // The feed's entry is English; the page is Chinese.
    CHECK(found(archive, reopened).empty());
    CHECK_FALSE(archive.record_page(fetched(article, t0, bridge_story)));
    CHECK(found(archive, reopened) == std::vector<std::int64_t>{article});  // a trigram search on SQLite
    CHECK(found(archive, bridge) == std::vector<std::int64_t>{article});    // a substring search
    CHECK(found(archive, "\"" + reopened + "\"") == std::vector<std::int64_t>{article});
    CHECK(found(archive, ferry_added).empty());

    // The page changed: its new text is found, the old one only in the revision.
    CHECK(archive.record_page(fetched(article, t0 + std::chrono::hours(24), ferry_story)));
    CHECK(found(archive, ferry_added) == std::vector<std::int64_t>{article});
    CHECK(found(archive, reopened).empty());
    CHECK(found(archive, bridge).empty());
    // An English text replacing it leaves nothing CJK behind in the index.
    CHECK(archive.record_page(fetched(article, t0 + std::chrono::hours(48), "An English text at last.")));
    CHECK(found(archive, ferry_added).empty());
    CHECK(archive.check().empty());
}

STORE_TEST_CASE("pages: claimed for some feeds, only the pages of articles those feeds carry come") {
    Store store;
    auto archive = store.open();
    const auto t0 = utc(2026, 3, 1, 10);
    // alpha and beta carry one story (one article); gamma another, due earlier.
    const auto shared = poll_story(archive, "alpha", t0).front();
    CHECK(poll_story(archive, "beta", t0).empty());
    ParsedFeed parsed;
    Entry entry;
    entry.id = "other";
    entry.title = "Another story";
    entry.link = "https://news.example/other";
    parsed.entries.push_back(entry);
    FeedState state;
    state.name = "gamma";
    const auto other = archive.commit_poll(feed("gamma"), &parsed, state, t0).new_article_ids.front();
    archive.request_pages({{other, "https://news.example/other"}}, t0 - std::chrono::hours(1));
    archive.request_pages({{shared, "https://news.example/story"}}, t0);

    CHECK(archive.next_page_due() == t0 - std::chrono::hours(1));
    CHECK(archive.next_page_due({"beta"}) == t0);
    CHECK(archive.next_page_due({"gamma", "nosuch"}) == t0 - std::chrono::hours(1));
    CHECK_FALSE(archive.next_page_due({"nosuch"}));
    const auto lease = t0 + std::chrono::hours(1);
    auto tasks = archive.claim_pages(t0, lease, 10, {"beta"});
    REQUIRE(tasks.size() == 1);
    CHECK(tasks.front().article_id == shared);
    CHECK(archive.claim_pages(t0, lease, 10, {"alpha"}).empty());  // leased
    tasks = archive.claim_pages(t0, lease, 10);
    REQUIRE(tasks.size() == 1);
    CHECK(tasks.front().article_id == other);
}

TEST_CASE("pages: an archive of schema v9 gets CJK search over the pages it fetched before") {
    using namespace pages_cjk_test;
    feedd::test::TempDir dir;
    const auto path = dir / "feedd.db";
    std::int64_t article = 0;
    {
        auto archive = Archive::open(path, OpenMode::read_write);
        const auto t0 = utc(2026, 3, 1, 10);
        article = poll_story(archive, "alpha", t0).front();
        archive.request_pages({{article, "https://news.example/story"}}, t0);
        (void)archive.claim_pages(t0, t0 + std::chrono::hours(1), 10);
        archive.record_page(fetched(article, t0, bridge_story));
    }
    {
        // Back to v9: the pages' table without the CJK column, index and view; v7's delete trigger.
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec(
            "DROP TRIGGER pages_fts_delete; DROP TABLE pages_cjk; DROP VIEW pages_cjk_v; "
            "ALTER TABLE pages DROP COLUMN cjk; "
            "CREATE TRIGGER pages_fts_delete AFTER DELETE ON pages WHEN old.fetched_at IS NOT NULL BEGIN "
            "INSERT INTO pages_fts(pages_fts, rowid, title, author, text) VALUES ('delete', old.article_id, "
            "old.title, '', old.text); END; PRAGMA user_version = 9");
    }
    auto archive = Archive::open(path, OpenMode::read_write);
    CHECK(found(archive, reopened) == std::vector<std::int64_t>{article});
    CHECK(found(archive, bridge) == std::vector<std::int64_t>{article});
    CHECK(archive.check().empty());
    // The delete trigger keeps the new index too: a pruned article leaves no trigram behind.
    CHECK(archive.purge_feed("alpha").articles == 1);
    CHECK(archive.check().empty());
}
