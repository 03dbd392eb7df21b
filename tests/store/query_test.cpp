// Reading the archive: search (words and CJK), filters, cursor, errors; the index follows edits.
#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "store/stores.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::seed_poll1;
using feedd::test::utc;

namespace {

template <class Store>
Archive seeded(const Store& store) {
    auto archive = store.open();
    test::commit_seed_polls(archive);
    return archive;
}

std::vector<std::string> titles(const std::vector<ArticleRow>& rows) {
    std::vector<std::string> out;
    for (const auto& row : rows) out.push_back(row.title);
    return out;
}

ArticleQuery search(std::string text) {
    ArticleQuery query;
    query.search = std::move(text);
    return query;
}

// A feed of `count` entries that match "tea": strong ones say it three times in their titles, the
// others once in a long summary; published a minute apart from `from`, in the order polled.
void poll_tea(Archive& archive, const std::string& name, int count, bool strong, TimePoint from) {
    FeedSource feed;
    feed.name = name;
    ParsedFeed parsed;
    for (int i = 0; i < count; ++i) {
        Entry entry;
        entry.id = std::to_string(i);
        entry.title = (strong ? "Tea tea tea " : "News ") + std::to_string(i);
        entry.summary = "A long text about many things and, once, about tea among other drinks and foods.";
        entry.link = "https://" + name + ".example/" + entry.id;
        entry.published = from + std::chrono::minutes(i);
        parsed.entries.push_back(entry);
    }
    archive.commit_poll(feed, &parsed, FeedState{}, seed_poll1);
}

// A page of "tea" holds only the feed `newest` (its newest 2 000 matches are all there), and the
// full answer (`total` articles) has the `count` articles of the feed `best` first.
void check_page_and_answer(Archive& archive, const std::string& newest, const std::string& best,
                           std::size_t count, std::size_t total) {
    auto query = search("tea");
    query.limit = 10;
    const auto page = archive.query(query);
    REQUIRE(page.size() == 10);
    for (const auto& row : page) CHECK(row.feeds == std::vector<std::string>{newest});
    query.limit = 0;
    const auto all = archive.query(query);
    REQUIRE(all.size() == total);
    for (std::size_t i = 0; i < count; ++i) CHECK(all[i].feeds == std::vector<std::string>{best});
}

std::string query_error(Archive& archive, const ArticleQuery& query) {
    try {
        static_cast<void>(archive.query(query));
    } catch (const QueryError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

STORE_TEST_CASE("search finds words in title, author and text, ranked, with highlighted snippets") {
    Store store;
    auto archive = seeded(store);
    auto rows = archive.query(search("chongqing"));
    // The rail story says Chongqing in its title; the seed article only in an image caption.
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].title.starts_with("Chongqing"));
    CHECK(rows[0].snippet.find("[Chongqing]") != std::string::npos);

    rows = archive.query(search("\"political bureau\""));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].title == test::seed_title);
    CHECK(rows[0].feeds == std::vector<std::string>{"cgtn-china", "cgtn-politics"});

    CHECK(archive.query(search("western")).size() == 4);  // seed, rail, energy, forum
    CHECK(archive.query(search("nonexistentword")).empty());
    // Stemming is not promised, diacritics are folded.
    CHECK(archive.query(search("chéngdu")).size() == 1);
}

STORE_TEST_CASE("search ranks a title match above a passing mention") {
    Store store;
    auto archive = store.open();
    FeedSource feed;
    feed.name = "f";
    ParsedFeed parsed;
    Entry mention;
    mention.id = "1";
    mention.title = "Weather report";
    mention.summary = "Long text about the weather, with one word about tea at the end.";
    Entry title;
    title.id = "2";
    title.title = "Tea harvest begins";
    title.summary = "Tea pickers in the hills start the tea harvest.";
    parsed.entries = {mention, title};
    archive.commit_poll(feed, &parsed, FeedState{}, seed_poll1);
    CHECK(titles(archive.query(search("tea"))) ==
          std::vector<std::string>{"Tea harvest begins", "Weather report"});
}

STORE_TEST_CASE("a Chinese or Japanese phrase finds its article") {
    Store store;
    auto archive = store.open();
    FeedSource feed;
    feed.name = "xinhua";
    ParsedFeed parsed;
    Entry chinese;
    chinese.id = "zh";
    chinese.title = "中共中央政治局召开会议 研究进一步推动西部大开发";
    chinese.content =
        "<p>中共中央政治局8月23日召开会议，审议《关于进一步推动西部大开发形成新格局的若干政策措施》。</p>";
    Entry japanese;
    japanese.id = "ja";
    japanese.title = "西部大開発に関する会議";
    japanese.summary = "<p>中国共産党の指導部は西部地域の開発について会議を開いた。</p>";
    Entry english;
    english.id = "en";
    english.title = "Western development meeting";
    english.summary = "In English only.";
    parsed.entries = {chinese, japanese, english};
    archive.commit_poll(feed, &parsed, FeedState{}, seed_poll1);

    auto rows = archive.query(search("西部大开发"));
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].title == chinese.title);
    CHECK(rows[0].snippet.find("[西部大开发]") != std::string::npos);
    CHECK(titles(archive.query(search("政治局"))) == std::vector<std::string>{chinese.title});
    CHECK(titles(archive.query(search("地域の開発"))) == std::vector<std::string>{japanese.title});
    // Two-character words are shorter than a trigram: found by substring.
    CHECK(titles(archive.query(search("会议"))) == std::vector<std::string>{chinese.title});
    CHECK(titles(archive.query(search("\"召开会议\""))) == std::vector<std::string>{chinese.title});
    CHECK(titles(archive.query(search("\"会议\""))) == std::vector<std::string>{chinese.title});
    CHECK(titles(archive.query(search("会議"))) == std::vector<std::string>{japanese.title});
    CHECK(archive.query(search("大阪")).empty());
    CHECK(archive.query(search("western")).size() == 1);
}

STORE_TEST_CASE("the search index follows edits and retention") {
    Store store;
    auto archive = seeded(store);
    // cgtn-china-2 edited the seed article: its new words are found, through the China entry.
    CHECK(archive.query(search("\"released after it\"")).size() == 1);
    auto politics_only = archive.query(search("\"chaired the meeting\""));
    CHECK(politics_only.size() == 1);  // still in the Politics entry's text
    CHECK(archive.check().empty());    // the index holds the edited text, not both versions
    archive.prune(1, test::seed_poll2 + std::chrono::days(3));
    CHECK(archive.query(search("western")).empty());
    CHECK(archive.check().empty());
}

STORE_TEST_CASE("an FTS syntax error is a QueryError, in one line") {
    Store store;
    auto archive = seeded(store);
    for (const char* bad : {"\"unterminated", "AND", "western NOT", "title:(", "nosuchcolumn:word"}) {
        auto error = query_error(archive, search(bad));
        CAPTURE(bad);
        CHECK(error.find("bad search") != std::string::npos);
        CHECK(error.find('\n') == std::string::npos);
    }
}

STORE_TEST_CASE("every FTS5 expression error is a QueryError, whatever SQLite's words") {
    Store store;
    auto archive = seeded(store);
    const std::string deep = std::string(300, '(') + "x" + std::string(300, ')');
    for (const std::string& bad : std::vector<std::string>{"*", "*western", "^", "-", "+", ")", "a OR", ":",
                                                           "x:y", "NEAR(", "{a}", "@", deep}) {
        CAPTURE(bad);
        auto error = query_error(archive, search(bad));
        CHECK(error.rfind("bad search '", 0) == 0);
        CHECK(error.find('\n') == std::string::npos);
        ArticleQuery limited = search(bad);
        limited.limit = 0;  // no ranking probe: the select itself meets the error
        CHECK(query_error(archive, limited).rfind("bad search '", 0) == 0);
    }
}

STORE_TEST_CASE("a --limit near INT_MAX is no overflow: a search returns every match") {
    Store store;
    auto archive = seeded(store);
    ArticleQuery query = search("western");
    query.limit = std::numeric_limits<int>::max();
    ArticleQuery all = search("western");
    all.limit = 0;
    CHECK(titles(archive.query(query)) == titles(archive.query(all)));
    CHECK_FALSE(archive.query(all).empty());
}

STORE_TEST_CASE("filters: feed, category, date range, limit") {
    Store store;
    auto archive = seeded(store);
    ArticleQuery by_feed;
    by_feed.feeds = {"cgtn-politics"};
    CHECK(titles(archive.query(by_feed)) ==
          std::vector<std::string>{test::seed_title, "Border areas: ethnic unity and stability"});
    by_feed.feeds = {"no-such-feed"};
    CHECK(query_error(archive, by_feed) == "unknown feed 'no-such-feed'");

    ArticleQuery by_category;
    by_category.category = "News";  // a folder matches its subfolders
    CHECK(archive.query(by_category).size() == 5);
    by_category.category = "News/Politics";
    CHECK(archive.query(by_category).size() == 2);
    by_category.category = "Politics";  // an entry's own category
    CHECK(titles(archive.query(by_category)) == std::vector<std::string>{test::seed_title});
    by_category.category = "cgtn";  // a feed tag
    CHECK(archive.query(by_category).size() == 2);
    by_category.category = "New";  // not a prefix of a folder name
    CHECK(archive.query(by_category).empty());

    ArticleQuery range;
    range.since = utc(2024, 8, 22);
    range.until = utc(2024, 8, 24);
    CHECK(titles(archive.query(range)) ==
          std::vector<std::string>{test::seed_title, titles(archive.query(range))[1]});
    CHECK(archive.query(range).size() == 2);

    ArticleQuery limited;
    limited.limit = 2;
    auto newest = archive.query(limited);
    REQUIRE(newest.size() == 2);
    CHECK(newest[0].title == "Chengdu hosts western development forum");
    CHECK(newest[0].date == utc(2024, 8, 24));
}

STORE_TEST_CASE("after_id is a cursor: only newer ids, oldest first") {
    Store store;
    auto archive = seeded(store);
    ArticleQuery all;
    all.limit = 0;
    all.after_id = 0;
    auto rows = archive.query(all);
    REQUIRE(rows.size() == 5);
    for (std::size_t i = 1; i < rows.size(); ++i) CHECK(rows[i].id > rows[i - 1].id);
    ArticleQuery next;
    next.after_id = rows[2].id;
    next.limit = 1;
    auto page = archive.query(next);
    REQUIRE(page.size() == 1);
    CHECK(page[0].id == rows[3].id);
}

STORE_TEST_CASE("show: an article with its entries, enclosures and revisions") {
    Store store;
    auto archive = seeded(store);
    auto energy_id = archive.query(search("hydro")).at(0).id;
    auto energy = *archive.article(energy_id);
    REQUIRE(energy.entries.size() == 1);
    CHECK(energy.entries[0].entry.enclosures ==
          std::vector<Enclosure>{{"https://news.cgtn.com/media/clean-energy.mp3", "audio/mpeg", 1048576}});
    CHECK(energy.entries[0].text == "Solar, wind and hydro capacity across the western provinces.");
    CHECK_FALSE(archive.article(9999).has_value());
}

STORE_TEST_CASE("a filtered search still finds weak matches behind many strong ones") {
    Store store;
    auto archive = store.open();
    FeedSource strong;
    strong.name = "strong";
    FeedSource weak;
    weak.name = "weak";
    ParsedFeed many;
    for (int i = 0; i < 2000; ++i) {
        Entry entry;
        entry.id = std::to_string(i);
        entry.title = "Tea tea tea " + std::to_string(i);
        entry.link = "https://strong.example/" + entry.id;
        many.entries.push_back(entry);
    }
    archive.commit_poll(strong, &many, FeedState{}, seed_poll1);
    ParsedFeed few;
    for (int i = 0; i < 3; ++i) {
        Entry entry;
        entry.id = std::to_string(i);
        entry.title = "Weather " + std::to_string(i);
        entry.summary = "A long text about many things and, once, about tea among other drinks and foods.";
        entry.link = "https://weak.example/" + entry.id;
        few.entries.push_back(entry);
    }
    archive.commit_poll(weak, &few, FeedState{}, seed_poll1);

    auto query = search("tea");
    query.feeds = {"weak"};
    query.limit = 10;
    CHECK(archive.query(query).size() == 3);
    query.feeds.clear();
    query.limit = 5;
    auto best = archive.query(query);
    REQUIRE(best.size() == 5);
    for (const auto& row : best) CHECK(row.feeds == std::vector<std::string>{"strong"});
    query.limit = 0;
    CHECK(archive.query(query).size() == 2003);
}

STORE_TEST_CASE("a filtered search finds old matches behind more than 2 000 newer ones") {
    // Both stores rank only the newest 2 000 matches for a page; a page the filters leave short
    // looks at every match.
    Store store;
    auto archive = store.open();
    FeedSource old_feed;
    old_feed.name = "old";
    ParsedFeed first;
    for (int i = 0; i < 3; ++i) {
        Entry entry;
        entry.id = std::to_string(i);
        entry.title = "Tea harvest " + std::to_string(i);
        entry.link = "https://old.example/" + entry.id;
        first.entries.push_back(entry);
    }
    archive.commit_poll(old_feed, &first, FeedState{}, seed_poll1);
    FeedSource new_feed;
    new_feed.name = "new";
    ParsedFeed many;
    for (int i = 0; i < 2100; ++i) {
        Entry entry;
        entry.id = std::to_string(i);
        entry.title = "Tea tea tea " + std::to_string(i);
        entry.link = "https://new.example/" + entry.id;
        many.entries.push_back(entry);
    }
    archive.commit_poll(new_feed, &many, FeedState{}, seed_poll1);

    auto query = search("tea");
    query.feeds = {"old"};
    query.limit = 10;
    const auto rows = archive.query(query);
    REQUIRE(rows.size() == 3);
    for (const auto& row : rows) CHECK(row.title.starts_with("Tea harvest"));
    query.feeds.clear();
    query.limit = 0;
    CHECK(archive.query(query).size() == 2103);
}

STORE_TEST_CASE(
    "a page of results ranks the newest 2 000 matches on both stores, a full answer every match") {
    // The old entries match better (the word in their titles, three times) but are older than
    // 2 000 other matches: a page does not rank them, a search without a limit ranks them first.
    Store store;
    auto archive = store.open();
    poll_tea(archive, "old", 100, true, utc(2020, 1, 1));
    poll_tea(archive, "new", 2000, false, utc(2024, 1, 1));
    check_page_and_answer(archive, "new", "old", 100, 2100);
    // A page the filters leave short among the newest looks at every match.
    auto query = search("tea");
    query.feeds = {"old"};
    query.limit = 10;
    const auto old_page = archive.query(query);
    REQUIRE(old_page.size() == 10);
    for (const auto& row : old_page) CHECK(row.title.starts_with("Tea tea tea"));
}

STORE_TEST_CASE(
    "a page of a word in most entries of an analysed archive ranks exactly its newest 2 000 matches") {
    // With statistics (db vacuum), PostgreSQL takes the newest 2 000 from a window of the newest
    // ids sized by the planner's estimate (here the newest 4 000 of 5 000 entries). The window
    // holds better matches too, older than the newest 2 000: the page must not rank them.
    Store store;
    auto archive = store.open();
    poll_tea(archive, "first", 1000, false, utc(2024, 1, 1));
    poll_tea(archive, "strong", 1000, true, utc(2024, 2, 1));
    poll_tea(archive, "last", 3000, false, utc(2024, 3, 1));
    archive.vacuum();
    check_page_and_answer(archive, "last", "strong", 1000, 5000);
}

STORE_TEST_CASE(
    "a phrase with few matches among many entries holding both words finds exactly them, newest first") {
    // Every entry holds both words, apart; three hold them as the phrase (one in its title). On
    // PostgreSQL the index finds the entries holding both words and each is checked for the phrase.
    Store store;
    auto archive = store.open();
    FeedSource feed;
    feed.name = "wire";
    ParsedFeed parsed;
    const std::vector<int> phrase_at{7, 1300, 2490};
    for (int i = 0; i < 2500; ++i) {
        Entry entry;
        entry.id = std::to_string(i);
        entry.link = "https://wire.example/" + entry.id;
        entry.published = utc(2024, 1, 1) + std::chrono::minutes(i);
        const bool phrase = std::find(phrase_at.begin(), phrase_at.end(), i) != phrase_at.end();
        entry.title = i == 1300 ? "Harbour crane strike ends" : "Story " + std::to_string(i);
        entry.summary = phrase ? "The harbour crane was still. Dock workers and the port agreed."
                               : "The harbour was still; a crane stood. Dock workers and the port agreed.";
        parsed.entries.push_back(entry);
    }
    archive.commit_poll(feed, &parsed, FeedState{}, seed_poll1);

    auto query = search("\"harbour crane\"");
    query.limit = 10;
    const auto page = archive.query(query);
    REQUIRE(page.size() == 3);
    // The title match ranks first on both stores, then the newest.
    CHECK(titles(page) == std::vector<std::string>{"Harbour crane strike ends", "Story 2490", "Story 7"});
    for (const auto& row : page) CHECK(row.snippet.find("[") != std::string::npos);
    query.limit = 0;
    CHECK(titles(archive.query(query)) == titles(page));
    query = search("title:\"harbour crane\"");
    query.limit = 10;
    CHECK(titles(archive.query(query)) == std::vector<std::string>{"Harbour crane strike ends"});
    query = search("\"crane harbour\"");
    query.limit = 10;
    CHECK(archive.query(query).empty());
    query = search("\"harbour crane\" NOT strike");
    CHECK(titles(archive.query(query)) == std::vector<std::string>{"Story 2490", "Story 7"});
}

STORE_TEST_CASE("equal matches come newest first, the page cut from all of them however many tie") {
    // Thirty articles with the same text rank the same; the page holds the five published last,
    // whichever order they came in (their ids say nothing of their dates).
    Store store;
    auto archive = store.open();
    FeedSource source;
    source.name = "harbour";
    ParsedFeed parsed;
    for (int i = 0; i < 30; ++i) {
        Entry entry;
        entry.id = std::to_string(i);
        entry.title = "Harbour bridge works";
        entry.summary = "<p>The harbour bridge closes for works.</p>";
        entry.link = "https://harbour.example/" + entry.id;
        entry.published = utc(2024, 3, static_cast<unsigned>(1 + (i * 7) % 30), 9);
        parsed.entries.push_back(entry);
    }
    archive.commit_poll(source, &parsed, FeedState{}, seed_poll1);
    auto query = search("harbour");
    query.limit = 5;
    const auto rows = archive.query(query);
    REQUIRE(rows.size() == 5);
    for (int k = 0; k < 5; ++k)
        CHECK(rows[static_cast<std::size_t>(k)].date == utc(2024, 3, static_cast<unsigned>(30 - k), 9));
}

TEST_CASE("a search ranks as bm25 does: one word, one phrase, several words, an OR") {
    // feedd_rank leaves out the inverse document frequency of a search of one phrase (the same
    // factor in every score) and computes it as bm25 for several: the order must be bm25's.
    test::TempDir dir;
    const auto path = dir / "feedd.db";
    {
        auto archive = Archive::open(path.string(), OpenMode::read_write);
        FeedSource source;
        source.name = "words";
        ParsedFeed parsed;
        for (int i = 0; i < 40; ++i) {
            Entry entry;
            entry.id = std::to_string(i);
            entry.title = "Story " + std::to_string(i) + (i % 7 == 0 ? " alpha" : "");
            std::string text;
            for (int w = 0; w < 20 + i * 3; ++w) text += w % 5 == 0 ? "filler " : "words ";
            for (int k = 0; k < 1 + i % 4; ++k) text += "alpha beta ";
            for (int k = 0; k < (i * 3) % 5; ++k) text += "beta ";
            if (i % 3 == 0) text += "gamma ";
            entry.summary = "<p>" + text + "</p>";
            entry.link = "https://words.example/" + entry.id;
            entry.published = utc(2024, 3, 1, 9);
            parsed.entries.push_back(entry);
        }
        archive.commit_poll(source, &parsed, FeedState{}, seed_poll1);
    }
    SQLite::Database db(path, SQLite::OPEN_READONLY);
    for (const std::string words : {"alpha", "\"alpha beta\"", "alpha beta", "beta OR gamma"}) {
        CAPTURE(words);
        SQLite::Statement bm25(db,
                               "SELECT e.title, bm25(entries_fts, 10.0, 2.0, 1.0) AS score FROM entries_fts "
                               "JOIN entries e ON e.id = entries_fts.rowid WHERE entries_fts MATCH ? "
                               "ORDER BY score");
        bm25.bind(1, words);
        std::vector<std::string> expected;
        std::vector<double> scores;
        while (bm25.executeStep()) {
            expected.push_back(bm25.getColumn(0).getString());
            scores.push_back(bm25.getColumn(1).getDouble());
        }
        REQUIRE(expected.size() >= 10);
        // Ties would leave the order to the dates: the scores must tell every row apart.
        REQUIRE(std::adjacent_find(scores.begin(), scores.end()) == scores.end());
        auto archive = Archive::open(path.string(), OpenMode::read_only);
        auto query = search(words);
        query.limit = 100;
        CHECK(titles(archive.query(query)) == expected);
    }
}
