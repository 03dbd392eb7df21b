// Identity and deduplication (docs/ARCHITECTURE.md), on the seed fixtures and on the feeds that break them.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <set>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "store/stores.hpp"
#include "store/testing.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::seed_poll1;
using feedd::test::seed_poll2;
using feedd::test::utc;

namespace {

const TimePoint poll3 = utc(2024, 8, 24, 2, 0);

FeedState state_of(const FeedSource& feed, TimePoint now) {
    FeedState state;
    state.name = feed.name;
    state.last_poll = now;
    state.last_success = now;
    state.last_status = 200;
    state.etag = "\"v1\"";
    return state;
}

IngestCounts poll(Archive& archive, const FeedSource& feed, const ParsedFeed& parsed, TimePoint now) {
    return archive.commit_poll(feed, &parsed, state_of(feed, now), now);
}

ArticleQuery everything() {
    ArticleQuery query;
    query.limit = 0;
    return query;
}

FeedState named(std::string name) {
    FeedState state;
    state.name = std::move(name);
    return state;
}

std::size_t article_count(Archive& archive) {
    return archive.query(everything()).size();
}

const EntryDetail& entry_of(const ArticleDetail& article, const std::string& feed) {
    for (const auto& entry : article.entries)
        if (entry.feed == feed) return entry;
    FAIL("no entry of " << feed);
    throw std::logic_error("unreachable");
}

std::int64_t article_with_title(Archive& archive, const std::string& title) {
    for (const auto& row : archive.query(everything()))
        if (row.title == title) return row.id;
    FAIL("no article titled " << title);
    return 0;
}

Entry item(std::string id, std::string title, std::string link, std::string text = "Some text.") {
    Entry entry;
    entry.id = std::move(id);
    entry.title = std::move(title);
    entry.link = std::move(link);
    entry.summary = std::move(text);
    entry.published = utc(2024, 1, 1);
    return entry;
}

FeedSource source(std::string name, IdentityRule rule = IdentityRule::automatic) {
    FeedSource feed;
    feed.name = std::move(name);
    feed.url = "https://example.org/" + feed.name + ".xml";
    feed.identity = rule;
    return feed;
}

}  // namespace

STORE_TEST_CASE("seed scenario: two polls of the China feed, then the Politics feed") {
    Store store;
    auto archive = store.open();
    auto china = test::china_source();
    auto politics = test::politics_source();
    archive.sync_feeds({china, politics});

    auto first = poll(archive, china, test::cgtn_china(), seed_poll1);
    CHECK(first.new_articles == 3);
    CHECK(article_count(archive) == 3);

    auto second = poll(archive, china, test::cgtn_china_2(), seed_poll2);
    CHECK(second.new_articles == 1);
    CHECK(second.updated_entries == 1);  // the seed article's body was edited
    CHECK(second.unchanged_entries == 1);
    CHECK(article_count(archive) == 4);  // the dropped item stays

    auto seed_id = article_with_title(archive, test::seed_title);
    auto seed = *archive.article(seed_id);
    REQUIRE(seed.entries.size() == 1);
    const auto& china_entry = entry_of(seed, "cgtn-china");
    REQUIRE(china_entry.revisions.size() == 1);
    CHECK(china_entry.revisions[0].content.find("chaired the meeting.</p>") != std::string::npos);
    CHECK(china_entry.entry.content.find("according to a statement released after it.") != std::string::npos);
    CHECK(china_entry.first_seen == seed_poll1);  // first-seen time stays
    CHECK(china_entry.changed_at == seed_poll2);

    auto third = poll(archive, politics, test::cgtn_politics(), seed_poll2);
    CHECK(third.new_articles == 1);
    CHECK(third.new_entries == 2);  // one joined the seed article
    CHECK(article_count(archive) == 5);

    seed = *archive.article(seed_id);
    CHECK(seed.feeds == std::vector<std::string>{"cgtn-china", "cgtn-politics"});
    REQUIRE(seed.entries.size() == 2);
    CHECK(entry_of(seed, "cgtn-china").entry.content.find("<img src=") != std::string::npos);
    CHECK(entry_of(seed, "cgtn-politics").entry.content.starts_with("<div><p>Xi Jinping"));
    CHECK(entry_of(seed, "cgtn-politics").revisions.empty());
    CHECK(seed.fullest().feed == "cgtn-china");  // the article shows its fullest entry
    CHECK(seed.canonical_link == test::seed_link);

    // Polling both again changes nothing.
    auto again_china = poll(archive, china, test::cgtn_china_2(), poll3);
    auto again_politics = poll(archive, politics, test::cgtn_politics(), poll3);
    CHECK(again_china.new_entries == 0);
    CHECK(again_china.updated_entries == 0);
    CHECK(again_china.unchanged_entries == 3);
    CHECK(again_politics.new_entries == 0);
    CHECK(again_politics.updated_entries == 0);
    CHECK(article_count(archive) == 5);
    CHECK(archive.article(seed_id)->entries.at(0).revisions.size() == 1);
    CHECK(archive.check().empty());
}

STORE_TEST_CASE("the fetch state is written with the poll and read back") {
    Store store;
    auto archive = store.open();
    auto china = test::china_source();
    CHECK(archive.feed_state("cgtn-china") == named("cgtn-china"));
    FeedState state = state_of(china, seed_poll1);
    state.last_modified = "Fri, 23 Aug 2024 06:05:10 GMT";
    state.next_poll = seed_poll2;
    state.consecutive_failures = 0;
    state.configured_url = china.url;
    state.moved_to = "https://example.org/moved.xml";
    state.redirect_first_seen = seed_poll1;
    state.redirect_count = 2;
    state.retry_after = poll3;
    auto parsed = test::cgtn_china();
    archive.commit_poll(china, &parsed, state, seed_poll1);
    auto stored = archive.feed_state("cgtn-china");
    state.identity_fallback = stored.identity_fallback;  // the store's to decide
    CHECK(stored == state);

    // A failed poll writes only the state.
    FeedState failed = stored;
    failed.last_status = 503;
    failed.last_error = "HTTP 503";
    failed.consecutive_failures = 1;
    auto counts = archive.commit_poll(china, nullptr, failed, seed_poll2);
    CHECK(counts.new_entries == 0);
    CHECK(archive.feed_state("cgtn-china") == failed);
    CHECK(archive.feed_states().size() == 1);
}

STORE_TEST_CASE("a page of a feed's history adds its entries and leaves the feed's state and title alone") {
    Store store;
    auto archive = store.open();
    auto china = test::china_source();
    FeedState state = state_of(china, seed_poll1);
    state.etag = "\"document\"";
    auto document = test::cgtn_china();
    archive.commit_poll(china, &document, state, seed_poll1);
    const auto before = archive.feed_state("cgtn-china");
    const auto articles = article_count(archive);

    // An earlier page: other items, its own title, and the state its fetch would have left.
    auto page = test::cgtn_politics();
    page.title = "Archive page 2";
    FeedState page_state = before;
    page_state.etag = "\"page\"";
    page_state.last_poll = seed_poll2;
    const store::PollWrite write{china, &page, page_state, seed_poll2, true};
    auto results = archive.commit_polls(std::span(&write, 1));
    REQUIRE(results.size() == 1);
    REQUIRE(results[0].ok());
    CHECK(results[0].counts.new_entries > 0);
    CHECK(article_count(archive) > articles);
    CHECK(archive.feed_state("cgtn-china") == before);  // the document's validators stay
    auto summaries = archive.feed_summaries();
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].title == document.title);
}

TEST_CASE(
    "a poll that changes nothing of a feed's state writes nothing, a 304 writes what feeds list shows") {
    test::TempDir dir;
    const auto path = dir.path() / "feedd.db";
    auto archive = Archive::open(path, OpenMode::read_write);
    auto china = test::china_source();
    FeedState state = state_of(china, seed_poll1);
    state.last_modified = "Fri, 23 Aug 2024 06:05:10 GMT";
    state.next_poll = seed_poll2;
    state.configured_url = china.url;
    state.document_items = 20;
    auto parsed = test::cgtn_china();
    archive.commit_poll(china, &parsed, state, seed_poll1);
    state.identity_fallback = archive.feed_state("cgtn-china").identity_fallback;

    // Another process reading the archive (`feedd feeds list`) sees a write as a new data_version.
    SQLite::Database reader(path, SQLite::OPEN_READONLY);
    auto version = [&reader] { return reader.execAndGet("PRAGMA data_version").getInt64(); };
    const auto before = version();

    // The same poll recorded again (the writer retries a failed batch poll by poll) writes nothing:
    // the row is rewritten with the bytes it holds, and SQLite writes a page only when they change.
    archive.commit_poll(china, nullptr, state, seed_poll1);
    CHECK(version() == before);
    CHECK(archive.feed_state("cgtn-china") == state);

    // A 304: checked now, due later, the validators and the rest as they were. The clock is what a
    // user sees of it (`feedd feeds list`: last poll, next poll, status), so it is written.
    FeedState not_modified = state;
    not_modified.last_poll = seed_poll2;
    not_modified.last_success = seed_poll2;
    not_modified.next_poll = poll3;
    not_modified.last_status = 304;
    archive.commit_poll(china, nullptr, not_modified, seed_poll2);
    CHECK(version() != before);
    CHECK(archive.feed_state("cgtn-china") == not_modified);
    const auto summaries = archive.feed_summaries();
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].state.last_poll == seed_poll2);
    CHECK(summaries[0].state.next_poll == poll3);
    CHECK(summaries[0].state.last_status == 304);

    // Anything else that changed is written too.
    FeedState moved = not_modified;
    moved.etag = "\"v2\"";
    moved.redirect_candidate = "https://example.org/new.xml";
    moved.redirect_count = 1;
    archive.commit_poll(china, nullptr, moved, seed_poll2);
    CHECK(archive.feed_state("cgtn-china") == moved);
}

STORE_TEST_CASE("an entry seen again with only white space or dates changed makes no revision") {
    Store store;
    auto archive = store.open();
    auto feed = source("blog");
    ParsedFeed parsed;
    parsed.entries = {item("a", "Title", "https://example.org/a", "<p>One  two</p>")};
    poll(archive, feed, parsed, seed_poll1);
    parsed.entries[0].summary = "<p>One\n two </p>";
    parsed.entries[0].published = utc(2024, 2, 2);
    parsed.entries[0].categories = {"New"};
    auto counts = poll(archive, feed, parsed, seed_poll2);
    CHECK(counts.updated_entries == 0);
    CHECK(counts.unchanged_entries == 1);
    auto article = *archive.article(archive.query({}).at(0).id);
    CHECK(article.entries[0].revisions.empty());
    CHECK(article.entries[0].entry.categories == std::vector<std::string>{"New"});
}

TEST_CASE(
    "an entry whose seen hash an earlier feedd stored is unchanged when seen again, and an edit gives it the "
    "new hash") {
    test::TempDir dir;
    const auto path = dir.path() / "feedd.db";
    auto archive = Archive::open(path, OpenMode::read_write);
    auto feed = source("blog");
    ParsedFeed parsed;
    parsed.entries = {item("a", "Title", "https://example.org/a")};
    poll(archive, feed, parsed, seed_poll1);

    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    auto stored = [&db] { return db.execAndGet("SELECT seen_hash FROM entries").getString(); };
    const auto fresh = stored();
    CHECK(fresh.size() == 16);  // XXH3, 64 bits in hex
    // What feedd stored for this entry until XXH3 took over (text::Hasher over the same fields):
    // pinned, since archives hold such values and must keep comparing them.
    const std::string earlier = "a0d3a68a9f1897950de2e507fcbf5e11";
    db.exec("UPDATE entries SET seen_hash = '" + earlier + "'");

    // Seen again unchanged: the entry is not written again, its earlier value included.
    auto counts = poll(archive, feed, parsed, seed_poll2);
    CHECK(counts.unchanged_entries == 1);
    CHECK(counts.updated_entries == 0);
    CHECK(stored() == earlier);

    // A stored value that matches neither hash is an entry to compare: the same text makes no
    // revision and leaves the new hash.
    db.exec("UPDATE entries SET seen_hash = '" + std::string(32, '0') + "'");
    counts = poll(archive, feed, parsed, poll3);
    CHECK(counts.unchanged_entries == 1);
    CHECK(counts.updated_entries == 0);
    CHECK(stored() == fresh);

    // An edit of an entry stored with the earlier hash is an update, stored with the new hash.
    db.exec("UPDATE entries SET seen_hash = '" + earlier + "'");
    parsed.entries[0].summary = "Some other text.";
    counts = poll(archive, feed, parsed, poll3 + std::chrono::hours(1));
    CHECK(counts.updated_entries == 1);
    CHECK(stored().size() == 16);
    CHECK(stored() != fresh);
    auto article = *archive.article(archive.query({}).at(0).id);
    CHECK(article.entries[0].revisions.size() == 1);
}

STORE_TEST_CASE("a value is never replaced by nothing") {
    Store store;
    auto archive = store.open();
    auto feed = source("blog");
    ParsedFeed parsed;
    parsed.entries = {item("a", "Title", "https://example.org/a", "Summary")};
    parsed.entries[0].content = "<p>Full text</p>";
    parsed.entries[0].author = "Ann";
    parsed.entries[0].image = "https://example.org/a.png";
    parsed.entries[0].enclosures = {{"https://example.org/a.mp3", "audio/mpeg", 10}};
    poll(archive, feed, parsed, seed_poll1);
    parsed.entries[0].content.clear();
    parsed.entries[0].author.clear();
    parsed.entries[0].image.clear();
    parsed.entries[0].enclosures.clear();
    parsed.entries[0].title = "";
    auto counts = poll(archive, feed, parsed, seed_poll2);
    CHECK(counts.updated_entries == 0);
    const auto entry = archive.article(archive.query({}).at(0).id)->entries.at(0);
    CHECK(entry.entry.title == "Title");
    CHECK(entry.entry.content == "<p>Full text</p>");
    CHECK(entry.entry.author == "Ann");
    CHECK(entry.entry.image == "https://example.org/a.png");
    CHECK(entry.entry.enclosures.size() == 1);
    CHECK(entry.revisions.empty());
}

STORE_TEST_CASE("revisions are capped at 20 per entry, the newest kept") {
    Store store;
    auto archive = store.open();
    auto feed = source("blog");
    ParsedFeed parsed;
    for (int version = 0; version <= 25; ++version) {
        parsed.entries = {item("a", "Title " + std::to_string(version), "https://example.org/a")};
        poll(archive, feed, parsed, seed_poll1 + std::chrono::minutes(version));
    }
    auto entry = archive.article(archive.query({}).at(0).id)->entries.at(0);
    REQUIRE(entry.revisions.size() == 20);
    CHECK(entry.revisions.front().title == "Title 5");
    CHECK(entry.revisions.back().title == "Title 24");
    CHECK(entry.entry.title == "Title 25");
    CHECK(article_count(archive) == 1);
}

STORE_TEST_CASE("entry identity: guid, else canonical link, else a hash of title, date and text") {
    Store store;
    auto archive = store.open();
    auto feed = source("mixed");
    ParsedFeed parsed;
    // Enough entries with guids that the few without stay under the 5 % fallback threshold.
    for (int i = 0; i < 40; ++i)
        parsed.entries.push_back(item("g" + std::to_string(i), "G" + std::to_string(i),
                                      "https://example.org/g" + std::to_string(i)));
    parsed.entries.push_back(item("", "By link", "https://example.org/by-link?utm_source=x"));
    parsed.entries.push_back(item("", "By hash", ""));
    poll(archive, feed, parsed, seed_poll1);
    CHECK_FALSE(archive.feed_state("mixed").identity_fallback);

    // The guid keeps an entry whose link changed; the canonical link keeps one whose tracking
    // parameters changed; the hash keeps an unchanged linkless entry.
    parsed.entries[0].link = "https://example.org/renamed";
    parsed.entries[40].link = "http://www.example.org/by-link?utm_medium=y#top";
    auto counts = poll(archive, feed, parsed, seed_poll2);
    CHECK(counts.new_entries == 0);
    CHECK(article_count(archive) == 42);

    // A linkless entry whose text changes is, by its hash, another entry.
    parsed.entries[41].summary = "Other text.";
    counts = poll(archive, feed, parsed, poll3);
    CHECK(counts.new_entries == 1);

    auto by_link = *archive.article(article_with_title(archive, "By link"));
    CHECK(by_link.entries[0].identity == "link:https://example.org/by-link");
    auto g0 = *archive.article(article_with_title(archive, "G0"));
    CHECK(g0.entries[0].identity == "guid:g0");
}

STORE_TEST_CASE("per-feed identity rule: link and content") {
    Store store;
    auto archive = store.open();
    SUBCASE("link: a new guid on a known link is the same entry") {
        auto feed = source("by-link", IdentityRule::link);
        ParsedFeed parsed;
        parsed.entries = {item("1", "A", "https://example.org/a")};
        poll(archive, feed, parsed, seed_poll1);
        parsed.entries[0].id = "2";
        CHECK(poll(archive, feed, parsed, seed_poll2).new_entries == 0);
        CHECK(article_count(archive) == 1);
    }
    SUBCASE("content: the same guid with other text is another entry") {
        auto feed = source("by-content", IdentityRule::content);
        ParsedFeed parsed;
        parsed.entries = {item("1", "A", "https://example.org/a")};
        poll(archive, feed, parsed, seed_poll1);
        parsed.entries[0].summary = "Changed.";
        CHECK(poll(archive, feed, parsed, seed_poll2).new_entries == 1);
        CHECK(poll(archive, feed, parsed, poll3).new_entries == 0);
    }
    SUBCASE("guid: forced guids are trusted even when links repeat") {
        auto feed = source("by-guid", IdentityRule::guid);
        ParsedFeed parsed;
        parsed.entries = {item("1", "A", "https://example.org/same"),
                          item("2", "B", "https://example.org/same")};
        CHECK(poll(archive, feed, parsed, seed_poll1).new_articles == 2);
        CHECK_FALSE(archive.feed_state("by-guid").identity_fallback);
    }
}

STORE_TEST_CASE("a guid that changes on every fetch: the feed falls back to links and says so") {
    Store store;
    auto archive = store.open();
    auto feed = source("unstable");
    ParsedFeed parsed;
    for (int i = 0; i < 10; ++i)
        parsed.entries.push_back(item("seed_poll1-" + std::to_string(i), "Story " + std::to_string(i),
                                      "https://example.org/story/" + std::to_string(i)));
    CHECK(poll(archive, feed, parsed, seed_poll1).new_articles == 10);
    CHECK_FALSE(archive.feed_state("unstable").identity_fallback);

    for (int round = 2; round <= 4; ++round) {
        for (int i = 0; i < 10; ++i)
            parsed.entries[static_cast<std::size_t>(i)].id =
                "poll" + std::to_string(round) + "-" + std::to_string(i);
        auto counts = poll(archive, feed, parsed, seed_poll1 + std::chrono::hours(round));
        CHECK(counts.new_entries == 0);
        CHECK(counts.updated_entries == 0);
    }
    CHECK(archive.feed_state("unstable").identity_fallback);
    CHECK(article_count(archive) == 10);
    // A state written later by the daemon (which knows nothing of identity) keeps the flag.
    archive.commit_poll(feed, nullptr, named("unstable"), poll3);
    CHECK(archive.feed_state("unstable").identity_fallback);
    // Resetting what was learned clears it.
    archive.set_feed_state(named("unstable"));
    CHECK_FALSE(archive.feed_state("unstable").identity_fallback);
    CHECK_THROWS_AS(archive.set_feed_state(named("nobody")), StoreError);
}

STORE_TEST_CASE("guids shared by all items: the feed falls back to links") {
    Store store;
    auto archive = store.open();
    auto feed = source("shared-guid");
    ParsedFeed parsed;
    for (int i = 0; i < 5; ++i)
        parsed.entries.push_back(
            item("same", "Story " + std::to_string(i), "https://example.org/s/" + std::to_string(i)));
    auto counts = poll(archive, feed, parsed, seed_poll1);
    CHECK(counts.new_articles == 5);
    CHECK(archive.feed_state("shared-guid").identity_fallback);
    CHECK(poll(archive, feed, parsed, seed_poll2).new_entries == 0);
    CHECK(article_count(archive) == 5);
}

STORE_TEST_CASE("blank guids over 5 % of a poll: the feed falls back to links") {
    Store store;
    auto archive = store.open();
    auto feed = source("blank");
    ParsedFeed parsed;
    for (int i = 0; i < 4; ++i)
        parsed.entries.push_back(item(i == 0 ? "" : "g" + std::to_string(i), "Story " + std::to_string(i),
                                      "https://example.org/b/" + std::to_string(i)));
    poll(archive, feed, parsed, seed_poll1);
    CHECK(archive.feed_state("blank").identity_fallback);
}

STORE_TEST_CASE("a live-blog link shared by many entries merges nothing") {
    Store store;
    auto archive = store.open();
    auto live = source("live");
    auto other = source("other");
    const std::string blog = "https://example.org/live-blog";
    ParsedFeed parsed;
    for (int i = 0; i < 6; ++i)
        parsed.entries.push_back(item("update-" + std::to_string(i), "Update " + std::to_string(i), blog,
                                      "Minute " + std::to_string(i)));
    CHECK(poll(archive, live, parsed, seed_poll1).new_articles == 6);
    CHECK_FALSE(archive.feed_state("live").identity_fallback);

    // A later update with the same link is its own article, not a revision of an earlier one.
    parsed.entries.insert(parsed.entries.begin(), item("update-6", "Update 6", blog, "Minute 6"));
    auto counts = poll(archive, live, parsed, seed_poll2);
    CHECK(counts.new_articles == 1);
    CHECK(counts.updated_entries == 0);

    // Another feed linking to the live blog does not join any of its updates.
    ParsedFeed elsewhere;
    elsewhere.entries = {item("x", "Follow the live blog", blog)};
    CHECK(poll(archive, other, elsewhere, seed_poll2).new_articles == 1);
    CHECK(article_count(archive) == 8);
    for (const auto& row : archive.query(everything())) CHECK(row.feeds.size() == 1);
}

STORE_TEST_CASE("a link that turns out not to be specific stops merging") {
    Store store;
    auto archive = store.open();
    auto a = source("a");
    auto b = source("b");
    auto c = source("c");
    const std::string home = "https://example.org/";
    ParsedFeed one;
    one.entries = {item("a1", "First", home)};
    poll(archive, a, one, seed_poll1);
    ParsedFeed two;
    two.entries = {item("a2", "Second", home), item("a1", "First", home)};
    poll(archive, a, two, seed_poll2);
    ParsedFeed third;
    third.entries = {item("c1", "Elsewhere", home)};
    CHECK(poll(archive, c, third, poll3).new_articles == 1);
    (void)b;
    CHECK(article_count(archive) == 3);
}

STORE_TEST_CASE("entries of several feeds with one canonical link are one article, each keeps its text") {
    Store store;
    auto archive = store.open();
    ParsedFeed a;
    a.entries = {item("1", "Story", "https://www.example.org/story?utm_source=a", "Short.")};
    ParsedFeed b;
    b.entries = {
        item("tag:b,1", "Story", "http://example.org/story?fbclid=123#comments", "A much longer text here.")};
    poll(archive, source("a"), a, seed_poll1);
    auto counts = poll(archive, source("b"), b, seed_poll2);
    CHECK(counts.new_articles == 0);
    CHECK(counts.new_entries == 1);
    auto article = *archive.article(archive.query({}).at(0).id);
    CHECK(article.entries.size() == 2);
    CHECK(article.fullest().feed == "b");
    CHECK(entry_of(article, "a").entry.summary == "Short.");
}

STORE_TEST_CASE("ordering: newest first by published date, first-seen when missing or in the future") {
    Store store;
    auto archive = store.open();
    ParsedFeed parsed;
    parsed.entries = {item("old", "Old", "https://example.org/old"),
                      item("none", "Undated", "https://example.org/u"),
                      item("future", "Future", "https://example.org/f")};
    parsed.entries[0].published = utc(2024, 8, 1);
    parsed.entries[1].published.reset();
    parsed.entries[2].published = utc(2030, 1, 1);
    poll(archive, source("f"), parsed, seed_poll1);
    ParsedFeed later;
    later.entries = {item("mid", "Middle", "https://example.org/m")};
    later.entries[0].published = utc(2024, 8, 20);
    poll(archive, source("g"), later, seed_poll2);
    std::vector<std::string> titles;
    for (const auto& row : archive.query({})) titles.push_back(row.title);
    // Undated and Future both fall back to seed_poll1 (the later id first); Middle is dated before it.
    CHECK(titles == std::vector<std::string>{"Future", "Undated", "Middle", "Old"});
}

STORE_TEST_CASE("retention prunes by first-seen time and leaves tombstones") {
    Store store;
    auto archive = store.open();
    auto keep_forever = source("forever");
    keep_forever.keep_days = 0;
    auto short_lived = source("short");
    short_lived.keep_days = 7;
    auto global = source("global");
    archive.sync_feeds({keep_forever, short_lived, global});
    ParsedFeed a;
    a.entries = {item("1", "Kept", "https://example.org/kept")};
    ParsedFeed b;
    b.entries = {item("2", "Pruned", "https://example.org/pruned")};
    ParsedFeed c;
    c.entries = {item("3", "Global", "https://example.org/global")};
    poll(archive, keep_forever, a, seed_poll1);
    poll(archive, short_lived, b, seed_poll1);
    poll(archive, global, c, seed_poll1);

    auto later = seed_poll1 + std::chrono::days(10);
    CHECK(archive.prune(30, later).articles == 1);  // only "short" is past its 7 days
    CHECK(article_count(archive) == 2);
    CHECK(archive.prune(0, later).articles == 0);  // 0 keeps forever

    // Seen again, in its feed or in another one: never new again.
    auto counts = poll(archive, short_lived, b, later);
    CHECK(counts.new_entries == 0);
    CHECK(counts.tombstoned_entries == 1);
    ParsedFeed elsewhere;
    elsewhere.entries = {item("other-guid", "Pruned", "https://example.org/pruned?utm_source=z")};
    CHECK(poll(archive, source("late"), elsewhere, later).new_articles == 0);
    CHECK(article_count(archive) == 2);

    CHECK(archive.prune(5, later).articles == 1);  // "global" now past the global 5 days
    CHECK(archive.check().empty());
}

STORE_TEST_CASE("feeds no longer configured keep their articles") {
    Store store;
    auto archive = store.open();
    auto china = test::china_source();
    archive.sync_feeds({china});
    poll(archive, china, test::cgtn_china(), seed_poll1);
    archive.sync_feeds({});
    CHECK(article_count(archive) == 3);
    auto summaries = archive.feed_summaries();
    REQUIRE(summaries.size() == 1);
    CHECK_FALSE(summaries[0].configured);
    CHECK(summaries[0].articles == 3);
    CHECK(summaries[0].title == "CGTN - China");
}

STORE_TEST_CASE("the new articles of a commit come back as rows for the on_new hook") {
    Store store;
    auto archive = store.open();
    auto china = test::china_source();
    auto counts = poll(archive, china, test::cgtn_china(), seed_poll1);
    auto rows = archive.articles(counts.new_article_ids);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].title == test::seed_title);
    CHECK(rows[0].feeds == std::vector<std::string>{"cgtn-china"});
    CHECK(rows[1].link.find("utm_source=rss") != std::string::npos);  // the link as the feed gave it
}

STORE_TEST_CASE("purging a feed deletes its entries and the articles only it held, shared articles stay") {
    Store store;
    auto archive = store.open();
    auto china = test::china_source();
    auto politics = test::politics_source();
    archive.sync_feeds({china, politics});
    poll(archive, china, test::cgtn_china(), seed_poll1);
    poll(archive, politics, test::cgtn_politics(), seed_poll2);
    REQUIRE(article_count(archive) == 4);
    const auto seed_id = article_with_title(archive, test::seed_title);

    const auto purged = archive.purge_feed("cgtn-china");
    CHECK(purged.entries == 3);
    CHECK(purged.articles == 2);  // the seed article stays: the Politics feed holds it too
    CHECK(article_count(archive) == 2);
    const auto seed = archive.article(seed_id);
    REQUIRE(seed.has_value());
    CHECK(seed->feeds == std::vector<std::string>{"cgtn-politics"});
    CHECK(seed->fullest().feed == "cgtn-politics");
    CHECK(archive.check().empty());
    CHECK_THROWS_AS(archive.purge_feed("cgtn-china"), feedd::store::QueryError);
}

STORE_TEST_CASE(
    "an entry larger than the archive stores is that entry's error, and the rest of the poll is kept") {
    Store store;
    auto archive = store.open();
    auto feed = source("huge");
    ParsedFeed parsed;
    parsed.entries = {
        item("a", "Before", "https://example.org/a"), item("big", "Big", "https://example.org/big"),
        item("large", "Large", "https://example.org/large"), item("c", "After", "https://example.org/c")};
    // Over max_storable_body: refused before SQLite is asked (it refuses values over 1e9 bytes).
    parsed.entries[1].content.assign(static_cast<std::size_t>(max_storable_body) + 1, 'x');
    // Large but storable: written inside its own savepoint, whole.
    parsed.entries[2].content = "<p>" + std::string(9 << 20, 'y') + "</p>";
    const auto counts = poll(archive, feed, parsed, seed_poll1);
    CHECK(counts.new_entries == 3);
    REQUIRE(counts.refused_entries.size() == 1);
    CHECK(counts.refused_entries[0].starts_with("entry big not archived: "));
    CHECK(counts.refused_entries[0].find("more than the archive stores") != std::string::npos);
    std::multiset<std::string> titles;
    for (const auto& row : archive.query(everything())) titles.insert(row.title);
    CHECK(titles == std::multiset<std::string>{"After", "Before", "Large"});
    CHECK(archive.feed_state("huge").etag == "\"v1\"");  // the poll's state advanced
    const auto large = *archive.article(article_with_title(archive, "Large"));
    CHECK(large.fullest().entry.content.size() == (9u << 20) + 7);
}

TEST_CASE(
    "an entry SQLite refuses (SQLITE_TOOBIG) is that entry's error, and the rest of the write is kept") {
    auto archive = Archive::open(":memory:", OpenMode::read_write);
    // SQLite refuses a value over 1e9 bytes in production; a limit of 12 MiB meets the same
    // refusal with an entry below max_storable_body (which is refused before SQLite is asked).
    Testing::limit_value_length(archive, 12 << 20);
    const auto huge = source("huge"), other = source("other");
    ParsedFeed huge_feed;
    huge_feed.entries = {item("a", "Before", "https://example.org/a"),
                         item("big", "Big", "https://example.org/big"),
                         item("c", "After", "https://example.org/c")};
    huge_feed.entries[1].content = "<p>" + std::string(16 << 20, 'x') + "</p>";
    ParsedFeed other_feed;
    other_feed.entries = {item("o", "Other", "https://example.org/o")};
    const auto huge_state = state_of(huge, seed_poll1), other_state = state_of(other, seed_poll1);
    const PollWrite polls[] = {{huge, &huge_feed, huge_state, seed_poll1},
                               {other, &other_feed, other_state, seed_poll1}};

    const auto results = archive.commit_polls(polls);
    // Not a failed write (the daemon retries those as a full disk, keeping nothing of the poll).
    REQUIRE(results.size() == 2);
    CHECK(results[0].ok());
    CHECK(results[1].ok());
    CHECK(results[0].counts.new_entries == 2);
    REQUIRE(results[0].counts.refused_entries.size() == 1);
    CHECK(results[0].counts.refused_entries[0].starts_with("entry big not archived: "));
    CHECK(results[1].counts.new_entries == 1);
    std::multiset<std::string> titles;
    for (const auto& row : archive.query(everything())) titles.insert(row.title);
    CHECK(titles == std::multiset<std::string>{"After", "Before", "Other"});
    CHECK(archive.feed_state("huge").etag == "\"v1\"");  // the poll's state advanced
    CHECK(archive.check().empty());
}

namespace {

// Every column of every row of the archive's entry and article tables, blobs byte for byte.
std::string dump_entries_and_articles(const std::filesystem::path& path) {
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    std::string out;
    for (const char* sql : {"SELECT * FROM entries ORDER BY id", "SELECT * FROM articles ORDER BY id"}) {
        SQLite::Statement rows(db, sql);
        while (rows.executeStep()) {
            for (int i = 0; i < rows.getColumnCount(); ++i) {
                const auto column = rows.getColumn(i);
                out += std::to_string(column.getType()) + ":" + column.getString() + "|";
            }
            out += "\n";
        }
    }
    return out;
}

// The seed polls through commit_polls, each with a digest made as `digest_for` says (or none).
template <class DigestFor>
void commit_seed_polls_digested(Archive& archive, DigestFor digest_for) {
    archive.sync_feeds({test::china_source(), test::politics_source()});
    const auto china = test::cgtn_china(), china2 = test::cgtn_china_2(), politics = test::cgtn_politics();
    const auto first = digest_for(china, true), second = digest_for(china2, false),
               politics_digest = digest_for(politics, true);
    const PollWrite polls1[] = {{test::china_source(), &china, state_of(test::china_source(), seed_poll1),
                                 seed_poll1, false, &first}};
    for (const auto& result : archive.commit_polls(polls1)) REQUIRE(result.ok());
    const PollWrite polls2[] = {
        {test::china_source(), &china2, state_of(test::china_source(), seed_poll2), seed_poll2, false,
         &second},
        {test::politics_source(), &politics, state_of(test::politics_source(), seed_poll2), seed_poll2, false,
         &politics_digest}};
    for (const auto& result : archive.commit_polls(polls2)) REQUIRE(result.ok());
}

}  // namespace

TEST_CASE("a document's digest, made ahead of the write, changes nothing of what the archive keeps") {
    // The daemon digests a document on its preparing thread (the links, hashes, text and packed
    // HTML of a feed's first document); the write must keep what it keeps without one.
    test::TempDir dir;
    auto archive_with = [&](const char* name, auto digest_for) {
        const auto path = dir / name;
        auto archive = Archive::open(path, OpenMode::read_write);
        commit_seed_polls_digested(archive, digest_for);
        CHECK(archive.check().empty());
        return dump_entries_and_articles(path);
    };
    const auto plain = archive_with("plain.db", [](const ParsedFeed&, bool) { return DocumentDigest{}; });
    REQUIRE(plain.find("Chengdu hosts western development forum") != std::string::npos);
    CHECK(archive_with("packed.db", [](const ParsedFeed& parsed, bool first) {
              return digest_document(parsed, {first, true});
          }) == plain);
    CHECK(archive_with("unpacked.db", [](const ParsedFeed& parsed, bool first) {
              return digest_document(parsed, {first, false});
          }) == plain);
    // "All new" said of a document that is not: its text is taken, the rest is the archive's.
    CHECK(archive_with("all-new.db", [](const ParsedFeed& parsed, bool) {
              return digest_document(parsed, {true, true});
          }) == plain);
    // A digest of another document (here, one entry fewer) is not used.
    CHECK(archive_with("other.db", [](const ParsedFeed& parsed, bool first) {
              auto shorter = parsed;
              shorter.entries.pop_back();
              return digest_document(shorter, {first, true});
          }) == plain);
}
