// interval = "auto" and gap detection through the real daemon, its archive and a local server.
#include <doctest/doctest.h>

#include <atomic>
#include <ctime>

#include <nlohmann/json.hpp>

#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono;
using namespace feedd::test;

namespace {

// An RSS document of the items `first`..`last`, one a minute, the newest `newest` ago.
std::string rss(int first, int last, minutes newest) {
    const auto now = floor<seconds>(system_clock::now());
    std::string items;
    for (int i = first; i <= last; ++i) {
        const std::time_t published = system_clock::to_time_t(now - newest - minutes(last - i));
        std::tm tm{};
        gmtime_r(&published, &tm);
        char text[64];
        std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        items += "<item><guid>post-" + std::to_string(i) + "</guid><title>Post " + std::to_string(i) +
                 "</title><pubDate>" + std::string(text) + "</pubDate><description>Post number " +
                 std::to_string(i) + ".</description></item>";
    }
    return "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Busy</title>" + items +
           "</channel></rss>";
}

std::string config(const std::string& url, const std::string& interval) {
    return "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\nper_host_gap = \"0s\"\n"
           "min_interval = \"1m\"\nmax_interval = \"1d\"\n\n[[feed]]\nname = \"busy\"\nurl = \"" +
           url + "\"\n" + (interval.empty() ? "" : "interval = \"" + interval + "\"\n");
}

nlohmann::json listed(const TempDir& dir) {
    const auto result = run_feedd(
        dir.path(), {"--config", (dir / "feeds.toml").string(), "feeds", "list", "--format", "json"});
    REQUIRE(result.exit_code == 0);
    const auto feeds = nlohmann::json::parse(result.out);
    REQUIRE(feeds.size() == 1);
    return feeds[0];
}

// Seconds from the feed's last poll to its next one, as `feeds list` shows them.
long long scheduled_gap(const nlohmann::json& feed) {
    const auto parse = [](const std::string& text) {
        std::tm tm{};
        REQUIRE(strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) != nullptr);
        return static_cast<long long>(timegm(&tm));
    };
    return parse(feed["next_poll"].get<std::string>()) - parse(feed["last_poll"].get<std::string>());
}

}  // namespace

TEST_CASE("a poll that finds only new items in a full window records a gap, logs it and lists it") {
    // Declared before the server: its thread reads them until the server is gone.
    std::atomic<int> version{1};
    HttpServer server;
    server.route("/busy.xml", [&](const Request&) {
        // Three items; then three newer ones with nothing in common: the three between were lost.
        // Then one more beside two seen ones: no gap.
        const std::string body = version == 1   ? rss(1, 3, minutes(40))
                                 : version == 2 ? rss(7, 9, minutes(5))
                                                : rss(8, 10, minutes(1));
        return Response::text(body, "application/rss+xml");
    });
    TempDir dir;
    write_file(dir / "feeds.toml", config(server.url("/busy.xml"), ""));
    const std::string path = (dir / "feeds.toml").string();
    REQUIRE(run_feedd(dir.path(), {"--config", path, "poll", "--once"}).exit_code == 0);
    CHECK(listed(dir)["gaps_30d"] == 0);

    version = 2;
    const auto second =
        run_feedd(dir.path(), {"--config", path, "--log-level", "warning", "poll", "--once", "--force"});
    REQUIRE(second.exit_code == 0);
    CHECK(second.err.find("busy: gap: about ") != std::string::npos);
    const auto after_gap = listed(dir);
    CHECK(after_gap["gaps_30d"] == 1);
    CHECK(after_gap["gap_items_30d"].get<int>() >= 1);
    CHECK_FALSE(after_gap["last_gap"].is_null());

    version = 3;
    const auto third =
        run_feedd(dir.path(), {"--config", path, "--log-level", "warning", "poll", "--once", "--force"});
    REQUIRE(third.exit_code == 0);
    CHECK(third.err.find("gap:") == std::string::npos);
    CHECK(listed(dir)["gaps_30d"] == 1);
    const auto table = run_feedd(dir.path(), {"--config", path, "feeds", "list"});
    CHECK(table.out.find("GAPS") != std::string::npos);
}

TEST_CASE(
    "interval auto: a feed that published nothing for months is polled daily, a fixed one keeps its hour") {
    HttpServer server;
    server.route("/quiet.xml", [](const Request&) {
        return Response::text(rss(1, 5, minutes(60 * 24 * 120)), "application/rss+xml");  // 4 months ago
    });
    for (const std::string interval : {"", "auto", "1h"}) {
        CAPTURE(interval);
        TempDir dir;
        write_file(dir / "feeds.toml", config(server.url("/quiet.xml"), interval));
        REQUIRE(
            run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "poll", "--once"}).exit_code ==
            0);
        const auto gap = scheduled_gap(listed(dir));
        if (interval == "1h") {
            CHECK(gap >= 3600);
            CHECK(gap <= 3960);  // up to 10 % jitter
        } else {
            CHECK(gap == 24 * 3600);  // max_interval: nothing to miss
        }
    }
}
