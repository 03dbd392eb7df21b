// `feedd feeds add URL` on a web page: the feeds it advertises, else the usual paths.
#include <doctest/doctest.h>

#include "feedd/config/config.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;

namespace {

std::string page(const std::string& links) {
    return "<!doctype html><html><head><title>Site</title>" + links + "</head><body>hi</body></html>";
}

struct Site {
    HttpServer server;
    TempDir dir;
    std::string config = (dir / "feeds.toml").string();
    Site() {
        write_file(dir / "feeds.toml",
                   "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\n");
        serve_fixture(server, "/china.xml", "cgtn-china.rss");
        serve_fixture(server, "/politics.atom", "cgtn-politics.atom", "application/atom+xml");
    }
    std::vector<feedd::FeedSource> feeds() const { return feedd::config::load_config(config).feeds; }
};

}  // namespace

TEST_CASE("a page with one advertised feed adds that feed") {
    Site site;
    site.server.route("/", [](const feedd::test::Request&) {
        return Response::text(
            page(R"(<link rel="alternate" type="application/rss+xml" title="China" href="/china.xml">)"),
            "text/html");
    });
    const auto result =
        run_feedd(site.dir.path(), {"--config", site.config, "feeds", "add", site.server.url("/")});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    REQUIRE(site.feeds().size() == 1);
    CHECK(site.feeds()[0].url == site.server.url("/china.xml"));
}

TEST_CASE("a page with two advertised feeds lists both and adds none") {
    Site site;
    site.server.route("/", [](const feedd::test::Request&) {
        return Response::text(page(R"(<link rel="alternate" type="application/rss+xml" href="/china.xml">
<link rel="alternate" type="application/atom+xml" href="/politics.atom">)"),
                              "text/html");
    });
    const auto result =
        run_feedd(site.dir.path(), {"--config", site.config, "feeds", "add", site.server.url("/")});
    CHECK(result.exit_code == 1);
    CHECK(result.out.find(site.server.url("/china.xml")) != std::string::npos);
    CHECK(result.out.find(site.server.url("/politics.atom")) != std::string::npos);
    CHECK(site.feeds().empty());
}

TEST_CASE("a page with no feed links falls back to the usual paths") {
    Site site;
    site.server.route("/", [](const feedd::test::Request&) { return Response::text(page(""), "text/html"); });
    serve_fixture(site.server, "/rss.xml", "cgtn-china.rss");
    const auto result =
        run_feedd(site.dir.path(), {"--config", site.config, "feeds", "add", site.server.url("/")});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 0);
    REQUIRE(site.feeds().size() == 1);
    CHECK(site.feeds()[0].url == site.server.url("/rss.xml"));
}

TEST_CASE("a page with no feed anywhere is a one-line error and changes nothing") {
    Site site;
    site.server.route("/", [](const feedd::test::Request&) { return Response::text(page(""), "text/html"); });
    const auto result =
        run_feedd(site.dir.path(), {"--config", site.config, "feeds", "add", site.server.url("/")});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("no feed there") != std::string::npos);
    CHECK(site.feeds().empty());
}

TEST_CASE("a feed URL is added as it is") {
    Site site;
    const auto result =
        run_feedd(site.dir.path(), {"--config", site.config, "feeds", "add", site.server.url("/china.xml")});
    CHECK(result.exit_code == 0);
    REQUIRE(site.feeds().size() == 1);
    CHECK(site.feeds()[0].url == site.server.url("/china.xml"));
}
