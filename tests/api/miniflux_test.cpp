// The Miniflux API v1 over a real archive: the shapes its clients parse, and each user's state.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <future>

#include "api/client.hpp"
#include "api/world.hpp"
#include "support/fixtures.hpp"

using namespace feedd::test;
using nlohmann::json;

namespace {

feedd::ParsedFeed document(const std::string& name, int count) {
    feedd::ParsedFeed parsed;
    parsed.title = name + " itself";
    parsed.link = "https://" + name + ".example/";
    for (int i = 1; i <= count; ++i) {
        feedd::Entry entry;
        entry.id = name + "-" + std::to_string(i);
        entry.title = name + " story " + std::to_string(i);
        entry.link = "https://" + name + ".example/" + std::to_string(i);
        entry.author = "Reporter " + std::to_string(i);
        entry.content = "<p>The " + name + " story number " + std::to_string(i) + " about zeppelins.</p>";
        // What a hostile publisher sends: the archive keeps it, a reader must not run it.
        if (i == 2)
            entry.content =
                "<p>The " + name +
                " story number 2 about zeppelins.<img src=\"pics/z.png\" "
                "onerror=\"alert(1)\"><script>alert(2)</script><a href=\"javascript:alert(3)\">more</a></p>";
        entry.published = feedd::TimePoint(std::chrono::seconds(1'790'000'000 + i * 3600));
        if (i == 1) entry.enclosures.push_back({"https://" + name + ".example/1.mp3", "audio/mpeg", 1234});
        parsed.entries.push_back(std::move(entry));
    }
    return parsed;
}

void seed_miniflux(feedd::store::Archive& archive, const feedd::config::Config& config) {
    const auto now = feedd::TimePoint(std::chrono::seconds(1'790'100'000));
    for (const auto& feed : config.feeds) {
        feedd::FeedState state;
        state.name = feed.name;
        state.last_poll = now;
        state.last_status = 200;
        const auto parsed = document(feed.name, feed.name == "alpha" ? 3 : 2);
        (void)archive.commit_poll(feed, &parsed, state, now);
    }
}

const Headers alice{{"Authorization", basic("alice", "alice-secret")}};
const Headers bob{{"X-Auth-Token", "bob-token"}};

}  // namespace

TEST_CASE("miniflux: feeds, categories and entries come with Miniflux's field names and types") {
    ApiWorld world(two_feeds_config, seed_miniflux);
    const auto feeds = get(world, "/v1/feeds", alice);
    REQUIRE(feeds.is_array());
    REQUIRE(feeds.size() == 2);
    const auto& alpha = feeds[0];
    CHECK(alpha["title"] == "Alpha News");
    CHECK(alpha["feed_url"] == "https://alpha.example/feed.xml");
    CHECK(alpha["site_url"] == "https://alpha.example/");
    CHECK(alpha["id"].is_number_integer());
    CHECK(alpha["user_id"] == 1);
    CHECK(alpha["category"]["title"] == "News");
    CHECK(feeds[1]["title"] == "beta itself");  // no title in feeds.toml: the feed's own
    CHECK(feeds[1]["category"]["title"] == "All");

    const auto categories = get(world, "/v1/categories", alice);
    REQUIRE(categories.size() == 2);
    CHECK(categories[0] == json{{"id", 1}, {"title", "All"}, {"user_id", 1}, {"hide_globally", false}});
    CHECK(categories[1]["title"] == "News");

    const auto id = alpha["id"].get<std::int64_t>();
    CHECK(get(world, "/v1/feeds/" + std::to_string(id), alice)["title"] == "Alpha News");
    CHECK(get(world, "/v1/feeds/99999", alice, 404).contains("error_message"));

    const auto page =
        get(world, "/v1/feeds/" + std::to_string(id) + "/entries?order=published_at&direction=desc", alice);
    CHECK(page["total"] == 3);
    REQUIRE(page["entries"].size() == 3);
    const auto& entry = page["entries"][0];
    CHECK(entry["title"] == "alpha story 3");
    CHECK(entry["url"] == "https://alpha.example/3");
    CHECK(entry["author"] == "Reporter 3");
    CHECK(entry["status"] == "unread");
    CHECK(entry["starred"] == false);
    CHECK(entry["feed_id"] == id);
    CHECK(entry["user_id"] == 1);
    CHECK(entry["published_at"] == "2026-09-21T17:13:20Z");
    CHECK(entry["content"] == "<p>The alpha story number 3 about zeppelins.</p>");
    const auto hostile = page["entries"][1]["content"].get<std::string>();
    INFO(hostile);
    CHECK(hostile.find("https://alpha.example/pics/z.png") != std::string::npos);
    for (const char* gone : {"onerror", "<script", "alert", "javascript:"})
        CHECK_MESSAGE(hostile.find(gone) == std::string::npos, gone);
    CHECK(entry["reading_time"].is_number_integer());
    CHECK(entry["feed"]["title"] == "Alpha News");
    CHECK(entry["tags"].is_array());
    for (const char* key : {"hash", "comments_url", "created_at", "changed_at", "share_code"})
        CHECK_MESSAGE(entry[key].is_string(), key);
    const auto& first = page["entries"][2];
    REQUIRE(first["enclosures"].size() == 1);
    CHECK(first["enclosures"][0]["url"] == "https://alpha.example/1.mp3");
    CHECK(first["enclosures"][0]["mime_type"] == "audio/mpeg");
    CHECK(first["enclosures"][0]["size"] == 1234);

    const auto one = get(world, "/v1/entries/" + std::to_string(entry["id"].get<std::int64_t>()), alice);
    CHECK(one["title"] == "alpha story 3");
    CHECK(get(world, "/v1/entries/99999", alice, 404)["error_message"].is_string());
}

TEST_CASE("miniflux: /v1/entries filters by status, starred, category, search, limit, offset and cursors") {
    ApiWorld world(two_feeds_config, seed_miniflux);
    auto all = get(world, "/v1/entries?direction=asc&order=id", alice);
    CHECK(all["total"] == 5);
    std::vector<std::int64_t> ids;
    for (const auto& e : all["entries"]) ids.push_back(e["id"].get<std::int64_t>());
    REQUIRE(ids.size() == 5);

    CHECK(get(world, "/v1/entries?limit=2&offset=1&order=id&direction=asc", alice)["entries"][0]["id"] ==
          ids[1]);
    CHECK(get(world, "/v1/entries?after_entry_id=" + std::to_string(ids[3]), alice)["total"] == 1);
    CHECK(get(world, "/v1/entries?before_entry_id=" + std::to_string(ids[1]), alice)["total"] == 1);
    CHECK(get(world, "/v1/entries?category_id=2", alice)["total"] == 3);  // News: alpha
    CHECK(get(world, "/v1/entries?search=zeppelins", alice)["total"] == 5);
    CHECK(get(world, "/v1/entries?search=nothingatall", alice)["total"] == 0);
    CHECK(get(world, "/v1/entries?limit=many", alice, 400)["error_message"].is_string());
    CHECK(get(world, "/v1/entries?status=sideways", alice, 400)["error_message"].is_string());
    // A value that is not UTF-8 is named in the error with U+FFFD: still a 400, not the JSON writer's 500.
    CHECK(get(world, "/v1/entries?status=%FF", alice, 400)["error_message"] == "invalid status: \uFFFD");

    const auto put = fetch(world.endpoint, "PUT", "/v1/entries", alice,
                           json{{"entry_ids", {ids[0], ids[1]}}, {"status", "read"}}.dump());
    CHECK(put.status == 204);
    CHECK(get(world, "/v1/entries?status=unread", alice)["total"] == 3);
    CHECK(get(world, "/v1/entries?status=read", alice)["total"] == 2);
    CHECK(fetch(world.endpoint, "PUT", "/v1/entries/" + std::to_string(ids[2]) + "/bookmark", alice).status ==
          204);
    const auto starred = get(world, "/v1/entries?starred=true", alice);
    REQUIRE(starred["total"] == 1);
    CHECK(starred["entries"][0]["id"] == ids[2]);
    CHECK(starred["entries"][0]["starred"] == true);
    CHECK(fetch(world.endpoint, "PUT", "/v1/entries", alice, "not json").status == 400);
}

TEST_CASE("miniflux: counters and mark-all-as-read, each user with their own state") {
    ApiWorld world(two_feeds_config, seed_miniflux);
    const auto feeds = get(world, "/v1/feeds", alice);
    const auto alpha = std::to_string(feeds[0]["id"].get<std::int64_t>());
    const auto beta = std::to_string(feeds[1]["id"].get<std::int64_t>());
    auto counters = get(world, "/v1/feeds/counters", alice);
    CHECK(counters["unreads"][alpha] == 3);
    CHECK(counters["unreads"][beta] == 2);
    CHECK(counters["reads"][alpha] == 0);

    CHECK(fetch(world.endpoint, "PUT", "/v1/feeds/" + alpha + "/mark-all-as-read", alice).status == 204);
    counters = get(world, "/v1/feeds/counters", alice);
    CHECK(counters["unreads"][alpha] == 0);
    CHECK(counters["reads"][alpha] == 3);
    CHECK(counters["unreads"][beta] == 2);
    // Bob's state is his own: alice's marks are not his.
    const auto bobs = get(world, "/v1/feeds/counters", bob);
    CHECK(bobs["unreads"][alpha] == 3);
    CHECK(get(world, "/v1/entries?status=read", bob)["total"] == 0);
    CHECK(get(world, "/v1/me", bob)["username"] == "bob");
}

TEST_CASE("miniflux: creating a feed is refused with a clear message, and /v1/export is OPML") {
    ApiWorld world(two_feeds_config, seed_miniflux);
    const auto created =
        fetch(world.endpoint, "POST", "/v1/feeds", alice, R"({"feed_url":"https://x.example/"})");
    CHECK(created.status == 403);
    CHECK(json::parse(created.body)["error_message"].get<std::string>().find("feeds.toml") !=
          std::string::npos);
    const auto exported = fetch(world.endpoint, "GET", "/v1/export", alice);
    CHECK(exported.status == 200);
    CHECK(exported.header("Content-Type") == "application/xml");
    CHECK(exported.body.find("<opml version=\"2.0\"") != std::string::npos);
    CHECK(exported.body.find("https://alpha.example/feed.xml") != std::string::npos);
    CHECK(fetch(world.endpoint, "GET", "/v1/export").status == 401);
}

TEST_CASE("miniflux: an entry's content is its article's archived page when that is fuller, sanitised") {
    // alpha's story 3 gets a long page with a script and a relative image; story 2 a page shorter
    // than its own text, which is not served.
    ApiWorld world(two_feeds_config, [](feedd::store::Archive& archive, const feedd::config::Config& config) {
        seed_miniflux(archive, config);
        const auto now = feedd::TimePoint(std::chrono::seconds(1'790'200'000));
        feedd::store::ArticleQuery all;
        all.limit = 0;
        for (const auto& row : archive.query(all)) {
            if (row.title != "alpha story 3" && row.title != "alpha story 2") continue;
            archive.request_pages({{row.id, row.link}}, now);
            feedd::store::PageFetch fetch;
            fetch.article_id = row.id;
            fetch.url = row.link;
            fetch.final_url = "https://alpha.example/articles/3";
            fetch.status = 200;
            fetch.tried_at = now;
            if (row.title == "alpha story 3") {
                fetch.text =
                    "The whole story of the zeppelins, how they were built and why they flew over the sea.";
                fetch.html = "<p>" + fetch.text + "<img src=\"pics/ship.jpg\"><script>alert(1)</script></p>";
            } else {
                fetch.text = "Zeppelins.";
                fetch.html = "<p>Zeppelins.</p>";
            }
            (void)archive.record_page(fetch);
        }
    });
    const auto alpha = get(world, "/v1/feeds", alice)[0]["id"].get<std::int64_t>();
    const auto page = get(
        world, "/v1/feeds/" + std::to_string(alpha) + "/entries?order=published_at&direction=desc", alice);
    REQUIRE(page["entries"].size() == 3);
    const auto fuller = page["entries"][0]["content"].get<std::string>();
    INFO(fuller);
    CHECK(fuller.find("how they were built and why they flew over the sea") != std::string::npos);
    CHECK(fuller.find("https://alpha.example/articles/pics/ship.jpg") != std::string::npos);
    CHECK(fuller.find("<script") == std::string::npos);
    const auto own = page["entries"][1]["content"].get<std::string>();
    CHECK(own.find("story number 2 about zeppelins") != std::string::npos);
}

TEST_CASE("miniflux: an article edited after it was served is served with its new text") {
    ApiWorld world(two_feeds_config, seed_miniflux);
    const auto path = "/v1/entries?order=id&direction=asc";
    const auto before = get(world, path, alice)["entries"][0];
    REQUIRE(before["title"] == "alpha story 1");
    CHECK(before["content"].get<std::string>().find("story number 1 about zeppelins") != std::string::npos);
    CHECK(get(world, path, alice)["entries"][0]["content"] == before["content"]);  // served again as it was

    // The publisher edits story 1; the daemon's writer archives the new text.
    auto edited = document("alpha", 3);
    edited.entries[0].content = "<p>The alpha story number 1, corrected: about <b>airships</b>.</p>";
    std::promise<void> written;
    world.writer->post([&](feedd::store::Archive& archive) {
        feedd::FeedState state;
        state.name = "alpha";
        state.last_status = 200;
        const auto now = feedd::TimePoint(std::chrono::seconds(1'790'200'000));
        (void)archive.commit_poll(world.config.feeds[0], &edited, state, now);
        written.set_value();
    });
    written.get_future().get();

    const auto after = get(world, path, alice)["entries"][0];
    CHECK(after["id"] == before["id"]);
    const auto content = after["content"].get<std::string>();
    INFO(content);
    CHECK(content.find("corrected: about <b>airships</b>") != std::string::npos);
    CHECK(content.find("zeppelins") == std::string::npos);
    const auto one = get(world, "/v1/entries/" + std::to_string(after["id"].get<std::int64_t>()), alice);
    CHECK(one["content"] == after["content"]);
}
