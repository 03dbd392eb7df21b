// The pipeline's totals (STATUS=, the stop line and /metrics read them): polls by outcome, bytes,
// the fetch-duration histogram and the writer's backlog, after real fetches from a loopback server.
#include <doctest/doctest.h>

#include "daemon/simulated_clock.hpp"
#include "support/http_server.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using namespace feedd::test;
using feedd::daemon::PollStatus;

TEST_CASE("the totals count each poll by outcome, the bytes fetched and how long each fetch took") {
    // Declared before the server: its thread reads it until the server is gone.
    const std::string feed =
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
        "<item><guid>1</guid><title>One</title></item><item><guid>2</guid><title>Two</title></item></"
        "channel></rss>";
    HttpServer server;
    // 20 ms on the server's timer: a fetch on loopback can take less than the millisecond the
    // durations are counted in, and its time would read as nothing.
    server.route("/ok.xml", [&feed](const Request&) {
        auto response = Response::text(feed);
        response.delay = 20ms;
        return response;
    });
    server.route("/broken.xml", [](const Request&) { return Response::with_status(500, "no"); });
    TempDir dir;
    const WallTime start = sys_days{2026y / November / 30} + 9h;
    SimulatedDaemon daemon(dir.path(),
                           "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n"
                           "interval = \"30m\"\n"
                           "\n[[feed]]\nname = \"ok\"\nurl = \"" +
                               server.url("/ok.xml") + "\"\n" + "\n[[feed]]\nname = \"broken\"\nurl = \"" +
                               server.url("/broken.xml") + "\"\n",
                           start);
    daemon.pipeline.schedule_from_state(start);
    daemon.run_for(5min);

    const auto& totals = daemon.pipeline.totals();
    REQUIRE(daemon.reports.size() == 2);
    CHECK(totals.polls.value() == 2);
    CHECK(totals.by_status[static_cast<std::size_t>(PollStatus::updated)].value() == 1);
    CHECK(totals.by_status[static_cast<std::size_t>(PollStatus::failed)].value() == 1);
    CHECK(totals.by_status[static_cast<std::size_t>(PollStatus::not_modified)].value() == 0);
    CHECK(totals.new_entries.value() == 2);
    std::int64_t bytes = 0;
    for (const auto& report : daemon.reports) bytes += report.report.bytes;
    CHECK(bytes >= static_cast<std::int64_t>(feed.size()));
    CHECK(totals.bytes.value() == bytes);
    const auto seconds = totals.fetch_seconds.snapshot();
    CHECK(seconds.count == 2);
    CHECK(seconds.sum >= 0.02);
    // Everything fetched was written: nothing waits for the writer.
    CHECK(totals.backlog_polls.value() == 0);
    CHECK(totals.backlog_bytes.value() == 0);
}
