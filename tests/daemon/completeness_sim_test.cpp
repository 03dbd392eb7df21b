// bench/completeness's publishers as tests of the real Pipeline: days of simulated time against a
// real loopback server whose feed shows its last items as of the simulated clock.
#include <doctest/doctest.h>

#include <ctime>
#include <future>
#include <set>

#include "daemon/simulated_clock.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using namespace feedd::test;

namespace {

const WallTime start = sys_days{2026y / November / 2};

// A publisher: when each item appears, and how many its document shows.
struct Publisher {
    std::vector<WallTime> items;  // ascending
    std::size_t window = 10;

    std::string document(WallTime now) const {
        const auto end =
            static_cast<std::size_t>(std::upper_bound(items.begin(), items.end(), now) - items.begin());
        std::string body = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>sim</title>";
        for (std::size_t i = end > window ? end - window : 0; i < end; ++i) {
            const std::time_t t = system_clock::to_time_t(items[i]);
            std::tm tm{};
            gmtime_r(&t, &tm);
            char date[64];
            std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
            body += "<item><guid>item-" + std::to_string(i) + "</guid><title>Item " + std::to_string(i) +
                    "</title><pubDate>" + date + "</pubDate><description>Item number " + std::to_string(i) +
                    ".</description></item>";
        }
        return body + "</channel></rss>";
    }
};

// One item an hour at a minute that changes from hour to hour, from three days before the start.
Publisher steady(int days) {
    Publisher p;
    for (int h = -72; h < days * 24; ++h) p.items.push_back(start + hours(h) + minutes((h * 37 + 1000) % 60));
    return p;
}

// Twenty items in ten minutes at nine every morning.
Publisher morning_bursts(int days, std::size_t window) {
    Publisher p;
    p.window = window;
    for (int d = -3; d < days; ++d)
        for (int i = 0; i < 20; ++i) p.items.push_back(start + std::chrono::days(d) + 9h + i * 30s);
    return p;
}

struct Run {
    std::size_t requests = 0;
    std::set<std::string> archived;  // titles
    std::size_t gaps = 0;
};

Run simulate(const Publisher& publisher, int days) {
    HttpServer server;
    TempDir dir;
    std::unique_ptr<SimulatedDaemon> daemon;
    server.route("/sim.xml", [&](const Request&) {
        return Response::text(publisher.document(daemon->clock.wall()), "application/rss+xml");
    });
    daemon = std::make_unique<SimulatedDaemon>(
        dir.path(),
        "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\nper_host_gap = \"0s\"\n"
        "min_interval = \"2m\"\nmax_interval = \"1d\"\n\n[[feed]]\nname = \"sim\"\nurl = \"" +
            server.url("/sim.xml") + "\"\n",
        start);
    daemon->pipeline.schedule_from_state(start);
    daemon->run_until(start + std::chrono::days(days));
    Run run;
    run.requests = server.requests("/sim.xml").size();
    std::promise<void> read;
    daemon->writer.post([&](feedd::store::Archive& archive) {
        feedd::store::ArticleQuery all;
        all.limit = 0;
        for (const auto& row : archive.query(all)) run.archived.insert(row.title);
        run.gaps = archive.gaps("sim", floor<seconds>(start - std::chrono::days(1))).size();
        read.set_value();
    });
    read.get_future().get();
    daemon.reset();  // stops the pipeline before the server goes
    return run;
}

// Items published from `from` to `until` that the archive lacks.
std::size_t missed(const Publisher& p, const Run& run, WallTime from, WallTime until) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < p.items.size(); ++i)
        if (p.items[i] > from && p.items[i] <= until && !run.archived.contains("Item " + std::to_string(i)))
            ++count;
    return count;
}

}  // namespace

TEST_CASE("completeness: an hourly feed is archived whole with a poll every few hours, not every hour") {
    const int days = 4;
    const auto publisher = steady(days);
    const auto run = simulate(publisher, days);
    // Items of the last day may still wait for their poll (up to max_interval): not counted.
    CHECK(missed(publisher, run, start, start + std::chrono::days(days - 1)) == 0);
    CHECK(run.requests < static_cast<std::size_t>(days * 24 / 2));  // fixed hourly polling: 96
    CHECK(run.gaps == 0);
}

TEST_CASE("completeness: a morning burst is caught whole once its time of day is known") {
    const int days = 5;
    const auto publisher = morning_bursts(days, 10);
    const auto run = simulate(publisher, days);
    // The first morning teaches it; from the second on, nothing is lost.
    CHECK(missed(publisher, run, start + std::chrono::days(1), start + std::chrono::days(days)) == 0);
    CHECK(run.requests < static_cast<std::size_t>(days * 24));  // fewer than fixed hourly polling
}

TEST_CASE("completeness: a burst that outruns a window of three is lost in part, and every morning says so") {
    const int days = 4;
    const auto publisher = morning_bursts(days, 3);
    const auto run = simulate(publisher, days);
    REQUIRE(missed(publisher, run, start, start + std::chrono::days(days)) >
            0);  // on purpose: 4 items per 2 min
    CHECK(run.gaps >= static_cast<std::size_t>(days));
}
