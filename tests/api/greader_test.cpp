// The Google Reader API over a real archive: the request sequence of a real client (login, token,
// subscriptions, stream contents page by page, edits, counts) with the JSON shapes clients parse,
// and what hostile or mistaken callers get.
#include <doctest/doctest.h>

#include <future>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "api/client.hpp"
#include "api/world.hpp"

using namespace feedd::test;
using nlohmann::json;

namespace {

constexpr int alpha_count = 45;
constexpr int beta_count = 4;

feedd::ParsedFeed document(const std::string& name, int first, int last) {
    feedd::ParsedFeed parsed;
    parsed.title = name + " itself";
    parsed.link = "https://" + name + ".example/";
    for (int i = first; i <= last; ++i) {
        feedd::Entry entry;
        entry.id = name + "-" + std::to_string(i);
        entry.title = name + " story " + std::to_string(i);
        entry.link = "https://" + name + ".example/" + std::to_string(i);
        entry.author = "Reporter " + std::to_string(i);
        entry.content = "<p>The " + name + " story number " + std::to_string(i) + ".</p>";
        if (i == 2)
            entry.content =
                "<p>Story 2<img src=\"pics/z.png\" onerror=\"alert(1)\"><script>alert(2)</script>"
                "<a href=\"javascript:alert(3)\">more</a></p>";
        if (i == 1) entry.enclosures.push_back({"https://" + name + ".example/1.mp3", "audio/mpeg", 1234});
        entry.published = feedd::TimePoint(std::chrono::seconds(1'790'000'000 + i * 3600));
        parsed.entries.push_back(std::move(entry));
    }
    return parsed;
}

void commit(feedd::store::Archive& archive, const feedd::FeedSource& feed, const feedd::ParsedFeed& parsed,
            std::int64_t at) {
    feedd::FeedState state;
    state.name = feed.name;
    state.last_poll = feedd::TimePoint(std::chrono::seconds(at));
    state.last_status = 200;
    (void)archive.commit_poll(feed, &parsed, state, feedd::TimePoint(std::chrono::seconds(at)));
}

void seed_greader(feedd::store::Archive& archive, const feedd::config::Config& config) {
    for (const auto& feed : config.feeds)
        commit(archive, feed, document(feed.name, 1, feed.name == "alpha" ? alpha_count : beta_count),
               1'790'100'000);
}

const Headers form{{"Content-Type", "application/x-www-form-urlencoded"}};

Headers google(const std::string& auth) {
    return {{"Authorization", "GoogleLogin auth=" + auth},
            {"Content-Type", "application/x-www-form-urlencoded"}};
}

std::string login(const ApiWorld& world, const std::string& user, const std::string& password) {
    const auto answer =
        fetch(world.endpoint, "POST", "/accounts/ClientLogin", form,
              "Email=" + user + "&Passwd=" + password + "&service=reader&accountType=HOSTED_OR_GOOGLE");
    REQUIRE(answer.status == 200);
    std::smatch match;
    REQUIRE(std::regex_search(answer.body, match, std::regex("(^|\n)Auth=([^\n]+)\n")));
    return match[2];
}

// Every item of a stream, page by page through the continuation.
std::vector<json> every_item(const ApiWorld& world, const std::string& stream, const Headers& who,
                             const std::string& extra = "", const std::function<void(int)>& between = {}) {
    std::vector<json> items;
    std::string continuation;
    for (int page = 0; page < 100; ++page) {
        const auto body = get(world,
                              "/reader/api/0/stream/contents/" + stream + "?output=json&n=10" + extra +
                                  (continuation.empty() ? "" : "&c=" + continuation),
                              who);
        for (const auto& item : body["items"]) items.push_back(item);
        if (!body.contains("continuation")) break;
        continuation = body["continuation"].get<std::string>();
        if (between) between(page);
    }
    return items;
}

std::int64_t unread_of(const json& counts, const std::string& id) {
    for (const auto& row : counts["unreadcounts"])
        if (row["id"] == id) return row["count"].get<std::int64_t>();
    FAIL("no unread count for " << id);
    return -1;
}

const json& by_title(const std::vector<json>& items, const std::string& title) {
    for (const auto& item : items)
        if (item["title"] == title) return item;
    FAIL("no item titled " << title);
    return items.front();
}

// The entry id of an item's long id "tag:google.com,2005:reader/item/<16 hex>".
std::int64_t entry_of(const json& item) {
    const auto id = item["id"].get<std::string>();
    REQUIRE(id.starts_with("tag:google.com,2005:reader/item/"));
    REQUIRE(id.size() == 32 + 16);
    return static_cast<std::int64_t>(std::stoull(id.substr(32), nullptr, 16));
}

}  // namespace

TEST_CASE("greader: ClientLogin gives SID, LSID and Auth, in text or JSON, and Auth opens the API") {
    ApiWorld world(two_feeds_config, seed_greader);
    const auto answer =
        fetch(world.endpoint, "POST", "/accounts/ClientLogin", form, "Email=alice&Passwd=alice-secret");
    CHECK(answer.status == 200);
    CHECK(answer.header("Content-Type").starts_with("text/plain"));
    CHECK(std::regex_match(answer.body,
                           std::regex("SID=alice/[0-9a-f]{64}\nLSID=null\nAuth=alice/[0-9a-f]{64}\n")));
    const auto auth = login(world, "alice", "alice-secret");
    // The same Auth every time (a client keeps it), and in JSON when asked.
    CHECK(login(world, "alice", "alice-secret") == auth);
    const auto as_json = json::parse(
        fetch(world.endpoint, "GET", "/accounts/ClientLogin?Email=alice&Passwd=alice-secret&output=json")
            .body);
    CHECK(as_json["Auth"] == auth);
    CHECK(as_json["SID"] == auth);

    const auto info = get(world, "/reader/api/0/user-info", google(auth));
    CHECK(info["userName"] == "alice");
    CHECK(info["userId"] == "1");
    // An API token of [[user]] works as the Auth too.
    CHECK(get(world, "/reader/api/0/user-info", google("bob-token"))["userName"] == "bob");
    // And Basic and X-Auth-Token, as on the Miniflux side.
    CHECK(get(world, "/reader/api/0/user-info", {{"X-Auth-Token", "alice-token"}})["userName"] == "alice");
}

TEST_CASE("greader: a client's sync, replayed: subscriptions, labels, counts, every page once, edits") {
    ApiWorld world(two_feeds_config, seed_greader);
    const auto auth = login(world, "alice", "alice-secret");
    const auto who = google(auth);
    const auto token = fetch(world.endpoint, "GET", "/reader/api/0/token", who);
    REQUIRE(token.status == 200);
    const std::string T = token.body;
    CHECK(std::regex_match(T, std::regex("[0-9a-f]{64}")));

    const auto subscriptions =
        get(world, "/reader/api/0/subscription/list?output=json", who)["subscriptions"];
    REQUIRE(subscriptions.size() == 2);
    const auto& alpha = subscriptions[0];
    CHECK(alpha["title"] == "Alpha News");
    CHECK(alpha["url"] == "https://alpha.example/feed.xml");
    CHECK(alpha["htmlUrl"] == "https://alpha.example/");
    CHECK(alpha["categories"] == json::array({{{"id", "user/-/label/News"}, {"label", "News"}}}));
    CHECK(subscriptions[1]["title"] == "beta itself");
    CHECK(subscriptions[1]["categories"].empty());
    const auto alpha_id = alpha["id"].get<std::string>();
    const auto beta_id = subscriptions[1]["id"].get<std::string>();
    CHECK(std::regex_match(alpha_id, std::regex("feed/[0-9]+")));

    const auto tags = get(world, "/reader/api/0/tag/list?output=json", who)["tags"];
    CHECK(tags == json::array({{{"id", "user/-/state/com.google/starred"}},
                               {{"id", "user/-/label/News"}, {"type", "folder"}}}));

    auto counts = get(world, "/reader/api/0/unread-count?output=json", who);
    CHECK(unread_of(counts, alpha_id) == alpha_count);
    CHECK(unread_of(counts, beta_id) == beta_count);
    CHECK(unread_of(counts, "user/-/label/News") == alpha_count);
    CHECK(unread_of(counts, "user/-/state/com.google/reading-list") == alpha_count + beta_count);
    CHECK(counts["max"] == alpha_count + beta_count);

    // The reading list, 10 at a time, newest first, each item once. Between the pages new entries
    // arrive (a poll): they are newer than the cursor and so in no later page, and nothing shifts.
    int arrived = 0;
    const auto items = every_item(world, "user/-/state/com.google/reading-list", who, "", [&](int page) {
        if (page != 1) return;
        std::promise<void> done;
        world.writer->post([&](feedd::store::Archive& archive) {
            commit(archive, world.config.feeds[1], document("beta", beta_count + 1, beta_count + 3),
                   1'790'200'000);
            done.set_value();
        });
        done.get_future().wait();
        arrived = 3;
    });
    REQUIRE(arrived == 3);
    REQUIRE(items.size() == static_cast<std::size_t>(alpha_count + beta_count));
    std::set<std::int64_t> seen;
    std::int64_t previous = std::numeric_limits<std::int64_t>::max();
    for (const auto& item : items) {
        const auto id = entry_of(item);
        CHECK(seen.insert(id).second);
        CHECK(id < previous);
        previous = id;
    }
    // The shape clients parse.
    const auto& newest = by_title(items, "beta story 4");
    CHECK(newest["title"] == "beta story 4");
    CHECK(newest["canonical"][0]["href"] == "https://beta.example/4");
    CHECK(newest["alternate"][0]["href"] == "https://beta.example/4");
    CHECK(newest["origin"] ==
          json{{"streamId", beta_id}, {"title", "beta itself"}, {"htmlUrl", "https://beta.example/"}});
    CHECK(newest["summary"]["content"] == "<p>The beta story number 4.</p>");
    CHECK(newest["author"] == "Reporter 4");
    CHECK(newest["published"] == 1'790'000'000 + 4 * 3600);
    CHECK(newest["timestampUsec"] == "1790100000000000");
    CHECK(newest["crawlTimeMsec"] == "1790100000000");
    CHECK(newest["categories"] == json::array({"user/-/state/com.google/reading-list"}));
    const auto alpha_items = every_item(world, alpha_id, who);
    REQUIRE(alpha_items.size() == static_cast<std::size_t>(alpha_count));
    for (const auto& item : alpha_items)
        CHECK(item["categories"] ==
              json::array({"user/-/state/com.google/reading-list", "user/-/label/News"}));
    const auto& hostile = by_title(alpha_items, "alpha story 2");
    const auto html = hostile["summary"]["content"].get<std::string>();
    INFO(html);
    CHECK(html.find("https://alpha.example/pics/z.png") != std::string::npos);
    for (const char* gone : {"onerror", "<script", "alert", "javascript:"})
        CHECK_MESSAGE(html.find(gone) == std::string::npos, gone);
    const auto& oldest = by_title(alpha_items, "alpha story 1");
    CHECK(
        oldest["enclosure"] ==
        json::array({{{"href", "https://alpha.example/1.mp3"}, {"type", "audio/mpeg"}, {"length", "1234"}}}));
    // Oldest first (r=o) is the same items the other way round, the new ones last.
    const auto forward = every_item(world, "user/-/state/com.google/reading-list", who, "&r=o");
    REQUIRE(forward.size() == items.size() + 3);
    CHECK(forward.front()["id"] == items.back()["id"]);
    std::set<std::string> last_three;
    for (std::size_t i = forward.size() - 3; i < forward.size(); ++i) last_three.insert(forward[i]["title"]);
    CHECK(last_three == std::set<std::string>{"beta story 5", "beta story 6", "beta story 7"});
    // The label is its feeds' items.
    CHECK(every_item(world, "user/-/label/News", who).size() == static_cast<std::size_t>(alpha_count));

    // Edits, each id form clients send: the long form, 16 hex digits, a decimal long.
    const auto a = entry_of(alpha_items[0]), b = entry_of(alpha_items[1]), c = entry_of(alpha_items[2]);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(b));
    const auto read = fetch(world.endpoint, "POST", "/reader/api/0/edit-tag", who,
                            "i=" + alpha_items[0]["id"].get<std::string>() + "&i=" + hex +
                                "&i=" + std::to_string(c) + "&a=user/-/state/com.google/read&T=" + T);
    CHECK(read.status == 200);
    CHECK(read.body == "OK");
    counts = get(world, "/reader/api/0/unread-count?output=json", who);
    CHECK(unread_of(counts, alpha_id) == alpha_count - 3);
    CHECK(unread_of(counts, "user/-/state/com.google/reading-list") == alpha_count + beta_count + 3 - 3);
    const auto unread = every_item(world, alpha_id, who, "&xt=user/-/state/com.google/read");
    CHECK(unread.size() == static_cast<std::size_t>(alpha_count - 3));
    const auto read_items = every_item(world, "user/-/state/com.google/read", who);
    REQUIRE(read_items.size() == 3);
    CHECK(read_items[0]["categories"].dump().find("user/-/state/com.google/read") != std::string::npos);
    // The ids as stream/items/ids gives them (decimal), and their contents.
    const auto ids = get(world, "/reader/api/0/stream/items/ids?s=user/-/state/com.google/read&n=1000", who);
    REQUIRE(ids["itemRefs"].size() == 3);
    CHECK(ids["itemRefs"][0]["id"] == std::to_string(a));
    const auto contents = fetch(world.endpoint, "POST", "/reader/api/0/stream/items/contents", who,
                                "i=" + std::to_string(c) + "&i=" + std::to_string(a));
    REQUIRE(contents.status == 200);
    const auto fetched = json::parse(contents.body)["items"];
    REQUIRE(fetched.size() == 2);
    CHECK(entry_of(fetched[0]) == c);  // in the order asked
    CHECK(entry_of(fetched[1]) == a);

    // Unread again, and a star.
    CHECK(fetch(world.endpoint, "POST", "/reader/api/0/edit-tag", who,
                "i=" + std::to_string(a) + "&r=user/-/state/com.google/read&T=" + T)
              .body == "OK");
    CHECK(fetch(world.endpoint, "POST", "/reader/api/0/edit-tag", who,
                "i=" + std::to_string(b) + "&a=user/-/state/com.google/starred&T=" + T)
              .body == "OK");
    CHECK(unread_of(get(world, "/reader/api/0/unread-count", who), alpha_id) == alpha_count - 2);
    const auto starred = every_item(world, "user/-/state/com.google/starred", who);
    REQUIRE(starred.size() == 1);
    CHECK(entry_of(starred[0]) == b);
    CHECK(starred[0]["categories"].dump().find("user/-/state/com.google/starred") != std::string::npos);

    // Mark all as read up to what the client had seen: the three that came later stay unread.
    CHECK(fetch(world.endpoint, "POST", "/reader/api/0/mark-all-as-read", who,
                "s=user/-/state/com.google/reading-list&ts=1790150000000000&T=" + T)
              .body == "OK");
    counts = get(world, "/reader/api/0/unread-count", who);
    CHECK(unread_of(counts, alpha_id) == 0);
    CHECK(unread_of(counts, beta_id) == 3);
    CHECK(fetch(world.endpoint, "POST", "/reader/api/0/mark-all-as-read", who, "s=" + beta_id + "&T=" + T)
              .body == "OK");
    CHECK(unread_of(get(world, "/reader/api/0/unread-count", who), beta_id) == 0);
    // Bob's state is his own.
    CHECK(unread_of(get(world, "/reader/api/0/unread-count", google("bob-token")), alpha_id) == alpha_count);
}

TEST_CASE("greader: wrong passwords, foreign tokens, bad ids and huge pages get clear answers") {
    ApiWorld world(two_feeds_config, seed_greader);
    const auto wrong =
        fetch(world.endpoint, "POST", "/accounts/ClientLogin", form, "Email=alice&Passwd=guess");
    CHECK(wrong.status == 401);
    CHECK(wrong.body == "Error=BadAuthentication\n");
    CHECK(fetch(world.endpoint, "POST", "/accounts/ClientLogin", form, "Email=bob&Passwd=").status == 401);
    CHECK(fetch(world.endpoint, "POST", "/accounts/ClientLogin", form, "").status == 401);

    const auto none = fetch(world.endpoint, "GET", "/reader/api/0/subscription/list");
    CHECK(none.status == 401);
    CHECK(none.header("Content-Type").starts_with("text/plain"));
    CHECK(fetch(world.endpoint, "GET", "/reader/api/0/subscription/list", google("alice/0000")).status ==
          401);
    CHECK(fetch(world.endpoint, "GET", "/reader/atom/feed/1", google("nobody")).status == 401);

    const auto alice = google(login(world, "alice", "alice-secret"));
    const auto bob = google("bob-token");
    const auto bobs_token = fetch(world.endpoint, "GET", "/reader/api/0/token", bob).body;
    const auto alices_token = fetch(world.endpoint, "GET", "/reader/api/0/token", alice).body;
    CHECK(bobs_token != alices_token);
    const auto item = get(world, "/reader/api/0/stream/contents/user/-/state/com.google/reading-list?n=1",
                          alice)["items"][0]["id"]
                          .get<std::string>();
    // Another user's write token, or none, is refused, and nothing is written.
    for (const std::string& t : {"&T=" + bobs_token, std::string(), std::string("&T=")}) {
        const auto refused = fetch(world.endpoint, "POST", "/reader/api/0/edit-tag", alice,
                                   "i=" + item + "&a=user/-/state/com.google/read" + t);
        CHECK(refused.status == 401);
        CHECK(refused.header("Google-Bad-Token") == "true");
    }
    CHECK(fetch(world.endpoint, "POST", "/reader/api/0/mark-all-as-read", alice,
                "s=user/-/state/com.google/reading-list&T=" + bobs_token)
              .status == 401);
    CHECK(unread_of(get(world, "/reader/api/0/unread-count", alice),
                    "user/-/state/com.google/reading-list") == alpha_count + beta_count);

    // Ids of no known form are a 400 naming the id; ids of nothing are no match.
    for (const std::string bad :
         {"tag:google.com,2005:reader/item/xyz", "12abc", "0x12", "tag:google.com,2005:reader/item/123"}) {
        const auto answer = fetch(world.endpoint, "POST", "/reader/api/0/edit-tag", alice,
                                  "i=" + bad + "&a=user/-/state/com.google/read&T=" + alices_token);
        CHECK(answer.status == 400);
        CHECK(answer.body.find("invalid item id") != std::string::npos);
    }
    CHECK(fetch(world.endpoint, "POST", "/reader/api/0/edit-tag", alice,
                "a=user/-/state/com.google/read&T=" + alices_token)
              .status == 400);
    CHECK(fetch(world.endpoint, "POST", "/reader/api/0/stream/items/contents", alice, "i=999999")
              .body.find("\"items\":[]") != std::string::npos);
    CHECK(fetch(world.endpoint, "POST", "/reader/api/0/edit-tag", alice,
                "i=-1&i=999999&a=user/-/state/com.google/read&T=" + alices_token)
              .body == "OK");

    // A huge n is a page of at most 1000; a bad n, cursor or stream is a 400.
    const auto huge =
        get(world, "/reader/api/0/stream/contents/user/-/state/com.google/reading-list?n=99999999999", alice);
    CHECK(huge["items"].size() == static_cast<std::size_t>(alpha_count + beta_count));
    CHECK(!huge.contains("continuation"));
    for (const char* target :
         {"/reader/api/0/stream/contents/user/-/state/com.google/reading-list?n=0",
          "/reader/api/0/stream/contents/user/-/state/com.google/reading-list?n=lots",
          "/reader/api/0/stream/contents/user/-/state/com.google/reading-list?c=abc",
          "/reader/api/0/stream/contents/feed/alpha", "/reader/api/0/stream/contents/nonsense"}) {
        const auto answer = fetch(world.endpoint, "GET", target, alice);
        INFO(target << ": " << answer.body);
        CHECK(answer.status == 400);
    }
    // A feed or label that does not exist is an empty stream.
    CHECK(get(world, "/reader/api/0/stream/contents/feed/99999", alice)["items"].empty());
    CHECK(get(world, "/reader/api/0/stream/contents/user/-/label/Nothing", alice)["items"].empty());
}

TEST_CASE(
    "greader: stream/items/ids lists the items stream/contents serves, with the same times, page by page") {
    ApiWorld world(two_feeds_config, seed_greader);
    const auto who = google(login(world, "alice", "alice-secret"));
    const auto items = every_item(world, "user/-/state/com.google/reading-list", who);
    REQUIRE(items.size() == alpha_count + beta_count);
    std::vector<std::pair<std::string, std::string>> expected;  // id, timestampUsec
    for (const auto& item : items)
        expected.emplace_back(std::to_string(entry_of(item)), item["timestampUsec"].get<std::string>());

    std::vector<std::pair<std::string, std::string>> listed;
    std::string continuation;
    for (int page = 0; page < 100; ++page) {
        const auto body = get(world,
                              "/reader/api/0/stream/items/ids?s=user/-/state/com.google/reading-list&n=7" +
                                  (continuation.empty() ? "" : "&c=" + continuation),
                              who);
        for (const auto& ref : body["itemRefs"])
            listed.emplace_back(ref["id"].get<std::string>(), ref["timestampUsec"].get<std::string>());
        if (!body.contains("continuation")) break;
        continuation = body["continuation"].get<std::string>();
    }
    CHECK(listed == expected);
    // A state stream narrows the ids as it narrows the contents.
    const auto unread = get(world,
                            "/reader/api/0/stream/items/ids?s=user/-/state/com.google/reading-list"
                            "&xt=user/-/state/com.google/read&n=1000",
                            who);
    CHECK(unread["itemRefs"].size() == items.size());
    CHECK(get(world, "/reader/api/0/stream/items/ids?s=user/-/state/com.google/read&n=1000", who)["itemRefs"]
              .empty());
}
