#include <doctest/doctest.h>

#include "daemon/log.hpp"
#include "feedd/daemon/daemon.hpp"

TEST_CASE("log levels are read from their names") {
    using feedd::daemon::LogLevel;
    CHECK(feedd::daemon::parse_log_level("debug") == LogLevel::debug);
    CHECK(feedd::daemon::parse_log_level("warning") == LogLevel::warning);
    CHECK_THROWS_AS(feedd::daemon::parse_log_level("verbose"), std::invalid_argument);
}

TEST_CASE("a poll report reads as one line with its figures") {
    feedd::daemon::PollReport report;
    report.feed = "cgtn-china";
    report.status = feedd::daemon::PollStatus::updated;
    report.http_status = 200;
    report.new_entries = 3;
    report.bytes = 4920;
    report.elapsed = std::chrono::milliseconds(12);
    CHECK(feedd::daemon::format_report(report) ==
          "cgtn-china: updated, HTTP 200, 3 new, 0 updated, 4920 bytes, 12 ms");
}

TEST_CASE("each poll outcome has its word in the summary line") {
    using feedd::daemon::PollStatus;
    feedd::daemon::PollReport report;
    report.feed = "f";
    const std::pair<PollStatus, const char*> words[] = {{PollStatus::updated, "f: updated, "},
                                                        {PollStatus::not_modified, "f: not-modified, "},
                                                        {PollStatus::failed, "f: failed, "},
                                                        {PollStatus::gone, "f: gone, "}};
    for (const auto& [status, start] : words) {
        report.status = status;
        CHECK(feedd::daemon::format_report(report).starts_with(start));
    }
}
