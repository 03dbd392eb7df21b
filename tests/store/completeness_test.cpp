// What the archive keeps for the adaptive interval and gap detection: entry times, the document's
// size in the feed state, and gaps, shown per feed.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "store/stores.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::TempDir;
using feedd::test::utc;

namespace {

FeedSource blog() {
    FeedSource feed;
    feed.name = "blog";
    feed.url = "https://example.org/blog.xml";
    return feed;
}

ParsedFeed document(int first, int count, TimePoint published) {
    ParsedFeed parsed;
    for (int i = first; i < first + count; ++i) {
        Entry entry;
        entry.id = "post-" + std::to_string(i);
        entry.title = "Post " + std::to_string(i);
        entry.summary = "Text of post " + std::to_string(i) + ".";
        if (i % 2 == 0) entry.published = published + std::chrono::minutes(i);  // odd ones carry no date
        parsed.entries.push_back(std::move(entry));
    }
    return parsed;
}

FeedState polled(TimePoint now, int items) {
    FeedState state;
    state.name = "blog";
    state.last_poll = now;
    state.last_success = now;
    state.last_status = 200;
    state.document_items = items;
    return state;
}

}  // namespace

STORE_TEST_CASE("entry times come back per feed since a time, and the document's size is kept in the state") {
    Store store;
    auto archive = store.open();
    archive.sync_feeds({blog()});
    const TimePoint day1 = utc(2026, 11, 1, 9, 0);
    const TimePoint day2 = utc(2026, 11, 2, 9, 0);
    (void)archive.commit_poll(blog(), nullptr, polled(day1, 0), day1);
    const auto first = document(0, 3, day1 - std::chrono::hours(1));
    const auto counts = archive.commit_poll(blog(), &first, polled(day1, 3), day1);
    CHECK(counts.new_entries == 3);
    const auto second = document(2, 3, day1 - std::chrono::hours(1));  // post-2 again, 3 and 4 new
    const auto again = archive.commit_poll(blog(), &second, polled(day2, 3), day2);
    CHECK(again.new_entries == 2);
    CHECK(again.updated_entries + again.unchanged_entries == 1);  // what the document had seen before

    const auto all = archive.entry_times("blog", day1);
    REQUIRE(all.size() == 5);
    CHECK(all[0].first_seen == day1);
    CHECK(all[0].published == day1 - std::chrono::hours(1));
    CHECK_FALSE(all[1].published);
    CHECK(all[4].first_seen == day2);
    CHECK(archive.entry_times("blog", day2).size() == 2);
    CHECK(archive.entry_times("other", day1).empty());
    CHECK(archive.feed_state("blog").document_items == 3);
}

TEST_CASE("a gap is kept, read back since a time, counted in the feed's summary and shown by gaps_v") {
    TempDir dir;
    auto archive = Archive::open(dir / "feedd.db", OpenMode::read_write);
    archive.sync_feeds({blog()});
    const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    GapRecord old_gap{now - std::chrono::days(40), now - std::chrono::days(41), now - std::chrono::days(40),
                      7, std::chrono::minutes(1)};
    GapRecord gap{now - std::chrono::hours(1), now - std::chrono::hours(3), now - std::chrono::hours(2), 12,
                  std::chrono::seconds(30)};
    archive.record_gap("blog", old_gap);
    archive.record_gap("blog", gap);
    CHECK_THROWS_AS(archive.record_gap("nobody", gap), StoreError);

    const auto recent = archive.gaps("blog", now - std::chrono::days(30));
    REQUIRE(recent.size() == 1);
    CHECK(recent[0].seen_until == gap.seen_until);
    CHECK(recent[0].seen_again == gap.seen_again);
    CHECK(recent[0].estimated == 12);
    CHECK(recent[0].pace == std::chrono::seconds(30));
    CHECK(archive.gaps("blog", now - std::chrono::days(60)).size() == 2);

    const auto summaries = archive.feed_summaries();
    REQUIRE(summaries.size() == 1);
    CHECK(summaries[0].recent_gaps == 1);  // the last 30 days
    CHECK(summaries[0].recent_gap_items == 12);
    CHECK(summaries[0].last_gap == gap.detected_at);

    // The view sqlite3 users read, newest first.
    SQLite::Database raw(dir / "feedd.db", SQLite::OPEN_READONLY);
    SQLite::Statement rows(raw, "SELECT feed, estimated, seen_until FROM gaps_v");
    REQUIRE(rows.executeStep());
    CHECK(rows.getColumn(0).getString() == "blog");
    CHECK(rows.getColumn(1).getInt() == 12);
    CHECK(rows.getColumn(2).getString() == format_utc(gap.seen_until));
    REQUIRE(rows.executeStep());
    CHECK(rows.getColumn(1).getInt() == 7);
    CHECK_FALSE(rows.executeStep());
}
