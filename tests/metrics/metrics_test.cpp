// The Prometheus text format as feedd writes it: families, escaping, histograms, and figures
// updated from one thread while another reads them; Python's prometheus_client parser (Debian's
// python3-prometheus-client, the reference parser of the format) reads the text back.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "feedd/metrics/metrics.hpp"
#include "support/prometheus.hpp"

using namespace feedd::metrics;
using feedd::test::parsed_by_prometheus_client;

TEST_CASE("counters and gauges are written with HELP and TYPE once per family, samples grouped") {
    Exposition out;
    out.counter("feedd_polls_total", "Polls by outcome.", 3, {{"outcome", "updated"}});
    out.gauge("feedd_feeds", "Feeds by state.", 7, {{"state", "ok"}});
    out.counter("feedd_polls_total", "Polls by outcome.", 1, {{"outcome", "failed"}});
    out.gauge("feedd_archive_bytes", "Size of the archive.", 123456789);
    CHECK(out.text() ==
          "# HELP feedd_polls_total Polls by outcome.\n"
          "# TYPE feedd_polls_total counter\n"
          "feedd_polls_total{outcome=\"updated\"} 3\n"
          "feedd_polls_total{outcome=\"failed\"} 1\n"
          "# HELP feedd_feeds Feeds by state.\n"
          "# TYPE feedd_feeds gauge\n"
          "feedd_feeds{state=\"ok\"} 7\n"
          "# HELP feedd_archive_bytes Size of the archive.\n"
          "# TYPE feedd_archive_bytes gauge\n"
          "feedd_archive_bytes 123456789\n");
}

TEST_CASE("label values and help text are escaped as the exposition format says") {
    CHECK(escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
    CHECK(escape_help("line one\nback\\slash \"quoted\"") == "line one\\nback\\\\slash \"quoted\"");
    Exposition out;
    out.counter("feedd_http_requests_total", "Requests.\nBy route.", 2,
                {{"route", "/feeds/atom \"x\"\\"}, {"status", "200"}});
    const auto text = out.text();
    CHECK(text.find("# HELP feedd_http_requests_total Requests.\\nBy route.\n") != std::string::npos);
    CHECK(text.find("feedd_http_requests_total{route=\"/feeds/atom \\\"x\\\"\\\\\",status=\"200\"} 2\n") !=
          std::string::npos);
    const auto read = parsed_by_prometheus_client(text);
    REQUIRE(read.size() == 1);
    CHECK(read[0][2] == "Requests.\nBy route.");
    CHECK(read[0][4]["route"] == "/feeds/atom \"x\"\\");
    CHECK(read[0][5] == 2);
}

TEST_CASE("a histogram counts each value in the first bucket whose bound it does not exceed, cumulatively") {
    Histogram seconds({0.1, 0.5, 1, 5});
    for (double value : {0.05, 0.1, 0.3, 2.0, 7.5}) seconds.observe(value);
    const auto snapshot = seconds.snapshot();
    CHECK(snapshot.cumulative == std::vector<std::int64_t>{2, 3, 3, 4, 5});
    CHECK(snapshot.count == 5);
    CHECK(snapshot.sum == doctest::Approx(9.95));
    Exposition out;
    out.histogram("feedd_fetch_duration_seconds", "How long fetches took.", snapshot);
    CHECK(out.text() ==
          "# HELP feedd_fetch_duration_seconds How long fetches took.\n"
          "# TYPE feedd_fetch_duration_seconds histogram\n"
          "feedd_fetch_duration_seconds_bucket{le=\"0.1\"} 2\n"
          "feedd_fetch_duration_seconds_bucket{le=\"0.5\"} 3\n"
          "feedd_fetch_duration_seconds_bucket{le=\"1\"} 3\n"
          "feedd_fetch_duration_seconds_bucket{le=\"5\"} 4\n"
          "feedd_fetch_duration_seconds_bucket{le=\"+Inf\"} 5\n"
          "feedd_fetch_duration_seconds_sum 9.95\n"
          "feedd_fetch_duration_seconds_count 5\n");
    const auto read = parsed_by_prometheus_client(out.text());
    REQUIRE(read.size() == 7);
    CHECK(read[0][1] == "histogram");
    CHECK(read[4][4]["le"] == "+Inf");
    CHECK(read[4][5] == 5);
    CHECK(read[5][5] == doctest::Approx(9.95));
    CHECK_THROWS_AS(Histogram({1, 0.5}), std::invalid_argument);
}

TEST_CASE("labelled counters keep one count per combination of label values") {
    CounterFamily requests({"route", "status"});
    requests.add({"/feeds/atom", "200"});
    requests.add({"/feeds/atom", "200"});
    requests.add({"/feeds/atom", "304"});
    requests.add({"/metrics", "200"}, 5);
    CHECK_THROWS_AS(requests.add({"/metrics"}), std::invalid_argument);
    Exposition out;
    out.counters("feedd_http_requests_total", "HTTP requests by route and status.", requests);
    CHECK(out.text() ==
          "# HELP feedd_http_requests_total HTTP requests by route and status.\n"
          "# TYPE feedd_http_requests_total counter\n"
          "feedd_http_requests_total{route=\"/feeds/atom\",status=\"200\"} 2\n"
          "feedd_http_requests_total{route=\"/feeds/atom\",status=\"304\"} 1\n"
          "feedd_http_requests_total{route=\"/metrics\",status=\"200\"} 5\n");
}

TEST_CASE("bad metric or label names are refused, values written as Prometheus reads them") {
    Exposition out;
    CHECK_THROWS_AS(out.counter("feedd-polls", "x", 1), std::invalid_argument);
    CHECK_THROWS_AS(out.counter("1polls", "x", 1), std::invalid_argument);
    CHECK_THROWS_AS(out.counter("polls", "x", 1, {{"bad-label", "v"}}), std::invalid_argument);
    CHECK_THROWS_AS(out.counter("polls", "x", 1, {{"__reserved", "v"}}), std::invalid_argument);
    out.counter("feedd_x_total", "x", 1);
    CHECK_THROWS_AS(out.gauge("feedd_x_total", "x", 1), std::invalid_argument);
    CHECK(format_value(3) == "3");
    CHECK(format_value(0.25) == "0.25");
    CHECK(format_value(1e21) == "1e+21");
    CHECK(format_value(1.0 / 0.0) == "+Inf");
    CHECK(format_value(-1.0 / 0.0) == "-Inf");
    CHECK(format_value(0.0 / 0.0) == "NaN");
}

TEST_CASE("figures updated on one thread are read whole on another") {
    Counter polls;
    Gauge backlog;
    Histogram seconds({0.5, 1});
    CounterFamily outcomes({"outcome"});
    std::thread writer([&] {
        for (int i = 0; i < 100000; ++i) {
            polls.add();
            backlog.add(1);
            backlog.add(-1);
            seconds.observe(i % 2 ? 0.25 : 0.75);
            if (i % 100 == 0) outcomes.add({i % 200 ? "failed" : "updated"});
        }
    });
    std::int64_t seen = 0;
    while (seen < 100000) {
        const auto now = polls.value();
        CHECK(now >= seen);  // a counter never goes back
        seen = now;
        (void)seconds.snapshot();
        (void)outcomes.samples();
    }
    writer.join();
    CHECK(polls.value() == 100000);
    CHECK(backlog.value() == 0);
    CHECK(seconds.snapshot().count == 100000);
    CHECK(seconds.snapshot().cumulative[0] == 50000);
    CHECK(outcomes.samples().size() == 2);
}
