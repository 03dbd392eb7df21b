// The walking skeleton end to end: feeds.toml -> poll over HTTP -> parse -> store -> query.
#include <doctest/doctest.h>

#include <csignal>
#include <future>
#include <mutex>

#include "feedd/store/store.hpp"
#include "support/archive.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;

namespace {

const char* kSeedTitle = "Xi chairs CPC leadership meeting on developing China's western region";

std::string config_for(const HttpServer& server, const std::string& path) {
    return one_feed_config("var/feedd.db", "cgtn-china", server.url(path));
}
}  // namespace

TEST_CASE("poll --once twice archives the seed article exactly once, with its link, date and body") {
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    server.route("/china.xml",
                 [&](const feedd::test::Request&) { return Response::text(feed, "application/rss+xml"); });
    TempDir dir;
    write_file(dir / "feeds.toml", config_for(server, "/china.xml"));
    const std::string config = (dir / "feeds.toml").string();

    auto first = run_feedd(dir.path(), {"--config", config, "poll", "--once"});
    INFO("stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(first.out.find("cgtn-china: updated, HTTP 200, 3 new") != std::string::npos);

    auto second = run_feedd(dir.path(), {"--config", config, "poll", "--once", "--force"});
    INFO("stderr: " << second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(second.out.find("0 new") != std::string::npos);
    CHECK(server.requests("/china.xml").size() == 2);

    auto archive = open_read_only(dir / "var/feedd.db");
    const auto rows = all_articles(archive);
    CHECK(rows.size() == 3);
    int seen = 0;
    for (const auto& row : rows) {
        if (row.title != kSeedTitle) continue;
        ++seen;
        CHECK(row.link ==
              "https://news.cgtn.com/news/2024-08-23/"
              "Xi-chairs-CPC-leadership-meeting-on-developing-China-s-western-region-1wiDjgGubIY/index.html");
        REQUIRE(row.published.has_value());
        CHECK(feedd::format_utc(*row.published) == "2024-08-23T05:52:31Z");
        const auto detail = archive.article(row.id);
        REQUIRE(detail.has_value());
        CHECK(detail->fullest().entry.content.find(
                  "Xi Jinping, general secretary of the CPC Central Committee, "
                  "chaired the meeting.") != std::string::npos);
        CHECK(detail->fullest().entry.image.find("4c9166dcb293471b9b973a125f7ebcf9.jpeg") !=
              std::string::npos);
    }
    CHECK(seen == 1);

    const auto listed = run_feedd(dir.path(), {"--config", config, "query"});
    CHECK(listed.exit_code == 0);
    CHECK(listed.out.find(kSeedTitle) != std::string::npos);
}

TEST_CASE("the second poll sends the validators of the first and a 304 touches no article") {
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    server.route("/china.xml", [&](const feedd::test::Request& request) {
        if (request.header("if-none-match") == "\"v1\"") return Response::with_status(304);
        auto response = Response::text(feed, "application/rss+xml");
        response.headers.emplace_back("ETag", "\"v1\"");
        return response;
    });
    TempDir dir;
    write_file(dir / "feeds.toml", config_for(server, "/china.xml"));
    const std::string config = (dir / "feeds.toml").string();
    REQUIRE(run_feedd(dir.path(), {"--config", config, "poll", "--once"}).exit_code == 0);
    const auto second = run_feedd(dir.path(), {"--config", config, "poll", "--once", "--force"});
    CHECK(second.exit_code == 0);
    CHECK(second.out.find("not-modified, HTTP 304") != std::string::npos);
    const auto requests = server.requests("/china.xml");
    REQUIRE(requests.size() == 2);
    CHECK(requests[1].header("if-none-match") == "\"v1\"");
}

TEST_CASE("a feed that fails is reported, and the poll exits 1 without losing the others") {
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    server.route("/china.xml",
                 [&](const feedd::test::Request&) { return Response::text(feed, "application/rss+xml"); });
    server.route("/broken.xml",
                 [](const feedd::test::Request&) { return Response::with_status(500, "oops"); });
    TempDir dir;
    write_file(dir / "feeds.toml", config_for(server, "/china.xml") +
                                       "\n[[feed]]\nname = \"broken\"\nurl = \"" + server.url("/broken.xml") +
                                       "\"\n");
    const auto result = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "poll", "--once"});
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("broken: failed, HTTP 500") != std::string::npos);
    CHECK(result.out.find("cgtn-china: updated") != std::string::npos);
}

TEST_CASE("--log-level wins over feeds.toml's log_level") {
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    server.route("/china.xml",
                 [&](const feedd::test::Request&) { return Response::text(feed, "application/rss+xml"); });
    TempDir dir;
    std::string config = config_for(server, "/china.xml");
    config.insert(config.find("\n") + 1, "log_level = \"debug\"\n");
    write_file(dir / "feeds.toml", config);
    const std::string path = (dir / "feeds.toml").string();
    // The file's level alone: the fetch is logged at debug.
    const auto chatty = run_feedd(dir.path(), {"--config", path, "poll", "--force"});
    CHECK(chatty.exit_code == 0);
    CHECK(chatty.err.find("debug: cgtn-china: fetching") != std::string::npos);
    // The command line's level: nothing below an error, although the file says debug.
    const auto quiet = run_feedd(dir.path(), {"--config", path, "--log-level", "error", "poll", "--force"});
    INFO(quiet.err);
    CHECK(quiet.exit_code == 0);
    CHECK(quiet.out.find("cgtn-china: ") != std::string::npos);
    CHECK(quiet.err.find("debug: ") == std::string::npos);
    CHECK(quiet.err.find("info: ") == std::string::npos);
}

TEST_CASE("a second writer is refused while one holds the archive") {
    TempDir dir;
    write_file(dir / "feeds.toml", "[settings]\ndatabase = \"feedd.db\"\n");
    auto holder = feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_write);
    const auto result = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "poll", "--once"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("feedd") != std::string::npos);
    CHECK(result.err.find('\n') == result.err.size() - 1);  // one line
}

TEST_CASE("a second feedd run on an SQLite archive is refused with a line naming the PostgreSQL option") {
    TempDir dir;
    write_file(dir / "feeds.toml", "[settings]\ndatabase = \"feedd.db\"\n");
    auto holder = feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_write);
    const auto result = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "run"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("another feedd holds the archive") != std::string::npos);
    CHECK(result.err.find("postgresql://") != std::string::npos);
    CHECK(result.err.find('\n') == result.err.size() - 1);  // one line
}

TEST_CASE("poll --once interrupted by SIGINT keeps what was written and stops within shutdown_grace") {
    HttpServer server;
    std::promise<void> quick;
    auto quick_arrived = quick.get_future();
    std::once_flag quick_once;
    server.route("/quick.xml", [&](const Request&) {
        std::call_once(quick_once, [&] { quick.set_value(); });
        return Response::text(
            "<rss version=\"2.0\"><channel><title>quick</title><item><title>Quick item</title>"
            "<guid>q1</guid></item></channel></rss>",
            "application/rss+xml");
    });
    std::promise<void> stalled;
    auto stalled_arrived = stalled.get_future();
    std::once_flag once;
    server.route("/stalled.xml", [&](const Request&) {
        std::call_once(once, [&] { stalled.set_value(); });
        Response response;
        response.fault = Response::Fault::stall_before_headers;  // answers nothing until feedd gives up
        return response;
    });
    TempDir dir;
    write_file(dir / "feeds.toml",
               "[settings]\n"
               "database = \"feedd.db\"\n"
               "allow_private_networks = true  # the test server is on 127.0.0.1\n"
               "per_host_gap = \"0s\"\n"
               "shutdown_grace = \"1s\"\n"
               "timeout = \"5m\"\n"
               "\n"
               "[[feed]]\nname = \"quick\"\nurl = \"" +
                   server.url("/quick.xml") +
                   "\"\n"
                   "\n"
                   "[[feed]]\nname = \"stalled\"\nurl = \"" +
                   server.url("/stalled.xml") + "\"\n");
    Process poll(dir.path(), {feedd_binary(), "--config", (dir / "feeds.toml").string(), "poll", "--once"});
    // Both fetches are in flight (or the quick one done) before the interrupt.
    REQUIRE(stalled_arrived.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    REQUIRE(quick_arrived.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    poll.signal(SIGINT);
    // The interrupt is handled: in-flight work gets the 1 s grace, then the stalled fetch is cut
    // (without the handler the signal goes unseen and the poll waits for curl to give up).
    const auto result = poll.wait_for(std::chrono::seconds(60));
    REQUIRE(result);
    INFO("stderr: " << result->err);
    CHECK(result->exit_code < 128);
    CHECK(result->err.find("interrupted: finishing what is in flight") != std::string::npos);
    CHECK(archived_titles(dir / "feedd.db").count("Quick item") == 1);
}
