// Saved queries as feeds: what feedd writes reads back, in feedd's own parser and in Python's
// feedparser (Debian's python3-feedparser, the library many readers are built on), with the same
// titles, links, dates, categories and enclosures; the served HTML is sanitised.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "feedd/parse/parse.hpp"
#include "feedd/render/render.hpp"
#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using feedd::test::utc;

namespace {

FeedSource podcast_source() {
    FeedSource source;
    source.name = "podcast";
    source.url = "https://pod.example/feed.xml";
    return source;
}

// An entry with what a reader must not run (a script, an event handler), a relative image, an
// enclosure and an author.
ParsedFeed podcast_feed() {
    ParsedFeed feed;
    feed.format = FeedFormat::rss20;
    feed.title = "Pod";
    Entry e;
    e.id = "ep-1";
    e.title = "Episode 1: <tags> & \"quotes\"";
    e.link = "https://pod.example/episodes/1.html";
    e.published = utc(2024, 8, 20, 12, 0);
    e.author = "Host Name";
    e.categories = {"Audio"};
    e.summary = "Short <b>summary</b>.";
    e.content =
        "<p onclick=\"alert(1)\">Notes with <img src=\"cover.jpg\" onerror=\"alert(2)\"></p>"
        "<script>alert(3)</script><a href=\"javascript:alert(4)\">x</a>";
    e.enclosures = {{"https://pod.example/media/1.mp3", "audio/mpeg", 1234567}};
    feed.entries.push_back(e);
    return feed;
}

store::Archive seeded() {
    auto archive = store::Archive::open(":memory:", store::OpenMode::read_write);
    test::commit_seed_polls(archive);
    archive.sync_feeds({test::china_source(), test::politics_source(), podcast_source()});
    auto podcast = podcast_feed();
    archive.commit_poll(podcast_source(), &podcast, FeedState{}, utc(2024, 8, 21));
    return archive;
}

store::ArticleQuery all() {
    store::ArticleQuery query;
    query.limit = 0;
    return query;
}

const render::FeedMeta meta{"feedd: all articles", "http://127.0.0.1:8080/feeds/atom"};

const Entry* find_title(const ParsedFeed& feed, const std::string& title) {
    for (const auto& entry : feed.entries)
        if (entry.title == title) return &entry;
    return nullptr;
}

bool has(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// The document as feedparser reads it when served with `content_type`: per entry id, title, link,
// published, updated, tags, enclosures and content, as JSON.
nlohmann::json feedparser(const std::string& document,
                          const std::string& content_type = "application/atom+xml") {
    test::TempDir dir;
    test::write_file(dir.path() / "feed", document);
    test::write_file(dir.path() / "read.py", R"PY(
import json, sys, calendar, feedparser
d = feedparser.parse(sys.argv[1], response_headers={"content-type": sys.argv[2]})
def when(t):
    return calendar.timegm(t) if t else None
print(json.dumps({
  "bozo": bool(d.bozo), "bozo_exception": str(d.get("bozo_exception", "")),
  "version": d.version, "title": d.feed.get("title"),
  "self": [l.href for l in d.feed.get("links", []) if l.get("rel") == "self"],
  "entries": [{
    "id": e.get("id"), "title": e.get("title"), "link": e.get("link"),
    "published": when(e.get("published_parsed")), "updated": when(e.get("updated_parsed")),
    "author": e.get("author"),
    "tags": [t.term for t in e.get("tags", [])],
    "enclosures": [{"href": x.get("href"), "type": x.get("type"), "length": x.get("length")} for x in e.get("enclosures", [])],
    "content": (e.get("content") or [{"value": e.get("summary", "")}])[0]["value"],
  } for e in d.entries]}))
)PY");
    test::Process python(dir.path(), {"/usr/bin/python3", (dir.path() / "read.py").string(),
                                      (dir.path() / "feed").string(), content_type});
    auto result = python.wait();
    INFO(result.err);
    REQUIRE(result.exit_code == 0);
    return nlohmann::json::parse(result.out);
}

std::int64_t unix_seconds(TimePoint time) {
    return time.time_since_epoch().count();
}

}  // namespace

TEST_CASE(
    "a query's articles read back from Atom in feedd's parser: titles, links, dates, feeds as categories") {
    auto archive = seeded();
    const auto articles = render::query_articles(archive, all());
    const auto rows = archive.query(all());
    REQUIRE(articles.size() == rows.size());
    const auto document = render::atom(meta, articles);
    const auto parsed = parse::parse_feed(document);
    CHECK(parsed.wellformed);
    CHECK(parsed.format == FeedFormat::atom10);
    CHECK(parsed.title == "feedd: all articles");
    REQUIRE(parsed.entries.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(rows[i].title);
        const auto& entry = parsed.entries[i];
        CHECK(entry.title == rows[i].title);
        CHECK(entry.link == rows[i].link);
        CHECK(entry.id == render::article_id(rows[i].id));
        CHECK(entry.published == rows[i].date);
        for (const auto& feed : rows[i].feeds) CHECK(has(entry.categories, feed));
    }
    // The seed article, in two feeds, is there once, with both feeds.
    const Entry* seed = find_title(parsed, test::seed_title);
    REQUIRE(seed != nullptr);
    CHECK(std::count_if(parsed.entries.begin(), parsed.entries.end(),
                        [](const Entry& e) { return e.title == test::seed_title; }) == 1);
    CHECK(has(seed->categories, "cgtn-china"));
    CHECK(has(seed->categories, "cgtn-politics"));
    CHECK(has(seed->categories, "Politics"));  // and its own categories
    // Edited once: its updated time is the edit's poll, after its publication.
    REQUIRE(seed->updated);
    CHECK(*seed->updated == test::seed_poll2);
}

TEST_CASE("Atom carries the author, enclosures and sanitised content (type html) of an entry") {
    auto archive = seeded();
    store::ArticleQuery query = all();
    query.feeds = {"podcast"};
    const auto document = render::atom(meta, render::query_articles(archive, query));
    CHECK(document.find("<content type=\"html\">") != std::string::npos);
    const auto parsed = parse::parse_feed(document);
    REQUIRE(parsed.entries.size() == 1);
    const auto& entry = parsed.entries[0];
    CHECK(entry.title == "Episode 1: <tags> & \"quotes\"");
    CHECK(entry.author == "Host Name");
    CHECK(entry.published == utc(2024, 8, 20, 12, 0));
    REQUIRE(entry.enclosures.size() == 1);
    CHECK(entry.enclosures[0].url == "https://pod.example/media/1.mp3");
    CHECK(entry.enclosures[0].type == "audio/mpeg");
    CHECK(entry.enclosures[0].length == 1234567);
    CHECK(entry.content ==
          "<p>Notes with <img src=\"https://pod.example/episodes/cover.jpg\"></p>"
          "<a rel=\"noopener noreferrer\">x</a>");
    CHECK(entry.summary == "Short <b>summary</b>.");
}

TEST_CASE("JSON Feed 1.1 of the same query reads back with the same items") {
    auto archive = seeded();
    const auto articles = render::query_articles(archive, all());
    const auto document =
        render::json_feed({"feedd: all articles", "http://127.0.0.1:8080/feeds/json"}, articles);
    const auto json = nlohmann::json::parse(document);
    CHECK(json["version"] == "https://jsonfeed.org/version/1.1");
    CHECK(json["feed_url"] == "http://127.0.0.1:8080/feeds/json");
    const auto parsed = parse::parse_feed(document);
    CHECK(parsed.format == FeedFormat::json1x);
    const auto rows = archive.query(all());
    REQUIRE(parsed.entries.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(rows[i].title);
        CHECK(parsed.entries[i].title == rows[i].title);
        CHECK(parsed.entries[i].link == rows[i].link);
        CHECK(parsed.entries[i].id == render::article_id(rows[i].id));
        CHECK(parsed.entries[i].published == rows[i].date);
        CHECK(json["items"][i]["_feedd"]["article_id"] == rows[i].id);
        for (const auto& feed : rows[i].feeds) CHECK(has(parsed.entries[i].categories, feed));
    }
    const Entry* episode = find_title(parsed, "Episode 1: <tags> & \"quotes\"");
    REQUIRE(episode != nullptr);
    REQUIRE(episode->enclosures.size() == 1);
    CHECK(episode->enclosures[0].url == "https://pod.example/media/1.mp3");
    CHECK(episode->enclosures[0].length == 1234567);
    CHECK(episode->content.find("script") == std::string::npos);
    CHECK(episode->content.find("onclick") == std::string::npos);
}

// Debian 12's feedparser (6.0.10) reads no JSON Feed (that came in 6.1): the JSON Feed is read
// back by feedd's parser and checked against the specification's fields above.
TEST_CASE("Python feedparser reads the Atom without complaint, with the same items") {
    auto archive = seeded();
    const auto rows = archive.query(all());
    const auto read = feedparser(render::atom(meta, render::query_articles(archive, all())));
    CHECK_MESSAGE(read["bozo"] == false, read["bozo_exception"]);
    CHECK(read["version"] == "atom10");
    CHECK(read["title"] == "feedd: all articles");
    CHECK(read["self"][0] == meta.self_url);
    REQUIRE(read["entries"].size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto& entry = read["entries"][i];
        CAPTURE(rows[i].title);
        CHECK(entry["id"] == render::article_id(rows[i].id));
        CHECK(entry["title"] == rows[i].title);
        CHECK(entry["link"] == rows[i].link);
        CHECK(entry["published"] == unix_seconds(rows[i].date));
        for (const auto& feed : rows[i].feeds)
            CHECK(has(entry["tags"].get<std::vector<std::string>>(), feed));
    }
    bool episode = false;
    for (const auto& entry : read["entries"]) {
        if (entry["title"] != "Episode 1: <tags> & \"quotes\"") continue;
        episode = true;
        CHECK(entry["author"] == "Host Name");
        REQUIRE(entry["enclosures"].size() == 1);
        CHECK(entry["enclosures"][0]["href"] == "https://pod.example/media/1.mp3");
        CHECK(entry["enclosures"][0]["type"] == "audio/mpeg");
        CHECK(entry["enclosures"][0]["length"] == "1234567");
        CHECK(entry["content"].get<std::string>().find("alert") == std::string::npos);
        CHECK(entry["content"].get<std::string>().find("https://pod.example/episodes/cover.jpg") !=
              std::string::npos);
    }
    CHECK(episode);
}

TEST_CASE("a search, a feed or a date narrows the feed as it narrows feedd query, errors included") {
    auto archive = seeded();
    store::ArticleQuery query = all();
    query.search = "chongqing";
    const auto found = render::query_articles(archive, query);
    REQUIRE(found.size() == 1);
    CHECK(found[0].fullest().entry.title.starts_with("Chongqing"));
    query = all();
    query.since = utc(2024, 8, 23);
    for (const auto& article : render::query_articles(archive, query))
        CHECK(article.date >= utc(2024, 8, 23));
    query = all();
    query.feeds = {"no-such-feed"};
    CHECK_THROWS_AS(static_cast<void>(render::query_articles(archive, query)), store::QueryError);
    CHECK(render::query_title(query) == "feedd: feed no-such-feed");
    query = all();
    query.search = "rail";
    query.since = utc(2024, 8, 1);
    CHECK(render::query_title(query) == "feedd: search \"rail\", since 2024-08-01T00:00:00Z");
}

TEST_CASE("an empty result is a valid feed whose ETag does not change with the clock") {
    const auto first = render::atom(meta, {});
    CHECK(parse::parse_feed(first).wellformed);
    CHECK(parse::parse_feed(first).entries.empty());
    CHECK(render::etag(first) == render::etag(render::atom(meta, {})));
    const auto read = feedparser(first);
    CHECK(read["bozo"] == false);
}

TEST_CASE("the ETag follows the content, and If-None-Match is compared as RFC 9110 says") {
    auto archive = seeded();
    auto articles = render::query_articles(archive, all());
    const auto before = render::etag(render::atom(meta, articles));
    CHECK(before.size() == 34);
    CHECK(before.front() == '"');
    CHECK(before == render::etag(render::atom(meta, render::query_articles(archive, all()))));
    articles.pop_back();
    CHECK(before != render::etag(render::atom(meta, articles)));

    CHECK(render::etag_matches(before, before));
    CHECK(render::etag_matches("\"other\", " + before, before));
    CHECK(render::etag_matches("W/" + before, before));
    CHECK(render::etag_matches("*", before));
    CHECK_FALSE(render::etag_matches("\"other\"", before));
    CHECK_FALSE(render::etag_matches("", before));
}

TEST_CASE("text that XML cannot hold is left out of Atom, and bytes that are not UTF-8 out of JSON") {
    auto archive = store::Archive::open(":memory:", store::OpenMode::read_write);
    archive.sync_feeds({podcast_source()});
    ParsedFeed feed;
    feed.format = FeedFormat::rss20;
    Entry e;
    e.id = "odd";
    e.title = "Bell\x07 and form\x0C feed";
    e.link = "https://pod.example/odd";
    e.content = "<p>a\x01z</p>";
    feed.entries.push_back(e);
    archive.commit_poll(podcast_source(), &feed, FeedState{}, utc(2024, 8, 21));
    const auto articles = render::query_articles(archive, all());
    const auto atom = render::atom(meta, articles);
    const auto parsed = parse::parse_feed(atom);
    CHECK(parsed.wellformed);
    REQUIRE(parsed.entries.size() == 1);
    CHECK(feedparser(atom)["bozo"] == false);
    const auto json = nlohmann::json::parse(render::json_feed(meta, articles));
    CHECK(json["items"][0]["title"] == "Bell\x07 and form\x0C feed");  // JSON escapes controls
}
