// `feedd run` as systemd runs it: notifications, reload, stop, one writer per archive.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "feedd/store/store.hpp"
#include "feedd/text/text.hpp"
#include "support/archive.hpp"
#include "support/faults.hpp"
#include "support/fixtures.hpp"
#include "support/notify_socket.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using namespace feedd::test;

namespace {

std::string settings() {
    return "[settings]\n"
           "database = \"feedd.db\"\n"
           "allow_private_networks = true\n"
           "per_host_gap = \"0s\"\n"
           "min_interval = \"1s\"\n";
}

}  // namespace

TEST_CASE("the daemon says READY, reports STATUS after polls, and STOPPING on SIGTERM, exiting 0") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    TempDir dir;
    write_file(dir / "feeds.toml", settings() + feed_block("china", server.url("/china.xml")));
    FeeddDaemon daemon(dir, {{"WATCHDOG_USEC", "200000"}});
    REQUIRE(daemon.notify.wait_for("READY=1"));
    const auto status = daemon.notify.wait_for("in 1 polls");
    REQUIRE(status);
    CHECK(status->find("STATUS=1 feeds, 0 failing, 3 new entries") == 0);
    // WatchdogSec=200ms: pings keep coming from the event loop while it turns.
    REQUIRE(daemon.notify.wait_for("WATCHDOG=1"));
    REQUIRE(daemon.notify.wait_for("WATCHDOG=1"));
    daemon.process.signal(SIGTERM);
    CHECK(daemon.notify.wait_for("STOPPING=1"));
    const auto result = daemon.process.wait();
    CHECK(result.exit_code == 0);
}

TEST_CASE("STATUS counts the feeds failing now: not once one answers again, nor once a reload removed it") {
    // Declared before the server: its thread reads them until the server is gone.
    std::atomic<bool> broken{true};
    const auto other = read_fixture("cgtn-china-2.rss");
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    server.route("/other.xml", [&](const Request&) {
        return broken ? Response::with_status(500, "down") : Response::text(other, "application/rss+xml");
    });
    server.route("/dead.xml", [](const Request&) { return Response::with_status(500, "down"); });
    TempDir dir;
    const auto kept = settings() + feed_block("china", server.url("/china.xml")) +
                      feed_block("other", server.url("/other.xml"), "interval = \"1s\"\n");
    write_file(dir / "feeds.toml", kept + feed_block("dead", server.url("/dead.xml")));
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    REQUIRE(daemon.notify.wait_for("STATUS=3 feeds, 2 failing"));
    broken = false;  // retried after its interval (1 s)
    REQUIRE(daemon.notify.wait_for("STATUS=3 feeds, 1 failing"));

    write_file(dir / "feeds.toml", kept);  // "dead" goes, still failing
    daemon.process.signal(SIGHUP);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    CHECK(daemon.notify.wait_for("STATUS=2 feeds, 0 failing"));
    daemon.process.signal(SIGTERM);
    CHECK(daemon.process.wait().exit_code == 0);
}

TEST_CASE("SIGHUP adds and removes feeds while the daemon runs, removed feeds keep their articles") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    serve_fixture(server, "/china2.xml", "cgtn-china-2.rss");
    TempDir dir;
    write_file(dir / "feeds.toml", settings() + feed_block("first", server.url("/china.xml")));
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    REQUIRE(daemon.notify.wait_for("in 1 polls"));

    write_file(dir / "feeds.toml", settings() + feed_block("second", server.url("/china2.xml")));
    daemon.process.signal(SIGHUP);
    const auto reloading = daemon.notify.wait_for("RELOADING=1");
    REQUIRE(reloading);
    CHECK(reloading->find("MONOTONIC_USEC=") != std::string::npos);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    REQUIRE(daemon.notify.wait_for("in 2 polls"));
    CHECK(server.requests("/china2.xml").size() == 1);
    CHECK(server.requests("/china.xml").size() == 1);
    daemon.process.signal(SIGTERM);
    REQUIRE(daemon.process.wait().exit_code == 0);

    auto archive = open_read_only(dir / "feedd.db");
    CHECK(all_articles(archive, {"first"}).size() == 3);
}

TEST_CASE("an invalid reload keeps the running configuration and logs every error with its line") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    TempDir dir;
    const auto good = settings() + feed_block("china", server.url("/china.xml"));
    write_file(dir / "feeds.toml", good);
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    REQUIRE(daemon.notify.wait_for("in 1 polls"));
    write_file(dir / "feeds.toml",
               good + "\n[[feed]]\nname = \"bad\"\nurl = \"ftp://example.org/x\"\nintervall = \"1h\"\n");
    daemon.process.signal(SIGHUP);
    REQUIRE(daemon.notify.wait_for("RELOADING=1"));
    const auto ready = daemon.notify.wait_for("READY=1");
    REQUIRE(ready);
    const auto status = daemon.notify.wait_for("STATUS=");
    REQUIRE(status);
    CHECK(status->find("STATUS=1 feeds") == 0);
    daemon.process.signal(SIGTERM);
    const auto result = daemon.process.wait();
    CHECK(result.exit_code == 0);
    CHECK(result.err.find("reload refused") != std::string::npos);
    CHECK(result.err.find("feeds.toml:") != std::string::npos);
}

TEST_CASE("SIGTERM during a stalled fetch exits 0 after the grace period with a consistent archive") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    server.route("/stall.xml", faults::stall_before_headers());
    TempDir dir;
    write_file(dir / "feeds.toml", settings() + "shutdown_grace = \"300ms\"\n" +
                                       feed_block("china", server.url("/china.xml")) +
                                       feed_block("stall", server.url("/stall.xml")));
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    REQUIRE(daemon.notify.wait_for("in 1 polls"));
    const auto start = std::chrono::steady_clock::now();
    daemon.process.signal(SIGTERM);
    const auto result = daemon.process.wait();
    CHECK(result.exit_code == 0);
    CHECK(std::chrono::steady_clock::now() - start < 10s);
    auto archive = open_read_only(dir / "feedd.db");
    const auto problems = archive.check();
    CHECK_MESSAGE(problems.empty(), feedd::text::join(problems, "; "));
    CHECK(all_articles(archive).size() == 3);
}

TEST_CASE("a second `feedd run` on the same archive exits 1 with a clear message") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    TempDir dir;
    write_file(dir / "feeds.toml", settings() + feed_block("china", server.url("/china.xml")));
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.notify.wait_for("READY=1"));
    const auto second = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "run"});
    CHECK(second.exit_code == 1);
    CHECK(second.err.find("feedd") != std::string::npos);
    const auto poll = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "poll", "--once"});
    CHECK(poll.exit_code == 1);
    daemon.process.signal(SIGTERM);
    CHECK(daemon.process.wait().exit_code == 0);
}

TEST_CASE("on_new receives exactly the new articles as NDJSON") {
    // Declared before the server: its thread reads them until the server is gone.
    std::atomic<int> version{1};
    const auto first = read_fixture("cgtn-china.rss");
    const auto second = read_fixture("cgtn-china-2.rss");
    HttpServer server;
    server.route("/china.xml", [&](const feedd::test::Request&) {
        return Response::text(version == 1 ? first : second, "application/rss+xml");
    });
    TempDir dir;
    const auto out = dir / "new.ndjson";
    write_file(dir / "feeds.toml", settings() + "on_new = \"cat >> '" + out.string() + "'\"\n" +
                                       feed_block("china", server.url("/china.xml")));
    const std::string config = (dir / "feeds.toml").string();
    REQUIRE(run_feedd(dir.path(), {"--config", config, "poll", "--once"}).exit_code == 0);
    auto lines = feedd::test::slurp(out);
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 3);
    CHECK(lines.find("Xi chairs CPC leadership meeting") != std::string::npos);
    version = 2;
    REQUIRE(run_feedd(dir.path(), {"--config", config, "poll", "--once", "--force"}).exit_code == 0);
    lines = feedd::test::slurp(out);
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 4);
    CHECK(lines.find("Chengdu hosts western development forum") != std::string::npos);
}

TEST_CASE("on_new runs with a clean environment and only stdin, stdout and stderr open") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    TempDir dir;
    const auto fds = dir / "fds.txt";
    const auto env = dir / "env.txt";
    write_file(dir / "feeds.toml", settings() + "on_new = \"cat > /dev/null; ls -l /proc/self/fd > '" +
                                       fds.string() + "'; env > '" + env.string() + "'\"\n" +
                                       feed_block("china", server.url("/china.xml")) +
                                       "username = \"reader\"\npassword_env = \"FEED_PASSWORD\"\n");
    FeeddDaemon daemon(dir, {{"FEED_PASSWORD", "hunter2"},
                             {"LANG", "C.UTF-8"},
                             {"LC_TIME", "C"},
                             {"TZ", "UTC"},
                             {"CREDENTIALS_DIRECTORY", dir.path().string()}});
    REQUIRE(daemon.notify.wait_for("in 1 polls"));
    daemon.process.signal(SIGTERM);  // the hook runner finishes its queue before feedd exits
    REQUIRE(daemon.process.wait().exit_code == 0);

    // `ls -l` lists its own descriptors: 0, 1, 2 and the one it reads /proc/self/fd with.
    std::vector<std::string> open;
    std::istringstream listing(feedd::test::slurp(fds));
    for (std::string line; std::getline(listing, line);) {
        const auto arrow = line.find(" -> ");
        if (arrow == std::string::npos) continue;
        if (line.find("/fd", arrow) != std::string::npos && line.find("/proc/", arrow) != std::string::npos)
            continue;
        const auto start = line.rfind(' ', arrow - 1) + 1;
        open.push_back(line.substr(start, arrow - start) + " " + line.substr(arrow + 4));
    }
    CAPTURE(feedd::test::slurp(fds));
    REQUIRE(open.size() == 3);
    CHECK(open[0].rfind("0 pipe:", 0) == 0);
    CHECK(open[1] == "1 " + fds.string());

    const auto environment = "\n" + feedd::test::slurp(env);
    CAPTURE(environment);
    CHECK(environment.find("hunter2") == std::string::npos);
    CHECK(environment.find("FEED_PASSWORD") == std::string::npos);
    CHECK(environment.find("NOTIFY_SOCKET") == std::string::npos);
    CHECK(environment.find("CREDENTIALS_DIRECTORY") == std::string::npos);
    CHECK(environment.find("\nLANG=C.UTF-8\n") != std::string::npos);
    CHECK(environment.find("\nLC_TIME=C\n") != std::string::npos);
    CHECK(environment.find("\nTZ=UTC\n") != std::string::npos);
    CHECK(environment.find("PATH=") != std::string::npos);
}

TEST_CASE(
    "a Retry-After of a year on two feeds of one host: status shows the host paused, for a day at most") {
    HttpServer server;
    for (const char* path : {"/a.xml", "/b.xml"}) {
        server.route(path, [](const feedd::test::Request&) {
            auto response = Response::with_status(429);
            response.headers.emplace_back("Retry-After", "31536000");
            return response;
        });
    }
    TempDir dir;
    write_file(dir / "feeds.toml", settings() + "max_interval = \"1d\"\nbackoff_cap = \"1d\"\n" +
                                       feed_block("a", server.url("/a.xml")) +
                                       feed_block("b", server.url("/b.xml")));
    const std::string config = (dir / "feeds.toml").string();
    run_feedd(dir.path(), {"--config", config, "poll", "--once"});
    const auto now = std::chrono::system_clock::now();

    const auto text = run_feedd(dir.path(), {"--config", config, "status"});
    CAPTURE(text.out);
    CHECK(text.out.find("paused host: 127.0.0.1 until ") != std::string::npos);
    CHECK(text.out.find("(429 on a, b)") != std::string::npos);

    const auto json =
        nlohmann::json::parse(run_feedd(dir.path(), {"--config", config, "status", "--format", "json"}).out);
    REQUIRE(json["paused_hosts"].size() == 1);
    CHECK(json["paused_hosts"][0]["host"] == "127.0.0.1");
    CHECK(json["paused_hosts"][0]["feeds"] == nlohmann::json::array({"a", "b"}));
    // Until: within a day (max_interval), not a year.
    const auto until = json["paused_hosts"][0]["until"].get<std::string>();
    std::tm fields{};
    REQUIRE(::strptime(until.c_str(), "%Y-%m-%dT%H:%M:%SZ", &fields) != nullptr);
    const auto parsed = std::chrono::system_clock::from_time_t(::timegm(&fields));
    CHECK(parsed > now + std::chrono::hours(23));
    CHECK(parsed <= now + std::chrono::hours(24) + std::chrono::minutes(1));
}

TEST_CASE("status: 0 healthy while running, 1 when a feed fails past the threshold, 2 when stopped") {
    HttpServer server;
    serve_fixture(server, "/china.xml", "cgtn-china.rss");
    server.route("/broken.xml", [](const feedd::test::Request&) { return Response::with_status(500); });
    TempDir dir;
    write_file(dir / "feeds.toml", settings() + feed_block("china", server.url("/china.xml")) +
                                       feed_block("broken", server.url("/broken.xml")));
    const std::string config = (dir / "feeds.toml").string();
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.notify.wait_for("in 2 polls"));
    const auto degraded = run_feedd(dir.path(), {"--config", config, "status", "--threshold", "0s"});
    CHECK(degraded.exit_code == 1);
    CHECK(degraded.out.find("broken: HTTP 500") != std::string::npos);
    const auto healthy = run_feedd(dir.path(), {"--config", config, "status", "--format", "json"});
    CHECK(healthy.exit_code == 0);
    CHECK(healthy.out.find("\"articles\":3") != std::string::npos);
    // The archive's size per article, to size a disk by.
    const auto report = nlohmann::json::parse(healthy.out);
    CHECK(report["bytes_per_article"].get<std::int64_t>() == report["archive_bytes"].get<std::int64_t>() / 3);
    CHECK(degraded.out.find(" bytes per article)") != std::string::npos);
    daemon.process.signal(SIGTERM);
    REQUIRE(daemon.process.wait().exit_code == 0);
    CHECK(run_feedd(dir.path(), {"--config", config, "status"}).exit_code == 2);
}
