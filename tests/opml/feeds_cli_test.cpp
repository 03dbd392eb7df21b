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
using namespace feedd::test;

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

TEST_CASE("titles that are not ASCII leave naming to the URL") {
    const auto plan = cli::plan_import({}, opml::import_opml(read_fixture("opml/inoreader.opml")));
    REQUIRE(plan.added.size() == 4);
    CHECK(plan.added[0].name == "al-jazeera-breaking-news-world-news-and-video-from-al");  // cut at 60
    CHECK(plan.added[1].name == "nhk-world-japan-news");
    CHECK(plan.added[2].name == "people.com.cn-rss-world");
    CHECK(plan.added[2].title == "人民网 - 国际");
    CHECK(plan.added[3].name == "comics");
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
    write_file_mode(path, existing, 0640);
    const auto plan = cli::import_opml_text(path, read_fixture("opml/feedly.opml"), false);
    CHECK(plan.added.size() == 3);
    const std::string text = slurp(path);
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
    CHECK(slurp(path) == text);
    CHECK(cli::describe_import(again, path, false).find("Already present: 3") != std::string::npos);
}

TEST_CASE("import-opml --dry-run reports and writes nothing") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, existing);
    const auto plan = cli::import_opml_text(path, read_fixture("opml/quirks.opml"), true);
    CHECK(plan.added.size() == 5);
    CHECK(plan.skipped.size() == 5);
    CHECK(slurp(path) == existing);
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
    write_file_mode(path, existing);
    for (const auto* fixture : {"opml/not-xml.opml", "opml/not-opml.xml", "opml/billion-laughs.opml"}) {
        CAPTURE(fixture);
        CHECK_THROWS_AS(cli::import_opml_text(path, read_fixture(fixture), false), opml::OpmlError);
        CHECK(slurp(path) == existing);
    }
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++files;
    CHECK(files == 1);
}

TEST_CASE("import-opml of 25 000 nested outlines: one line, exit 1, feeds.toml as it was") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, existing);
    std::string xml = "<opml version=\"2.0\"><body>";
    for (int i = 0; i < 25'000; ++i) xml += "<outline text=\"f\">";
    xml += "<outline text=\"feed\" xmlUrl=\"https://a.example/feed\"/>";
    for (int i = 0; i < 25'000; ++i) xml += "</outline>";
    xml += "</body></opml>";
    write_file_mode(dir / "deep.opml", xml);
    const auto result =
        feedd_run(dir.path(), {"--config", path.string(), "import-opml", (dir / "deep.opml").string()});
    CHECK(result.status == 1);
    CHECK(result.output.find("outlines nested in more than 64 folder levels") != std::string::npos);
    CHECK(std::count(result.output.begin(), result.output.end(), '\n') == 1);
    CHECK(slurp(path) == existing);
}

TEST_CASE("an import into a feeds.toml that does not load changes nothing") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, "[settings]\nconcurency = 3\n");
    CHECK_THROWS_AS(cli::import_opml_text(path, read_fixture("opml/feedly.opml"), false),
                    config::ConfigError);
    CHECK(slurp(path) == "[settings]\nconcurency = 3\n");
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
    write_file_mode(path, existing);
    CHECK_THROWS_AS(cli::add_feed(path, "ftp://files.example/feed", "", ""), cli::UsageError);
    CHECK_THROWS_AS(cli::add_feed(path, "https://ok.example/", "-bad", ""), cli::UsageError);
    CHECK_THROWS_WITH(cli::add_feed(path, "http://www.lwn.net/headlines/rss", "", ""),
                      doctest::Contains("already configured as feed \"lwn\""));
    CHECK_THROWS_WITH(cli::add_feed(path, "https://other.example/", "lwn", ""),
                      doctest::Contains("a feed named \"lwn\" exists already"));
    CHECK(slurp(path) == existing);

    const auto added =
        cli::add_feed(path, "https://www.cgtn.com/subscribe/rss/section/china.xml", "", "News/Asia");
    CHECK(added.name == "cgtn.com-subscribe-rss-section-china");
    const auto cfg = config::load_config(path);
    REQUIRE(cfg.feeds.size() == 2);
    CHECK(cfg.feeds[1] == added);
    CHECK(cfg.feeds[1].category == "News/Asia");
    CHECK(slurp(path).starts_with(existing));
}

TEST_CASE("feeds list shows the archive's view and never credentials") {
    TempDir dir;
    write_file_mode(dir / "feeds.toml", R"([[feed]]
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
    feedd::store::FeedSummary failing;
    failing.name = "private";
    failing.articles = 12;
    failing.state.name = "private";
    failing.state.last_poll =
        std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + std::chrono::hours{18};
    failing.state.next_poll = *failing.state.last_poll + std::chrono::hours{2};
    failing.state.last_status = 503;
    failing.state.last_error = "HTTP 503 Service Unavailable";
    failing.state.consecutive_failures = 3;
    failing.recent_gaps = 2;  // polls that came too late, in the last 30 days
    failing.recent_gap_items = 15;
    feedd::store::FeedSummary removed;
    removed.name = "old";
    removed.url = "https://old.example/rss";
    removed.configured = false;
    removed.articles = 40;
    removed.state.last_poll = failing.state.last_poll;

    const auto rows = cli::feed_rows(cfg, {removed, failing});
    REQUIRE(rows.size() == 4);
    CHECK(to_string(rows[0].status) == "failing");
    CHECK(to_string(rows[1].status) == "disabled");
    CHECK(to_string(rows[2].status) == "new");
    CHECK(to_string(rows[3].status) == "removed");
    CHECK_FALSE(rows[3].configured);

    const std::string table = cli::feeds_table(rows);
    CHECK(table.starts_with(
        "NAME     STATUS          ARTICLES  GAPS     LAST POLL             NEXT POLL          "
        "   CATEGORY  URL"));
    CHECK(table.find("private  failing (3)     12        2 (~15)  2026-11-28T18:00:00Z  2026-11-28T20:00:00Z "
                     " Work      "
                     "https://intranet.example/rss  HTTP 503 Service Unavailable\n") != std::string::npos);
    // A feed never polled says so in words (the widest status, so the column is that wide).
    CHECK(table.find("not polled yet  0 ") != std::string::npos);
    CHECK(table.find("old      removed         40        -        2026-11-28T18:00:00Z  -                    "
                     " -         "
                     "https://old.example/rss") != std::string::npos);

    const std::string json = cli::feeds_json(rows);
    CHECK(json.find("\"error\": \"HTTP 503 Service Unavailable\"") != std::string::npos);
    CHECK(json.find("\"next_poll\": \"2026-11-28T20:00:00Z\"") != std::string::npos);
    CHECK(json.find("\"articles\": 12") != std::string::npos);
    CHECK(json.find("\"gaps_30d\": 2") != std::string::npos);
    CHECK(json.find("\"gap_items_30d\": 15") != std::string::npos);
    for (const auto& output : {table, json}) {
        CHECK(output.find("jane") == std::string::npos);
        CHECK(output.find("INTRANET_SECRET_VARIABLE") == std::string::npos);
        CHECK(output.find("do-not-print-me") == std::string::npos);
    }
}

TEST_CASE("export takes titles and site links from the archive and marks gone feeds") {
    TempDir dir;
    write_file_mode(dir / "feeds.toml",
                    existing + "\n[[feed]]\nname = \"dead\"\nurl = \"https://dead.example/\"\n");
    const auto cfg = config::load_config(dir / "feeds.toml");
    feedd::store::FeedSummary lwn;
    lwn.name = "lwn";
    lwn.title = "LWN.net";
    lwn.site_link = "https://lwn.net/";
    feedd::store::FeedSummary dead;
    dead.name = "dead";
    dead.state.gone = true;
    const auto feeds = cli::export_feeds(cfg, {dead, lwn});
    REQUIRE(feeds.size() == 2);
    CHECK_FALSE(feeds[0].disabled);
    CHECK(feeds[0].feed_title == "LWN.net");
    CHECK(feeds[0].site_link == "https://lwn.net/");
    CHECK(feeds[1].disabled);
}

TEST_CASE("feeds list right after writing a config lists the configured feeds, with no archive yet") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, existing);
    for (const char* format : {"table", "json"}) {
        CAPTURE(format);
        const auto listed =
            feedd_run(dir.path(), {"--config", path.string(), "feeds", "list", "--format", format});
        CHECK(listed.status == 0);
        CHECK(listed.output.find("lwn") != std::string::npos);
        CHECK(listed.output.find("no archive") == std::string::npos);
        CHECK(listed.output.find(std::string(format) == "json" ? "\"new\"" : "not polled yet") !=
              std::string::npos);
    }
    // Listing created nothing.
    CHECK_FALSE(fs::exists(config::load_config(path).settings.database));
}

TEST_CASE("the feedd binary: import-opml, export-opml, feeds add and remove") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, existing);
    const auto feedd = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", path.string()});
        return feedd_run(dir.path(), std::move(args));
    };

    auto result = feedd({"import-opml", "--dry-run", feedd::test::fixture_path("opml/inoreader.opml")});
    CHECK(result.status == 0);
    CHECK(result.output.find("Would add 4 feeds") != std::string::npos);
    CHECK(slurp(path) == existing);

    result = feedd({"import-opml", feedd::test::fixture_path("opml/not-opml.xml")});
    CHECK(result.status == 1);
    CHECK(result.output.find("not-opml.xml: not OPML: the root element is <rss>") != std::string::npos);
    CHECK(slurp(path) == existing);

    result = feedd({"import-opml", feedd::test::fixture_path("opml/inoreader.opml")});
    CHECK(result.status == 0);
    CHECK(result.output.find("Added 4 feeds") != std::string::npos);
    CHECK(result.output.find("systemctl reload feedd") != std::string::npos);

    result = feedd({"export-opml", "-o", dir / "out.opml"});
    CHECK(result.status == 0);
    const auto exported = opml::import_opml(slurp(dir / "out.opml"));
    CHECK(exported.feeds.size() == 5);
    CHECK(exported.feeds[0].name == "lwn");

    result = feedd({"feeds", "add", "--no-discover", "https://planet.debian.org/rss20.xml", "--name",
                    "planet-debian", "--category", "Tech"});
    CHECK(result.status == 0);
    CHECK(by_name(config::load_config(path).feeds, "planet-debian").category == "Tech");

    result = feedd({"feeds", "add", "gopher://old.example/"});
    CHECK(result.status == 2);

    result = feedd({"feeds", "remove", "planet-debian"});
    CHECK(result.status == 0);
    CHECK(result.output.find("its articles stay in the archive") != std::string::npos);
    CHECK(config::load_config(path).feeds.size() == 5);

    result = feedd({"feeds", "disable", "lwn"});
    CHECK(result.status == 0);
    CHECK_FALSE(by_name(config::load_config(path).feeds, "lwn").enabled);
    CHECK(slurp(path).find("url = \"https://lwn.net/headlines/rss\"   # the best") != std::string::npos);
}

TEST_CASE("the first import creates the feeds.toml named by --config") {
    TempDir dir;
    const auto result = feedd_run(dir.path(), {"--config", dir / "new.toml", "import-opml",
                                               feedd::test::fixture_path("opml/miniflux.opml")});
    CHECK(result.status == 0);
    const auto cfg = config::load_config(dir / "new.toml");
    CHECK(cfg.feeds.size() == 4);
    CHECK(cfg.settings.database == dir / "feedd.db");
}

TEST_CASE("feeds list, export-opml and feeds enable read and reset what the archive learned") {
    TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, existing + "\n[[feed]]\nname = \"dead\"\nurl = \"https://dead.example/rss\"\n");
    const auto cfg = config::load_config(path);
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    {
        auto archive = feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_write);
        archive.sync_feeds(cfg.feeds);
        feedd::ParsedFeed parsed;
        parsed.format = feedd::FeedFormat::rss20;
        parsed.title = "LWN.net";
        parsed.link = "https://lwn.net/";
        feedd::Entry entry;
        entry.id = "a1";
        entry.title = "Kernel news";
        entry.link = "https://lwn.net/Articles/1/";
        parsed.entries = {entry};
        feedd::FeedState ok;
        ok.name = "lwn";
        ok.last_poll = ok.last_success = now;
        ok.next_poll = now + std::chrono::hours{1};
        ok.last_status = 200;
        archive.commit_poll(cfg.feeds[0], &parsed, ok, now);
        feedd::FeedState gone;
        gone.name = "dead";
        gone.last_poll = now;
        gone.last_status = 410;
        gone.last_error = "HTTP 410 Gone";
        gone.consecutive_failures = 1;
        gone.gone = true;
        gone.configured_url = cfg.feeds[1].url;
        archive.commit_poll(cfg.feeds[1], nullptr, gone, now);
    }
    const auto feedd = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--config", path.string()});
        return feedd_run(dir.path(), std::move(args));
    };

    auto result = feedd({"feeds", "list"});
    CHECK(result.status == 0);
    CHECK(result.output.find("lwn   ok      1 ") != std::string::npos);
    CHECK(result.output.find("dead  gone    0 ") != std::string::npos);
    CHECK(result.output.find("HTTP 410 Gone") != std::string::npos);

    result = feedd({"feeds", "list", "--format", "json"});
    CHECK(result.status == 0);
    CHECK(result.output.find("\"title\": \"LWN.net\"") != std::string::npos);
    CHECK(result.output.find("\"status\": \"gone\"") != std::string::npos);

    result = feedd({"export-opml"});
    CHECK(result.status == 0);
    const auto exported = opml::import_opml(result.output);
    REQUIRE(exported.feeds.size() == 2);
    CHECK(exported.feeds[0].site_link == "https://lwn.net/");
    CHECK(exported.feeds[1].name == "dead");
    CHECK_FALSE(exported.feeds[1].enabled);

    {
        // While a daemon holds the archive, what it learned cannot be reset: say so, change nothing.
        auto daemon = feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_write);
        const std::string before = slurp(path);
        result = feedd({"feeds", "enable", "dead"});
        CHECK(result.status == 1);
        CHECK(result.output.find("stop the daemon") != std::string::npos);
        CHECK(slurp(path) == before);
    }
    result = feedd({"feeds", "enable", "dead"});
    CHECK(result.status == 0);
    const auto state =
        feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_only).feed_state("dead");
    CHECK_FALSE(state.gone);
    CHECK(state.consecutive_failures == 0);

    result = feedd({"--db", dir / "missing.db", "feeds", "list"});
    CHECK(result.status == 1);
    CHECK_FALSE(fs::exists(dir / "missing.db"));
}
