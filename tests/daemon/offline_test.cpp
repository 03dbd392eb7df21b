// A laptop's day: the network goes away and comes back, the machine sleeps, the clock is set back.
// The real Pipeline against real loopback servers, on simulated time (simulated_clock.hpp), plus
// the daemon itself for what `systemctl status` and `feedd status` say while offline.
#include <doctest/doctest.h>

#include <atomic>
#include <future>

#include <nlohmann/json.hpp>

#include "daemon/simulated_clock.hpp"
#include "feedd/daemon/daemon.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using namespace feedd::test;
namespace fs = std::filesystem;

namespace {

const WallTime start = sys_days{2026y / November / 30} + 9h;

// A port nothing listens on (a server's, closed again), to be opened later for "back online".
unsigned short closed_port() {
    HttpServer server;
    return server.port();
}

// The archive's feed states once the writer has done everything queued so far.
std::map<std::string, feedd::FeedState> archived_states(SimulatedDaemon& daemon) {
    std::promise<std::map<std::string, feedd::FeedState>> states;
    daemon.writer.post([&states](feedd::store::Archive& archive) {
        std::map<std::string, feedd::FeedState> out;
        for (auto& state : archive.feed_states()) out[state.name] = state;
        states.set_value(std::move(out));
    });
    return states.get_future().get();
}

}  // namespace

TEST_CASE(
    "offline: two feeds on two hosts refusing connections are an outage at once, nothing backs off, "
    "and back online both are polled within two minutes") {
    const auto port = std::to_string(closed_port());
    TempDir dir;
    SimulatedDaemon daemon(dir.path(),
                           "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n"
                           "interval = \"30m\"\n" +
                               feed_block("one", "http://127.0.0.1:" + port + "/one.xml") +
                               feed_block("two", "http://127.0.0.2:" + port + "/two.xml"),
                           start);
    daemon.pipeline.schedule_from_state(start);
    daemon.run_for(5s);
    REQUIRE(daemon.reports_of("one").size() == 1);
    REQUIRE(daemon.reports_of("two").size() == 1);
    REQUIRE(daemon.pipeline.offline_since().has_value());
    CHECK(*daemon.pipeline.offline_since() <= floor<seconds>(start + 1s));

    // Half an hour offline: about one probe a minute, and no failure counted, the first round's
    // included (the first failure was counted before the second showed the outage).
    daemon.run_for(30min);
    const auto probes = daemon.reports.size() - 2;
    CHECK(probes >= 25);
    CHECK(probes <= 31);
    for (const auto& [name, state] : archived_states(daemon)) {
        INFO(name << ": " << state.last_error);
        CHECK(state.consecutive_failures == 0);
        CHECK(state.last_error.starts_with("offline since "));
        REQUIRE(state.next_poll.has_value());
        CHECK(WallTime(*state.next_poll) <= daemon.clock.wall() + 2min);
    }

    // The network is back: both feeds are polled within two minutes.
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer first(static_cast<unsigned short>(std::stoi(port)), "127.0.0.1");
    HttpServer second(static_cast<unsigned short>(std::stoi(port)), "127.0.0.2");
    for (auto* server : {&first, &second}) {
        for (const char* path : {"/one.xml", "/two.xml"})
            server->route(path, [&](const Request&) { return Response::text(feed, "application/rss+xml"); });
    }
    const auto back = daemon.clock.wall();
    daemon.run_for(2min);
    for (const char* name : {"one", "two"}) {
        INFO(name);
        const auto reports = daemon.reports_of(name);
        REQUIRE(!reports.empty());
        CHECK(reports.back().report.status == feedd::daemon::PollStatus::updated);
        CHECK(reports.back().at >= back);
        CHECK(reports.back().at <= back + 2min);
    }
    CHECK_FALSE(daemon.pipeline.offline_since().has_value());
    CHECK(first.requests("/one.xml").size() == 1);
    CHECK(second.requests("/two.xml").size() == 1);
}

TEST_CASE("offline: one dead host among working ones is that feed's failure, counted and backed off") {
    const auto port = std::to_string(closed_port());
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    server.route("/up.xml", [&](const Request&) { return Response::text(feed, "application/rss+xml"); });
    TempDir dir;
    SimulatedDaemon daemon(dir.path(),
                           "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n"
                           "interval = \"15m\"\n" +
                               feed_block("dead", "http://127.0.0.2:" + port + "/dead.xml") +
                               feed_block("up", server.url("/up.xml")),
                           start);
    daemon.pipeline.schedule_from_state(start);
    daemon.run_for(2h);
    CHECK_FALSE(daemon.pipeline.offline_since().has_value());
    const auto states = archived_states(daemon);
    // 15 min, then 30, 60: three or four failures in two hours, each counted.
    CHECK(states.at("dead").consecutive_failures >= 3);
    CHECK(daemon.reports_of("dead").size() <= 5);
    CHECK(states.at("up").consecutive_failures == 0);
}

TEST_CASE("sleep: after a simulated 3-hour suspend, the feeds that fell due are spread over minutes") {
    // Declared before the server: its thread reads it until the server is gone.
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    std::string config =
        "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\ninterval = \"1h\"\n"
        "per_host = 10\nper_host_gap = \"0s\"\n";
    const int count = 10;
    for (int i = 0; i < count; ++i) {
        const std::string path = "/f" + std::to_string(i) + ".xml";
        server.route(path, [&](const Request&) { return Response::text(feed, "application/rss+xml"); });
        config += feed_block("f" + std::to_string(i), server.url(path));
    }
    TempDir dir;
    SimulatedDaemon daemon(dir.path(), config, start);
    daemon.pipeline.schedule_from_state(start);
    daemon.run_for(10min);
    REQUIRE(daemon.reports.size() == count);
    daemon.reports.clear();

    // Asleep from 09:10 to 12:10: every feed fell due (at about 10:00) while the machine slept.
    daemon.clock.suspend(3h);
    const auto woke = daemon.clock.wall();
    daemon.run_for(10min);
    REQUIRE(daemon.reports.size() == count);
    WallTime first = WallTime::max(), last = WallTime::min();
    std::map<WallTime, int> per_second;
    for (const auto& report : daemon.reports) {
        first = std::min(first, report.at);
        last = std::max(last, report.at);
        per_second[floor<seconds>(report.at)] += 1;
    }
    // Promptly (the clocks are compared every 10 s), spread over a few seconds a feed, within 5 min.
    CHECK(first - woke <= 15s);
    CHECK(last - woke <= 5min + 15s);
    CHECK(last - first >= 20s);
    for (const auto& [second, polls] : per_second) CHECK(polls <= 2);
}

TEST_CASE("a clock set back an hour does not delay polling by an hour") {
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    server.route("/a.xml", [&](const Request&) { return Response::text(feed, "application/rss+xml"); });
    TempDir dir;
    SimulatedDaemon daemon(dir.path(),
                           "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n"
                           "interval = \"30m\"\n" +
                               feed_block("a", server.url("/a.xml")),
                           start);
    daemon.pipeline.schedule_from_state(start);
    daemon.run_for(10min);
    REQUIRE(daemon.reports.size() == 1);
    // Due again 30 to 33 minutes after the first poll, that is 20 to 23 minutes from here.
    daemon.clock.set_wall(daemon.clock.wall() - 1h);
    daemon.run_for(25min);
    CHECK(daemon.reports.size() == 2);
}

TEST_CASE("offline: the daemon's STATUS line and `feedd status` say since when") {
    const auto port = std::to_string(closed_port());
    TempDir dir;
    write_file(dir / "feeds.toml", "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n" +
                                       feed_block("one", "http://127.0.0.1:" + port + "/one.xml") +
                                       feed_block("two", "http://127.0.0.2:" + port + "/two.xml"));
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    REQUIRE(
        daemon.wait_until([&] { return daemon.last_status().find("offline since ") != std::string::npos; }));
    const auto status = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "status"});
    INFO(status.out << status.err);
    CHECK(status.exit_code == 1);
    CHECK(status.out.find("feedd: offline since ") != std::string::npos);
    const auto json =
        run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "status", "--format", "json"});
    const auto report = nlohmann::json::parse(json.out);
    CHECK(report["health"] == "offline");
    CHECK(report["offline_since"].get<std::string>().starts_with("20"));
    // Neither feed is failing: the outage is not theirs.
    const auto list = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "feeds", "list"});
    CHECK(list.out.find("failing") == std::string::npos);
}

namespace offline_pages {

// A feed of teasers whose items link to `links` (their pages are the story).
std::string teasers_linking(const std::vector<std::string>& links) {
    std::string out = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Teasers</title>";
    for (std::size_t i = 0; i < links.size(); ++i)
        out += "<item><guid>t" + std::to_string(i) + "</guid><title>Teaser " + std::to_string(i) +
               "</title><link>" + links[i] + "</link><description>Read on.</description></item>";
    return out + "</channel></rss>";
}

const std::string story_html =
    "<html><body><article><h1>Bridge</h1><p>The harbour bridge reopened to traffic on Monday, three weeks "
    "after inspectors found cracks in two of its steel supports and closed it to all "
    "vehicles.</p><p>Engineers "
    "replaced the damaged supports, strengthened the joints on either side, and repainted the western "
    "span.</p></article></body></html>";

// Serves the teasers linking `links` at /feed.xml of `feeds`; returns a configuration that polls
// it every four hours and fetches every article's page, retried after five minutes.
std::string serve_teasers(HttpServer& feeds, std::vector<std::string> links) {
    feeds.route("/feed.xml", [links = std::move(links)](const Request&) {
        return Response::text(teasers_linking(links), "application/rss+xml");
    });
    return "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n"
           "interval = \"4h\"\nmin_interval = \"5m\"\nfull_text = \"always\"\n" +
           feed_block("teasers", feeds.url("/feed.xml"));
}

// The archive's record of each page, once the writer has done everything queued so far.
std::vector<feedd::store::PageDetail> archived_pages(SimulatedDaemon& daemon, std::int64_t articles) {
    std::promise<std::vector<feedd::store::PageDetail>> pages;
    daemon.writer.post([&](feedd::store::Archive& archive) {
        std::vector<feedd::store::PageDetail> out;
        for (std::int64_t id = 1; id <= articles; ++id)
            if (auto page = archive.page(id)) out.push_back(std::move(*page));
        pages.set_value(std::move(out));
    });
    return pages.get_future().get();
}

}  // namespace offline_pages

TEST_CASE(
    "offline: pages that fail because the network went away are an outage too, not counted against them, "
    "and are fetched once it is back") {
    using namespace offline_pages;
    HttpServer feeds;
    auto left = std::make_unique<HttpServer>(0, "127.0.0.2");
    auto right = std::make_unique<HttpServer>(0, "127.0.0.3");
    const auto left_port = left->port();
    const auto right_port = right->port();
    const std::vector<std::string> links{"http://127.0.0.2:" + std::to_string(left_port) + "/story",
                                         "http://127.0.0.3:" + std::to_string(right_port) + "/story"};
    for (auto* site : {left.get(), right.get()})
        site->route("/story", [](const Request&) { return Response::with_status(503); });
    TempDir dir;
    SimulatedDaemon daemon(dir.path(), serve_teasers(feeds, links), start);
    daemon.pipeline.schedule_from_state(start);
    daemon.run_for(1min);
    // Both sites answered (robots.txt 404, the page 503): a failure of each page, counted.
    auto pages = archived_pages(daemon, 2);
    REQUIRE(pages.size() == 2);
    for (const auto& page : pages) {
        INFO(page.url << ": " << page.error);
        CHECK(page.failures == 1);
        CHECK(page.status == 503);
    }
    CHECK(left->requests("/story").size() == 1);
    CHECK(right->requests("/story").size() == 1);

    // The network goes away under the pages: both are tried again after their backoff (five
    // minutes, min_interval) and refused a connection, on two hosts, since the last answer: an
    // outage, not the pages' failures.
    left.reset();
    right.reset();
    // Looked at as soon as the outage shows: the first probe (a minute on) ends it, as the feed's
    // host still answers, and the pages go round again.
    for (int step = 0; step < 140 && !daemon.pipeline.offline_since(); ++step) daemon.run_for(30s);
    REQUIRE(daemon.pipeline.offline_since().has_value());
    CHECK(daemon.clock.wall() >= start + 5min);
    CHECK(daemon.clock.wall() <= start + 7min);
    pages = archived_pages(daemon, 2);
    REQUIRE(pages.size() == 2);
    for (const auto& page : pages) {
        INFO(page.url << ": " << page.error);
        CHECK(page.failures == 1);  // the 503's, no more
        CHECK(page.error.starts_with("offline since "));
        REQUIRE(page.next_try.has_value());
        CHECK(WallTime(*page.next_try) <= daemon.clock.wall() + 2min);
        CHECK_FALSE(page.fetched_at.has_value());
    }

    // Back: the sites answer on their ports again, and both pages are archived within minutes.
    left = std::make_unique<HttpServer>(left_port, "127.0.0.2");
    right = std::make_unique<HttpServer>(right_port, "127.0.0.3");
    for (auto* site : {left.get(), right.get()})
        site->route("/story", [](const Request&) { return Response::text(story_html, "text/html"); });
    daemon.run_for(10min);
    pages = archived_pages(daemon, 2);
    REQUIRE(pages.size() == 2);
    for (const auto& page : pages) {
        INFO(page.url << ": " << page.error);
        CHECK(page.fetched_at.has_value());
        CHECK(page.failures == 0);
        CHECK(page.text.find("strengthened the joints") != std::string::npos);
    }
    CHECK(left->requests("/story").size() == 1);
    CHECK(right->requests("/story").size() == 1);
}

TEST_CASE(
    "offline: robots.txt of two sites refusing connections is an outage, and their pages are not counted "
    "as failing") {
    using namespace offline_pages;
    const auto port = std::to_string(closed_port());
    const std::vector<std::string> links{"http://127.0.0.2:" + port + "/story",
                                         "http://127.0.0.3:" + port + "/story"};
    HttpServer feeds;
    feeds.route("/feed.xml", [&](const Request&) {
        return Response::text(teasers_linking(links), "application/rss+xml");
    });
    TempDir dir;
    SimulatedDaemon daemon(dir.path(),
                           "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n"
                           "interval = \"4h\"\nfull_text = \"always\"\n" +
                               feed_block("teasers", feeds.url("/feed.xml")),
                           start);
    daemon.pipeline.schedule_from_state(start);
    for (int step = 0; step < 10 && !daemon.pipeline.offline_since(); ++step) daemon.run_for(30s);
    REQUIRE(daemon.pipeline.offline_since().has_value());
    const auto pages = archived_pages(daemon, 2);
    REQUIRE(pages.size() == 2);
    // The first site's page was refused (and counted) before the second site showed the outage:
    // written again, not counted. The second's waits, untried, for the network.
    const auto& first = pages.front();
    INFO(first.url << ": " << first.error);
    CHECK(first.error.starts_with("offline since "));
    CHECK(first.error.find("robots.txt could not be read") != std::string::npos);
    REQUIRE(first.next_try.has_value());
    CHECK(WallTime(*first.next_try) <= daemon.clock.wall() + 2min);
    for (const auto& page : pages) {
        INFO(page.url << ": " << page.error);
        CHECK(page.failures == 0);
        CHECK((page.error.empty() || page.error.starts_with("offline since ")));
    }
}

TEST_CASE(
    "full text: a page that answered 503 is asked again after its backoff (min_interval), not an hour later "
    "when its claim runs out") {
    using namespace offline_pages;
    std::atomic<int> asked{0};  // before the servers: their threads read it until they stop
    HttpServer feeds;
    HttpServer site(0, "127.0.0.2");
    const std::vector<std::string> links{"http://127.0.0.2:" + std::to_string(site.port()) + "/story"};
    site.route("/story", [&](const Request&) {
        return ++asked == 1 ? Response::with_status(503) : Response::text(story_html, "text/html");
    });
    TempDir dir;
    SimulatedDaemon daemon(dir.path(), serve_teasers(feeds, links), start);
    daemon.pipeline.schedule_from_state(start);
    daemon.run_for(1min);
    auto pages = archived_pages(daemon, 1);
    REQUIRE(pages.size() == 1);
    CHECK(pages.front().failures == 1);
    REQUIRE(pages.front().next_try.has_value());
    CHECK(WallTime(*pages.front().next_try) <= daemon.clock.wall() + 5min);
    // Its backoff is five minutes: by ten, it has been asked again and archived.
    daemon.run_for(9min);
    pages = archived_pages(daemon, 1);
    REQUIRE(pages.size() == 1);
    INFO(pages.front().error);
    CHECK(asked == 2);
    CHECK(pages.front().fetched_at.has_value());
    CHECK(pages.front().failures == 0);
}
