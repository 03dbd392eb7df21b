// A feed's credentials (basic auth and custom headers) go only to the origin feeds.toml gives
// it, also when a confirmed permanent redirect moved the feed elsewhere.
#include <doctest/doctest.h>

#include "feedd/config/config.hpp"
#include "feedd/store/store.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;

namespace {

// A feed with alice's credentials: a password and a header.
std::string feed_with_credentials(const std::string& name, const std::string& url) {
    return feed_block(name, url,
                      "username = \"alice\"\npassword_env = \"FEED_PASSWORD\"\n"
                      "headers = { \"X-Api-Key\" = \"key-of-alice\" }\n");
}

// The archive as after three permanent redirects over a day: each feed polled at `moved_to`.
void adopt(const std::filesystem::path& config_path, const std::map<std::string, std::string>& moved_to) {
    const auto config = feedd::config::load_config(config_path);
    auto archive = feedd::store::Archive::open(config.settings.database, feedd::store::OpenMode::read_write);
    archive.sync_feeds(config.feeds);
    for (const auto& feed : config.feeds) {
        auto state = archive.feed_state(feed.name);
        state.configured_url = feed.url;
        state.moved_to = moved_to.at(feed.name);
        archive.set_feed_state(state);
    }
}

}  // namespace

TEST_CASE("credentials and headers never reach the origin a feed was moved to, only its own") {
    const std::string rss = read_fixture("cgtn-china.rss");
    auto serve = [&rss](const Request&) { return Response::text(rss, "application/rss+xml"); };
    HttpServer configured;  // the origin feeds.toml names
    HttpServer other;       // another port: another origin
    configured.route("/moved.xml", serve);
    other.route("/feed.xml", serve);
    TempDir dir;
    write_file(dir / "feeds.toml", "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n" +
                                       feed_with_credentials("elsewhere", configured.url("/feed.xml")) +
                                       feed_with_credentials("same-origin", configured.url("/old.xml")));
    adopt(dir / "feeds.toml",
          {{"elsewhere", other.url("/feed.xml")}, {"same-origin", configured.url("/moved.xml")}});

    const auto poll = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "poll", "--once"},
                                {{"FEED_PASSWORD", "hunter2"}});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);

    const auto at_other = other.requests("/feed.xml");
    REQUIRE(at_other.size() == 1);
    CHECK_FALSE(at_other[0].has_header("authorization"));
    CHECK_FALSE(at_other[0].has_header("x-api-key"));
    // The same origin, at another path, still gets them.
    const auto at_configured = configured.requests("/moved.xml");
    REQUIRE(at_configured.size() == 1);
    CHECK(at_configured[0].header("authorization") == "Basic YWxpY2U6aHVudGVyMg==");  // alice:hunter2
    CHECK(at_configured[0].header("x-api-key") == "key-of-alice");

    // The operator sees why the moved feed goes without them.
    const auto listed = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "feeds", "list"});
    REQUIRE(listed.exit_code == 0);
    std::istringstream lines(listed.out);
    bool elsewhere_said = false, same_origin_silent = false;
    for (std::string line; std::getline(lines, line);) {
        const bool withheld = line.find("credentials not sent to the new origin") != std::string::npos;
        if (line.starts_with("elsewhere ")) elsewhere_said = withheld;
        if (line.starts_with("same-origin ")) same_origin_silent = !withheld;
    }
    CHECK(elsewhere_said);
    CHECK(same_origin_silent);
}
