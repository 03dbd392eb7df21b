// The seed fixtures (tests/fixtures/cgtn-*.rss|atom) as the parser hands them to the store, so
// that the store's tests do not depend on the parser.
#pragma once

#include <chrono>
#include <string>

#include "feedd/model/model.hpp"
#include "feedd/store/store.hpp"
#include "support/fixtures.hpp"

namespace feedd::test {

inline TimePoint utc(int year, unsigned month, unsigned day, int hour = 0, int minute = 0, int second = 0) {
    using namespace std::chrono;
    return sys_days(
               year_month_day(std::chrono::year(year), std::chrono::month(month), std::chrono::day(day))) +
           hours(hour) + minutes(minute) + seconds(second);
}

inline const std::string seed_link =
    "https://news.cgtn.com/news/2024-08-23/"
    "Xi-chairs-CPC-leadership-meeting-on-developing-China-s-western-region-1wiDjgGubIY/index.html";
inline const std::string seed_title = "Xi chairs CPC leadership meeting on developing China's western region";
inline const std::string seed_image =
    "https://news.cgtn.com/news/2024-08-23/"
    "Xi-chairs-CPC-leadership-meeting-on-developing-China-s-western-region-1wiDjgGubIY/img/"
    "4c9166dcb293471b9b973a125f7ebcf9/4c9166dcb293471b9b973a125f7ebcf9.jpeg";

// The seed article's content:encoded, cut from the fixture file itself.
inline std::string seed_content(const char* fixture) {
    auto xml = read_fixture(fixture);
    auto begin = xml.find("<![CDATA[<img");
    auto end = xml.find("]]></content:encoded>");
    return xml.substr(begin + 9, end - begin - 9);
}

inline Entry seed_china_entry(const char* fixture) {
    Entry e;
    e.id = "1wiDjgGubIY";
    e.title = seed_title;
    e.link = seed_link;
    e.published = utc(2024, 8, 23, 5, 52, 31);
    e.author = "CGTN";
    e.categories = {"Politics", "China"};
    e.image = seed_image;
    e.summary =
        "The Political Bureau of the Communist Party of China (CPC) Central Committee held a meeting on "
        "Friday to "
        "review policies and measures to open up a new vista in the large-scale development of the western "
        "region.";
    e.content = seed_content(fixture);
    return e;
}

inline Entry rail_entry() {
    Entry e;
    e.id = "rail-2024-08-22";
    e.title = "Chongqing\u2019s new rail link opens & speeds western trade";
    e.link =
        "https://news.cgtn.com/news/2024-08-22/chongqing-rail-link/index.html?utm_source=rss&utm_medium=feed";
    e.published = utc(2024, 8, 22, 9, 15);
    e.summary = "A freight link from Chongqing shortens the route to Southeast Asian ports.";
    return e;
}

inline ParsedFeed china_feed_header() {
    ParsedFeed feed;
    feed.format = FeedFormat::rss20;
    feed.title = "CGTN - China";
    feed.link = "https://news.cgtn.com/news/china.html";
    feed.subtitle = "News from China, as published by CGTN.";
    feed.language = "en";
    feed.ttl_minutes = 30;
    return feed;
}

// cgtn-china.rss
inline ParsedFeed cgtn_china() {
    auto feed = china_feed_header();
    feed.updated = utc(2024, 8, 23, 6, 5, 10);
    feed.entries.push_back(seed_china_entry("cgtn-china.rss"));
    feed.entries.push_back(rail_entry());
    Entry energy;
    energy.title = "Western region clean energy bases in numbers";
    energy.link = "https://news.cgtn.com/news/2024-08-21/clean-energy-bases/index.html";
    energy.published = utc(2024, 8, 21, 10, 40);
    energy.summary = "Solar, wind and hydro capacity across the western provinces.";
    energy.enclosures = {{"https://news.cgtn.com/media/clean-energy.mp3", "audio/mpeg", 1048576}};
    feed.entries.push_back(energy);
    return feed;
}

// cgtn-china-2.rss: a new item on top, the seed article edited, the oldest item gone.
inline ParsedFeed cgtn_china_2() {
    auto feed = china_feed_header();
    feed.updated = utc(2024, 8, 24, 0, 5);
    Entry forum;
    forum.id = "chengdu-forum-2024-08-24";
    forum.title = "Chengdu hosts western development forum";
    forum.link = "https://news.cgtn.com/news/2024-08-24/chengdu-forum/index.html";
    forum.published = utc(2024, 8, 24, 0, 0);
    forum.summary = "Officials and investors meet in Chengdu.";
    feed.entries.push_back(forum);
    feed.entries.push_back(seed_china_entry("cgtn-china-2.rss"));
    feed.entries.push_back(rail_entry());
    return feed;
}

// cgtn-politics.atom
inline ParsedFeed cgtn_politics() {
    ParsedFeed feed;
    feed.format = FeedFormat::atom10;
    feed.title = "CGTN - Politics";
    feed.link = "https://news.cgtn.com/news/politics.html";
    feed.subtitle = "Politics <em>coverage</em> from CGTN";
    feed.language = "en";
    feed.updated = utc(2024, 8, 23, 6, 10);
    Entry seed;
    seed.id = "tag:cgtn.com,2024-08-23:1wiDjgGubIY";
    seed.title = seed_title;
    seed.link = seed_link + "?utm_source=atom&utm_campaign=politics";
    seed.published = utc(2024, 8, 23, 5, 52, 31);
    seed.updated = utc(2024, 8, 23, 6, 1);
    seed.author = "CGTN";
    seed.categories = {"Politics"};
    seed.summary =
        "The Political Bureau of the CPC Central Committee held a meeting on Friday to review policies and "
        "measures "
        "for the large-scale development of the western region.";
    seed.content =
        "<div><p>Xi Jinping, general secretary of the CPC Central Committee, chaired the meeting.</p><p>The "
        "meeting "
        "urged efforts to focus on pursuing well-coordinated environmental conservation, large-scale opening "
        "up, and "
        "high-quality development.</p></div>";
    feed.entries.push_back(seed);
    Entry border;
    border.id = "tag:cgtn.com,2024-08-20:border-areas";
    border.title = "Border areas: ethnic unity and stability";
    border.link = "https://news.cgtn.com/news/2024-08-20/border-areas/index.html";
    border.updated = utc(2024, 8, 20, 2, 0);
    border.summary = "A look at development policy in border regions.";
    feed.entries.push_back(border);
    return feed;
}

inline FeedSource china_source() {
    FeedSource source;
    source.name = "cgtn-china";
    source.url = "https://www.cgtn.com/subscribe/rss/section/china.xml";
    source.category = "News/Asia";
    return source;
}

inline FeedSource politics_source() {
    FeedSource source;
    source.name = "cgtn-politics";
    source.url = "https://www.cgtn.com/subscribe/atom/politics.xml";
    source.category = "News/Politics";
    source.tags = {"cgtn"};
    return source;
}

// A feed of that name at https://example.org/<name>.xml.
inline FeedSource feed(const std::string& name) {
    FeedSource source;
    source.name = name;
    source.url = "https://example.org/" + name + ".xml";
    return source;
}

// When the seed polls happened: cgtn-china.rss at seed_poll1, then cgtn-china-2.rss and
// cgtn-politics.atom at seed_poll2.
inline const TimePoint seed_poll1 = utc(2024, 8, 23, 6, 30);
inline const TimePoint seed_poll2 = utc(2024, 8, 24, 1, 0);

// The archive after those three polls: five articles, the seed article in both feeds and edited once.
inline void commit_seed_polls(store::Archive& archive) {
    archive.sync_feeds({china_source(), politics_source()});
    auto china = cgtn_china(), china2 = cgtn_china_2(), politics = cgtn_politics();
    archive.commit_poll(china_source(), &china, FeedState{}, seed_poll1);
    archive.commit_poll(china_source(), &china2, FeedState{}, seed_poll2);
    archive.commit_poll(politics_source(), &politics, FeedState{}, seed_poll2);
}

// The seed polls, then a row in every other table of the archive: a feed's state from its server
// (ETag), a gap, the tombstones of an article pruned by its feed's keep_days, a Chinese entry (the
// trigram index), a user's reading state (a feed marked read, an article read, one unread
// again, a star) and an article's fetched page with a revision. For tests that move a whole
// archive.
inline void commit_every_kind_of_row(store::Archive& archive) {
    commit_seed_polls(archive);
    FeedSource kept;
    kept.name = "kept-30-days";
    kept.url = "https://example.org/kept.xml";
    kept.keep_days = 30;
    archive.sync_feeds({china_source(), politics_source(), kept});

    ParsedFeed january;
    january.format = FeedFormat::rss20;
    january.title = "Kept 30 days";
    Entry old;
    old.id = "old-1";
    old.title = "An old story";
    old.link = "https://example.org/2024/old-story";
    old.summary = "Pruned before long.";
    january.entries.push_back(old);
    FeedState state;
    state.name = kept.name;
    state.etag = "\"v1\"";
    state.last_modified = "Mon, 01 Jan 2024 00:00:00 GMT";
    state.last_status = 200;
    archive.commit_poll(kept, &january, state, utc(2024, 1, 1));

    ParsedFeed august = january;
    august.entries.clear();
    Entry chinese;
    chinese.id = "zh-1";
    chinese.title = "西部大开发新格局";
    chinese.link = "https://example.org/2024/zh-1";
    chinese.summary = "<p>重庆和成都推动西部陆海新通道建设。</p>";
    august.entries.push_back(chinese);
    state.etag = "\"v2\"";
    archive.commit_poll(kept, &august, state, seed_poll2);

    archive.record_gap("cgtn-china",
                       store::GapRecord{seed_poll2, seed_poll1, seed_poll2, 3, std::chrono::hours(2)});
    archive.prune(0, seed_poll2 + std::chrono::hours(24));  // the January story goes, its keys stay

    store::ArticleQuery everything;
    everything.limit = 0;
    const auto rows = archive.query(everything);
    std::vector<std::int64_t> entries;
    for (const auto& row : rows) entries.push_back(archive.article(row.id)->entries.front().id);
    archive.mark_feed_read("ann", "cgtn-politics");
    archive.set_read("ann", {entries.at(0), entries.at(1)}, true);
    archive.set_read("ann", {entries.at(1)}, false);
    archive.set_starred("ann", entries.at(2), true);

    // The page of an article, fetched twice with another text: a page and a page revision.
    const auto paged = rows.at(0).id;
    archive.request_pages({{paged, "https://example.org/page"}}, seed_poll2);
    store::PageFetch fetch;
    fetch.article_id = paged;
    fetch.url = fetch.final_url = "https://example.org/page";
    fetch.status = 200;
    fetch.tried_at = seed_poll2;
    fetch.title = "The page";
    fetch.html =
        "<article><p>The first text of the page, long enough to be worth packing. "
        "The first text of the page, long enough to be worth packing.</p></article>";
    fetch.text =
        "The first text of the page, long enough to be worth packing. "
        "The first text of the page, long enough to be worth packing.";
    fetch.method = "heuristic";
    archive.record_page(fetch);
    fetch.tried_at = seed_poll2 + std::chrono::hours(1);
    fetch.html = "<article><p>The second text of the page.</p></article>";
    fetch.text = "The second text of the page.";
    archive.record_page(fetch);
}

}  // namespace feedd::test
