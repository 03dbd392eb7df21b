// The feed-list commands: import-opml, export-opml, feeds list|add|remove, as functions and as
// the feedd binary.
#include <doctest/doctest.h>

#include <algorithm>

#include "cli/cmd_feeds.hpp"
#include "cli/common.hpp"
#include "config/helpers.hpp"
#include "support/fixtures.hpp"

namespace cli = feedd::cli;
namespace config = feedd::config;
namespace opml = feedd::opml;
namespace fs = std::filesystem;
using feedd::FeedSource;
using feedd::FeedState;
using feedd::test::quote;
using feedd::test::read_file;
using feedd::test::read_fixture;
using feedd::test::run_feedd;
using feedd::test::TempDir;
using feedd::test::write_file;

namespace {

const std::string existing = R"(# Jane's feeds — comments must survive an import.
[settings]
database = "feedd.db"

[[feed]]
name = "lwn"
url = "https://lwn.net/headlines/rss"   # the best
category = "Tech"
)";

const FeedSource& by_name(const std::vector<FeedSource>& feeds, const std::string& name) {
    const auto it =
        std::find_if(feeds.begin(), feeds.end(), [&](const FeedSource& f) { return f.name == name; });
    if (it == feeds.end()) throw std::runtime_error("no feed " + name);
    return *it;
}

}  // namespace

TEST_CASE("an import names new feeds after their titles and skips what is configured already") {
    FeedSource lwn;
    lwn.name = "lwn";
    lwn.url = "https://lwn.net/headlines/rss";
    FeedSource taken;
    taken.name = "debian-news";
    taken.url = "https://taken.example/";
    const auto plan = cli::plan_import({lwn, taken}, opml::import_opml(read_fixture("opml/newsboat.opml")));
    REQUIRE(plan.present.size() == 1);
    CHECK(plan.present[0].name == "lwn");
    REQUIRE(plan.added.size() == 3);
    CHECK(plan.added[0].name == "debian-news-2");  // "Debian News", but that name is taken
    CHECK(plan.added[0].title == "Debian News");
    CHECK(plan.added[1].name == "xkcd-com");
    CHECK(plan.added[2].name == "c-friends");
    CHECK(plan.skipped.empty());
}

TEST_CASE("an import compares URLs the way the configuration does") {
    FeedSource cgtn;
    cgtn.name = "cgtn";
    cgtn.url = "http://cgtn.com/subscribe/rss/section/china.xml";
    const auto plan = cli::plan_import({cgtn}, opml::import_opml(read_fixture("opml/miniflux.opml")));
    REQUIRE(plan.present.size() == 1);
    CHECK(plan.present[0].url == "https://www.cgtn.com/subscribe/rss/section/china.xml");
    CHECK(plan.present[0].name == "cgtn");
    CHECK(plan.added.size() == 3);
}

TEST_CASE("import-opml appends to feeds.toml, keeping what was there") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file(path, existing, 0640);
    const auto plan = cli::import_opml_text(path, read_fixture("opml/feedly.opml"), false);
    CHECK(plan.added.size() == 3);
    const std::string text = read_file(path);
    CHECK(text.starts_with(existing));
    const auto cfg = config::load_config(path);
    REQUIRE(cfg.feeds.size() == 4);
    const auto& verge = by_name(cfg.feeds, "the-verge");
    CHECK(verge.url == "https://www.theverge.com/rss/index.xml");
    CHECK(verge.category == "Tech");
    CHECK(verge.tags == std::vector<std::string>{"Must Read"});
    CHECK(by_name(cfg.feeds, "quanta-magazine").category == "Science");

    const std::string report = cli::describe_import(plan, path, false);
    CHECK(report.find("Added 3 feeds to " + path.string()) != std::string::npos);
    CHECK(report.find("  + the-verge  https://www.theverge.com/rss/index.xml  [Tech]") != std::string::npos);
    CHECK(report.find("systemctl reload feedd") != std::string::npos);

    // The same file again: all present, nothing written.
    const auto again = cli::import_opml_text(path, read_fixture("opml/feedly.opml"), false);
    CHECK(again.added.empty());
    CHECK(again.present.size() == 3);
    CHECK(read_file(path) == text);
    CHECK(cli::describe_import(again, path, false).find("Already present: 3") != std::string::npos);
}

TEST_CASE("import-opml --dry-run reports and writes nothing") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file(path, existing);
    const auto plan = cli::import_opml_text(path, read_fixture("opml/quirks.opml"), true);
    CHECK(plan.added.size() == 5);
    CHECK(plan.skipped.size() == 5);
    CHECK(read_file(path) == existing);
    const std::string report = cli::describe_import(plan, path, true);
    CHECK(report.find("Would add 5 feeds") != std::string::npos);
    CHECK(report.find("  - Gopher hole: not an http(s) URL: gopher://gopher.example/feed") !=
          std::string::npos);
    CHECK(report.find("Dry run: " + path.string() + " was not changed.") != std::string::npos);
    CHECK(report.find("systemctl") == std::string::npos);
}

TEST_CASE("bad OPML leaves feeds.toml as it was") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file(path, existing);
    for (const auto* fixture : {"opml/not-xml.opml", "opml/not-opml.xml", "opml/billion-laughs.opml"}) {
        CAPTURE(fixture);
        CHECK_THROWS_AS(cli::import_opml_text(path, read_fixture(fixture), false), opml::OpmlError);
        CHECK(read_file(path) == existing);
    }
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++files;
    CHECK(files == 1);
}

TEST_CASE("an import into a feeds.toml that does not load changes nothing") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file(path, "[settings]\nconcurency = 3\n");
    CHECK_THROWS_AS(cli::import_opml_text(path, read_fixture("opml/feedly.opml"), false),
                    config::ConfigError);
    CHECK(read_file(path) == "[settings]\nconcurency = 3\n");
}

TEST_CASE("round trip through feeds.toml: import, export, import gives the same feed list") {
    for (const auto* fixture : {"opml/newsboat.opml", "opml/miniflux.opml", "opml/freshrss.opml",
                                "opml/feedly.opml", "opml/inoreader.opml", "opml/quirks.opml"}) {
        CAPTURE(fixture);
        TempDir dir;
        cli::import_opml_text(dir / "first.toml", read_fixture(fixture), false);
        auto first = config::load_config(dir / "first.toml");
        REQUIRE_FALSE(first.feeds.empty());
        // A disabled feed stays disabled through the trip.
        config::set_feed_enabled(dir / "first.toml", first.feeds[0].name, false);
        first = config::load_config(dir / "first.toml");

        const std::string xml = opml::export_opml(cli::export_feeds(first, {}), {});
        cli::import_opml_text(dir / "second.toml", xml, false);
        const auto second = config::load_config(dir / "second.toml");
        CHECK(second.feeds == first.feeds);
        CHECK(opml::export_opml(cli::export_feeds(second, {}), {}) == xml);
    }
}

TEST_CASE("feeds add validates the URL, derives a name and refuses duplicates") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file(path, existing);
    CHECK_THROWS_AS(cli::add_feed(path, "ftp://files.example/feed", "", ""), cli::UsageError);
    CHECK_THROWS_AS(cli::add_feed(path, "https://ok.example/", "-bad", ""), cli::UsageError);
    CHECK_THROWS_WITH(cli::add_feed(path, "http://www.lwn.net/headlines/rss", "", ""),
                      doctest::Contains("already configured as feed \"lwn\""));
    CHECK_THROWS_WITH(cli::add_feed(path, "https://other.example/", "lwn", ""),
                      doctest::Contains("a feed named \"lwn\" exists already"));
    CHECK(read_file(path) == existing);

    const auto added =
        cli::add_feed(path, "https://www.cgtn.com/subscribe/rss/section/china.xml", "", "News/Asia");
    CHECK(added.name == "cgtn.com-subscribe-rss-section-china");
    const auto cfg = config::load_config(path);
    REQUIRE(cfg.feeds.size() == 2);
    CHECK(cfg.feeds[1] == added);
    CHECK(cfg.feeds[1].category == "News/Asia");
    CHECK(read_file(path).starts_with(existing));
}

TEST_CASE("feeds list shows the archive's view and never credentials") {
    TempDir dir;
    write_file(dir / "feeds.toml", R"([[feed]]
name = "private"
url = "https://intranet.example/rss"
category = "Work"
username = "jane"
password_env = "INTRANET_SECRET_VARIABLE"
headers = { X-Api-Key = "do-not-print-me" }

[[feed]]
name = "paused"
url = "https://paused.example/rss"
enabled = false

[[feed]]
name = "fresh"
url = "https://fresh.example/rss"
)");
    const auto cfg = config::load_config(dir / "feeds.toml");
    FeedState failing;
    failing.name = "private";
    failing.last_poll = std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + std::chrono::hours{18};
    failing.next_poll = *failing.last_poll + std::chrono::hours{2};
    failing.last_status = 503;
    failing.last_error = "HTTP 503 Service Unavailable";
    failing.consecutive_failures = 3;
    FeedState removed;
    removed.name = "old";
    removed.configured_url = "https://old.example/rss";
    removed.last_poll = failing.last_poll;

    const auto rows = cli::feed_rows(cfg, {removed, failing});
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].status == "failing");
    CHECK(rows[1].status == "disabled");
    CHECK(rows[2].status == "new");
    CHECK(rows[3].status == "removed");
    CHECK_FALSE(rows[3].configured);

    const std::string table = cli::feeds_table(rows);
    CHECK(
        table.starts_with("NAME     STATUS       LAST POLL             NEXT POLL             CATEGORY  URL"));
    CHECK(table.find("private  failing (3)  2026-11-28T18:00:00Z  2026-11-28T20:00:00Z  Work      "
                     "https://intranet.example/rss  HTTP 503 Service Unavailable\n") != std::string::npos);
    CHECK(table.find("old      removed") != std::string::npos);

    const std::string json = cli::feeds_json(rows);
    CHECK(json.find("\"error\": \"HTTP 503 Service Unavailable\"") != std::string::npos);
    CHECK(json.find("\"next_poll\": \"2026-11-28T20:00:00Z\"") != std::string::npos);
    for (const auto& output : {table, json}) {
        CHECK(output.find("jane") == std::string::npos);
        CHECK(output.find("INTRANET_SECRET_VARIABLE") == std::string::npos);
        CHECK(output.find("do-not-print-me") == std::string::npos);
    }
}

TEST_CASE("export marks disabled and gone feeds") {
    TempDir dir;
    write_file(dir / "feeds.toml",
               existing + "\n[[feed]]\nname = \"dead\"\nurl = \"https://dead.example/\"\n");
    const auto cfg = config::load_config(dir / "feeds.toml");
    FeedState gone;
    gone.name = "dead";
    gone.gone = true;
    const auto feeds = cli::export_feeds(cfg, {gone});
    REQUIRE(feeds.size() == 2);
    CHECK_FALSE(feeds[0].disabled);
    CHECK(feeds[1].disabled);
}

TEST_CASE("the feedd binary: import-opml, export-opml, feeds add and remove") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file(path, existing);
    const std::string config = "--config " + quote(path) + " ";

    auto result = run_feedd(config + "import-opml --dry-run " +
                            quote(feedd::test::fixture_path("opml/inoreader.opml")));
    CHECK(result.status == 0);
    CHECK(result.output.find("Would add 4 feeds") != std::string::npos);
    CHECK(read_file(path) == existing);

    result = run_feedd(config + "import-opml " + quote(feedd::test::fixture_path("opml/not-opml.xml")));
    CHECK(result.status == 1);
    CHECK(result.output.find("not-opml.xml: not OPML: the root element is <rss>") != std::string::npos);
    CHECK(read_file(path) == existing);

    result = run_feedd(config + "import-opml " + quote(feedd::test::fixture_path("opml/inoreader.opml")));
    CHECK(result.status == 0);
    CHECK(result.output.find("Added 4 feeds") != std::string::npos);
    CHECK(result.output.find("systemctl reload feedd") != std::string::npos);

    result = run_feedd(config + "export-opml -o " + quote(dir / "out.opml"));
    CHECK(result.status == 0);
    const auto exported = opml::import_opml(read_file(dir / "out.opml"));
    CHECK(exported.feeds.size() == 5);
    CHECK(exported.feeds[0].name == "lwn");

    result = run_feedd(config +
                       "feeds add https://planet.debian.org/rss20.xml --name planet-debian --category Tech");
    CHECK(result.status == 0);
    CHECK(by_name(config::load_config(path).feeds, "planet-debian").category == "Tech");

    result = run_feedd(config + "feeds add gopher://old.example/");
    CHECK(result.status == 2);

    result = run_feedd(config + "feeds remove planet-debian --purge");
    CHECK(result.status == 1);
    CHECK(result.output.find("not supported yet") != std::string::npos);
    CHECK(config::load_config(path).feeds.size() == 6);

    result = run_feedd(config + "feeds remove planet-debian");
    CHECK(result.status == 0);
    CHECK(result.output.find("its articles stay in the archive") != std::string::npos);
    CHECK(config::load_config(path).feeds.size() == 5);

    result = run_feedd(config + "feeds disable lwn");
    CHECK(result.status == 0);
    CHECK_FALSE(by_name(config::load_config(path).feeds, "lwn").enabled);
    CHECK(read_file(path).find("url = \"https://lwn.net/headlines/rss\"   # the best") != std::string::npos);
}

TEST_CASE("the first import creates the feeds.toml named by --config") {
    TempDir dir;
    const auto result = run_feedd("--config " + quote(dir / "new.toml") + " import-opml " +
                                  quote(feedd::test::fixture_path("opml/miniflux.opml")));
    CHECK(result.status == 0);
    const auto cfg = config::load_config(dir / "new.toml");
    CHECK(cfg.feeds.size() == 4);
    CHECK(cfg.settings.database == dir / "feedd.db");
}
