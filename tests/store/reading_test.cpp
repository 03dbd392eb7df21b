// Reading state per user, on both stores: read/unread by article, a watermark per feed for
// "mark all as read", stars, and the entries a reader asks for.
#include <doctest/doctest.h>

#include <algorithm>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "store/stores.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::feed;
using feedd::test::utc;

namespace {

// `count` entries "<name> 1".."<name> count", links https://example.org/<name>/N, an hour apart.
ParsedFeed document(const std::string& name, int count, TimePoint start) {
    ParsedFeed parsed;
    for (int i = 1; i <= count; ++i) {
        Entry entry;
        entry.id = name + "-" + std::to_string(i);
        entry.title = name + " " + std::to_string(i);
        entry.link = "https://example.org/" + name + "/" + std::to_string(i);
        entry.summary = "<p>Text of " + name + " " + std::to_string(i) + ".</p>";
        entry.published = start + std::chrono::hours(i);
        parsed.entries.push_back(std::move(entry));
    }
    return parsed;
}

void poll(Archive& archive, const std::string& name, const ParsedFeed& parsed, TimePoint now) {
    FeedState state;
    state.name = name;
    state.last_poll = now;
    state.last_status = 200;
    (void)archive.commit_poll(feed(name), &parsed, state, now);
}

std::vector<std::string> titles(const EntryPage& page) {
    std::vector<std::string> out;
    for (const auto& entry : page.entries) out.push_back(entry.entry.title);
    return out;
}

EntryFilter of(const std::string& user) {
    EntryFilter filter;
    filter.user = user;
    return filter;
}

std::int64_t unread(Archive& archive, const std::string& user, const std::string& name) {
    for (const auto& counts : archive.read_counts(user))
        if (counts.feed == name) return counts.unread;
    return -1;
}

}  // namespace

STORE_TEST_CASE("everything starts unread for every user, with no row written for it") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha"), feed("beta")});
    const auto now = utc(2026, 11, 30, 8, 0);
    poll(archive, "alpha", document("alpha", 3, now - std::chrono::days(1)), now);
    poll(archive, "beta", document("beta", 2, now - std::chrono::days(1)), now);

    auto page = archive.reader_entries(of("alice"));
    CHECK(page.total == 5);
    // Newest first by date.
    CHECK(titles(page) == std::vector<std::string>{"alpha 3", "beta 2", "alpha 2", "beta 1", "alpha 1"});
    CHECK(std::none_of(page.entries.begin(), page.entries.end(),
                       [](const ReaderEntry& e) { return e.read || e.starred; }));
    CHECK(page.entries.front().entry.link == "https://example.org/alpha/3");
    CHECK(page.entries.front().entry.summary == "<p>Text of alpha 3.</p>");
    CHECK(page.entries.front().feed == "alpha");
    const auto counts = archive.read_counts("alice");
    REQUIRE(counts.size() == 2);
    CHECK(counts[0].feed == "alpha");
    CHECK(counts[0].unread == 3);
    CHECK(counts[0].read == 0);
    CHECK(counts[0].feed_id > 0);
    CHECK(counts[1].unread == 2);
}

STORE_TEST_CASE("marking read, unread and starred is per user and filters what a reader asks for") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha")});
    const auto now = utc(2026, 11, 30, 8, 0);
    poll(archive, "alpha", document("alpha", 4, now - std::chrono::days(1)), now);
    auto all = archive.reader_entries(of("alice")).entries;
    REQUIRE(all.size() == 4);
    const auto first = all[3].id, second = all[2].id;  // alpha 1, alpha 2

    archive.set_read("alice", {first, second}, true);
    archive.set_starred("alice", second, true);
    auto unread_filter = of("alice");
    unread_filter.read = false;
    CHECK(titles(archive.reader_entries(unread_filter)) == std::vector<std::string>{"alpha 4", "alpha 3"});
    auto starred = of("alice");
    starred.starred = true;
    const auto stars = archive.reader_entries(starred);
    REQUIRE(stars.entries.size() == 1);
    CHECK(stars.entries[0].id == second);
    CHECK(stars.entries[0].read);
    // Bob sees none of it.
    auto bob = of("bob");
    bob.read = false;
    CHECK(archive.reader_entries(bob).total == 4);
    CHECK(unread(archive, "bob", "alpha") == 4);
    CHECK(unread(archive, "alice", "alpha") == 2);

    archive.set_read("alice", {first}, false);
    archive.set_starred("alice", second, false);
    CHECK(unread(archive, "alice", "alpha") == 3);
    starred.starred = true;
    CHECK(archive.reader_entries(starred).total == 0);
    // Unknown ids are ignored.
    archive.set_read("alice", {999999}, true);
    CHECK(unread(archive, "alice", "alpha") == 3);
}

STORE_TEST_CASE("mark all as read covers the feed's entries so far, not those that come later") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha"), feed("beta")});
    const auto now = utc(2026, 11, 30, 8, 0);
    poll(archive, "alpha", document("alpha", 3, now - std::chrono::days(1)), now);
    poll(archive, "beta", document("beta", 2, now - std::chrono::days(1)), now);
    const auto entries = archive.reader_entries(of("alice")).entries;
    // One of them marked unread by hand first: mark-all reads it too.
    archive.set_read("alice", {entries.front().id}, false);

    archive.mark_feed_read("alice", "alpha");
    CHECK(unread(archive, "alice", "alpha") == 0);
    CHECK(unread(archive, "alice", "beta") == 2);
    CHECK(unread(archive, "bob", "alpha") == 3);
    CHECK_THROWS_AS(archive.mark_feed_read("alice", "nobody"), QueryError);

    // A later poll brings alpha 4 and 5: unread, the rest stays read.
    poll(archive, "alpha", document("alpha", 5, now - std::chrono::days(1)), now + std::chrono::hours(1));
    CHECK(unread(archive, "alice", "alpha") == 2);
    auto filter = of("alice");
    filter.read = false;
    filter.feeds = {"alpha"};
    CHECK(titles(archive.reader_entries(filter)) == std::vector<std::string>{"alpha 5", "alpha 4"});
    // An entry below the watermark can be unread again by hand.
    filter.read = true;
    const auto read_ones = archive.reader_entries(filter).entries;
    REQUIRE(read_ones.size() == 3);
    archive.set_read("alice", {read_ones.back().id}, false);
    CHECK(unread(archive, "alice", "alpha") == 3);
}

STORE_TEST_CASE(
    "entries page by limit and offset, order by id or date either way, and filter by ids and dates") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha")});
    const auto start = utc(2026, 11, 29, 0, 0);
    poll(archive, "alpha", document("alpha", 5, start), start + std::chrono::days(1));
    auto filter = of("alice");
    filter.limit = 2;
    filter.offset = 1;
    auto page = archive.reader_entries(filter);
    CHECK(page.total == 5);
    CHECK(titles(page) == std::vector<std::string>{"alpha 4", "alpha 3"});
    filter.descending = false;
    filter.order = EntryFilter::Order::id;
    filter.offset = 0;
    page = archive.reader_entries(filter);
    CHECK(titles(page) == std::vector<std::string>{"alpha 1", "alpha 2"});
    const auto second = page.entries[1].id;

    auto after = of("alice");
    after.after_id = second;
    after.descending = false;
    CHECK(titles(archive.reader_entries(after)) == std::vector<std::string>{"alpha 3", "alpha 4", "alpha 5"});
    auto before = of("alice");
    before.before = start + std::chrono::hours(3);  // published alpha 1 and 2 only
    CHECK(titles(archive.reader_entries(before)) == std::vector<std::string>{"alpha 2", "alpha 1"});
    auto ids = of("alice");
    ids.ids = {second};
    CHECK(titles(archive.reader_entries(ids)) == std::vector<std::string>{"alpha 2"});
    auto none = of("alice");
    none.by_articles = true;  // a search that found nothing
    CHECK(archive.reader_entries(none).total == 0);
    auto unknown = of("alice");
    unknown.feeds = {"nobody"};
    CHECK(archive.reader_entries(unknown).total == 0);
}

STORE_TEST_CASE("an article in two feeds is read in both once read in one") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha"), feed("beta")});
    const auto now = utc(2026, 11, 30, 8, 0);
    ParsedFeed shared;
    Entry entry;
    entry.id = "x";
    entry.title = "Shared story";
    entry.link = "https://news.example/story";
    entry.summary = "Same story.";
    shared.entries.push_back(entry);
    poll(archive, "alpha", shared, now);
    poll(archive, "beta", shared, now);
    const auto entries = archive.reader_entries(of("alice")).entries;
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].article_id == entries[1].article_id);
    archive.set_read("alice", {entries[0].id}, true);
    CHECK(unread(archive, "alice", "alpha") == 0);
    CHECK(unread(archive, "alice", "beta") == 0);
}

STORE_TEST_CASE("mark all as read up to a time leaves what came later unread, and never moves back") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha")});
    const auto now = utc(2026, 11, 30, 8, 0);
    poll(archive, "alpha", document("alpha", 3, now - std::chrono::days(1)), now);
    poll(archive, "alpha", document("alpha", 5, now - std::chrono::days(1)), now + std::chrono::hours(2));
    // A client that had seen what came until an hour after the first poll: alpha 1-3 read.
    archive.mark_feed_read("alice", "alpha", now + std::chrono::hours(1));
    CHECK(unread(archive, "alice", "alpha") == 2);
    archive.mark_feed_read("alice", "alpha");
    CHECK(unread(archive, "alice", "alpha") == 0);
    // An older time afterwards does not unread what the newer mark read.
    archive.mark_feed_read("alice", "alpha", now);
    CHECK(unread(archive, "alice", "alpha") == 0);
}

STORE_TEST_CASE("a page by first-seen time, without its total, names each entry's feed id") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha"), feed("beta")});
    const auto now = utc(2026, 11, 30, 8, 0);
    poll(archive, "alpha", document("alpha", 2, now - std::chrono::days(1)), now);
    poll(archive, "beta", document("beta", 2, now - std::chrono::days(1)), now + std::chrono::hours(3));
    auto filter = of("alice");
    filter.seen_from = now + std::chrono::hours(1);
    filter.count_total = false;
    const auto page = archive.reader_entries(filter);
    CHECK(page.total == 0);  // not counted
    CHECK(titles(page) == std::vector<std::string>{"beta 2", "beta 1"});
    std::int64_t beta_id = 0;
    for (const auto& summary : archive.feed_summaries(SummaryDetail::listing)) {
        if (summary.name == "beta") beta_id = summary.id;
        CHECK(summary.articles == 0);  // the listing counts nothing
    }
    REQUIRE(beta_id != 0);
    for (const auto& entry : page.entries) CHECK(entry.feed_id == beta_id);
    filter.seen_from.reset();
    filter.seen_to = now;
    filter.count_total = true;
    const auto early = archive.reader_entries(filter);
    CHECK(early.total == 2);
    CHECK(titles(early) == std::vector<std::string>{"alpha 2", "alpha 1"});
    for (const auto& summary : archive.feed_summaries())
        if (summary.name == "alpha") CHECK(summary.articles == 2);
}

STORE_TEST_CASE(
    "the state detail gives each feed's state, recent gaps and newest entry, without its counts") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha"), feed("beta")});
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    poll(archive, "alpha", document("alpha", 3, now - std::chrono::days(1)), now - std::chrono::hours(2));
    poll(archive, "beta", document("beta", 1, now - std::chrono::days(1)), now - std::chrono::hours(1));
    GapRecord gap;
    gap.detected_at = now - std::chrono::hours(1);
    gap.seen_until = now - std::chrono::hours(3);
    gap.seen_again = now - std::chrono::hours(2);
    gap.estimated = 4;
    archive.record_gap("alpha", gap);
    const auto full = archive.feed_summaries(SummaryDetail::full);
    const auto state = archive.feed_summaries(SummaryDetail::state);
    REQUIRE(full.size() == 2);
    REQUIRE(state.size() == full.size());
    for (std::size_t i = 0; i < full.size(); ++i) {
        INFO(full[i].name);
        CHECK(state[i].name == full[i].name);
        CHECK(state[i].id == full[i].id);
        CHECK(state[i].state.last_poll == full[i].state.last_poll);
        CHECK(state[i].newest == full[i].newest);
        CHECK(state[i].recent_gaps == full[i].recent_gaps);
        CHECK(state[i].recent_gap_items == full[i].recent_gap_items);
        CHECK(state[i].last_gap == full[i].last_gap);
        CHECK(state[i].articles == 0);  // not counted
        CHECK(state[i].entries == 0);
    }
    CHECK(full[0].articles == 3);
    CHECK(state[0].recent_gaps == 1);
    CHECK(state[0].recent_gap_items == 4);
    CHECK(state[0].newest == now - std::chrono::hours(2));
    CHECK(state[1].newest == now - std::chrono::hours(1));
    CHECK(state[1].recent_gaps == 0);
}

STORE_TEST_CASE("a page of ids only names the same entries, dates and state as the whole page") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha"), feed("beta")});
    const auto now = utc(2026, 11, 30, 8, 0);
    poll(archive, "alpha", document("alpha", 3, now - std::chrono::days(1)), now);
    poll(archive, "beta", document("beta", 2, now - std::chrono::days(1)), now + std::chrono::hours(1));
    auto filter = of("alice");
    filter.order = EntryFilter::Order::id;
    const auto whole = archive.reader_entries(filter);
    archive.set_read("alice", {whole.entries[1].id}, true);
    const auto read = archive.reader_entries(filter);
    filter.ids_only = true;
    const auto ids = archive.reader_entries(filter);
    REQUIRE(ids.entries.size() == 5);
    REQUIRE(read.entries.size() == ids.entries.size());
    CHECK(ids.total == read.total);
    for (std::size_t i = 0; i < ids.entries.size(); ++i) {
        const auto &a = ids.entries[i], &b = read.entries[i];
        CHECK(a.id == b.id);
        CHECK(a.article_id == b.article_id);
        CHECK(a.feed_id == b.feed_id);
        CHECK(a.feed == b.feed);
        CHECK(a.first_seen == b.first_seen);
        CHECK(a.date == b.date);
        CHECK(a.read == b.read);
        CHECK(a.starred == b.starred);
        CHECK(a.entry.title.empty());  // the entry itself is not read
        CHECK(a.entry.summary.empty());
    }
    CHECK(ids.entries[1].read);
    CHECK_FALSE(ids.entries[0].read);
}

STORE_TEST_CASE("a page's total counts every match of configured feeds, whether the page is full or not") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({feed("alpha"), feed("beta"), feed("gamma")});
    const auto now = utc(2026, 11, 30, 8, 0);
    poll(archive, "alpha", document("alpha", 4, now - std::chrono::days(1)), now);
    poll(archive, "beta", document("beta", 3, now - std::chrono::days(1)), now);
    poll(archive, "gamma", document("gamma", 5, now - std::chrono::days(1)), now);
    archive.sync_feeds({feed("alpha"), feed("beta")});  // gamma's entries stay, no longer listed
    auto filter = of("alice");
    auto total = [&](int limit, std::int64_t offset) {
        filter.limit = limit;
        filter.offset = offset;
        const auto page = archive.reader_entries(filter);
        for (const auto& entry : page.entries) CHECK(entry.feed != "gamma");
        return page.total;
    };
    CHECK(total(100, 0) == 7);  // the page holds them all
    CHECK(total(3, 0) == 7);    // a full page: counted
    CHECK(total(3, 6) == 7);    // the last, short page
    CHECK(total(3, 50) == 7);   // past the end: counted
    CHECK(total(0, 0) == 7);    // no limit
    archive.set_read("alice", {archive.reader_entries(of("alice")).entries.front().id}, true);
    filter.read = false;
    CHECK(total(2, 0) == 6);
    CHECK(total(100, 0) == 6);
    filter.read.reset();
    filter.feeds = {"beta"};
    CHECK(total(1, 0) == 3);
    CHECK(total(1, 9) == 3);
    filter.feeds = {"gamma"};
    CHECK(total(1, 0) == 0);
}
