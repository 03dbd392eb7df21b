#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "config/helpers.hpp"
#include "config/problems.hpp"
#include "feedd/config/config.hpp"
#include "support/fixtures.hpp"

using namespace std::chrono_literals;
using feedd::Duration;
using feedd::FeedSource;
using feedd::SecretSource;
using feedd::test::problems_of;
namespace config = feedd::config;
namespace fs = std::filesystem;

namespace {

bool has_problem(const std::vector<std::string>& problems, const std::string& part) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(part) != std::string::npos; });
}

}  // namespace

TEST_CASE("the example configurations of the repository load") {
    for (const auto* relative : {"../../feeds.toml", "../../systemd/feeds.toml"}) {
        CAPTURE(relative);
        const auto cfg = config::load_config(feedd::test::fixture_path(relative));
        CHECK(cfg.feeds.size() >= 1);
        CHECK(cfg.settings.database.is_absolute());
        for (const auto& feed : cfg.feeds) CHECK(config::check_feed_url(feed.url).empty());
    }
}

TEST_CASE("every key is read") {
    const fs::path path = feedd::test::fixture_path("configs/full.toml");
    const auto cfg = config::load_config(path);
    const auto& s = cfg.settings;
    CHECK(s.database == path.parent_path() / "archive/feeds.db");
    CHECK(s.interval == Duration{2h});
    CHECK(s.min_interval == Duration{10min});
    CHECK(s.max_interval == Duration{48h});
    CHECK(s.backoff_cap == Duration{12h});
    CHECK(s.concurrency == 8);
    CHECK(s.per_host == 2);
    CHECK(s.per_host_gap == Duration{500ms});
    CHECK(s.timeout == Duration{45s});
    CHECK(s.max_body == 8 * 1024 * 1024);
    CHECK(s.keep_days == 365);
    CHECK(s.allow_private_networks);
    CHECK(s.proxy == "http://proxy.example:3128");
    CHECK(s.user_agent == "feedd-test/1.0");
    CHECK(s.log_level == "debug");
    CHECK(s.on_new == "/usr/local/bin/notify");
    CHECK(s.on_new_timeout == Duration{10s});
    CHECK(s.shutdown_grace == Duration{3s});

    REQUIRE(cfg.feeds.size() == 3);
    const FeedSource& f = cfg.feeds[0];
    CHECK(f.name == "intranet");
    CHECK(f.url == "https://intranet.example/feeds/news.xml");
    CHECK(f.title == "Intranet news");
    CHECK(f.category == "Work/Internal");
    CHECK(f.tags == std::vector<std::string>{"company", "news"});
    CHECK_FALSE(f.enabled);
    CHECK(f.interval == Duration{90min});
    CHECK(f.identity == feedd::IdentityRule::link);
    CHECK(f.user_agent == "Mozilla/5.0 (compatible; feedd)");
    CHECK(f.headers == std::vector<feedd::HttpHeader>{{"Accept-Language", "de"}, {"X-Api-Version", "2"}});
    CHECK(f.ca_file == (path.parent_path() / "certs/intranet.pem").string());
    CHECK(f.keep_days == 30);
    CHECK(f.username == "reader");
    CHECK(f.password.kind == SecretSource::Kind::file);
    CHECK(f.password.reference == (path.parent_path() / "secrets/intranet.password").string());
    CHECK(cfg.feeds[1].password.kind == SecretSource::Kind::credential);
    CHECK(cfg.feeds[1].password.reference == "vendor-password");
    CHECK(cfg.feeds[2].password.kind == SecretSource::Kind::env);
    CHECK(cfg.feeds[2].enabled);
    CHECK_FALSE(cfg.feeds[2].interval);
}

TEST_CASE("a hand-written list without settings or names loads with defaults and derived names") {
    const fs::path path = feedd::test::fixture_path("configs/feeds-only.toml");
    const auto cfg = config::load_config(path);
    CHECK(cfg.settings.database == path.parent_path() / "feedd.db");
    CHECK(cfg.settings.interval == Duration{1h});
    REQUIRE(cfg.feeds.size() == 4);
    CHECK(cfg.feeds[0].name == "example.org-blog-feed");
    CHECK(cfg.feeds[1].name == "example.org-blog-feed-2");
    CHECK(cfg.feeds[1].category == "Blogs");
    CHECK(cfg.feeds[2].name == "news.example.com-rss-section-world-lang-en");
    CHECK(cfg.feeds[3].name == "news.example.com-rss-section-asia-lang-en");
    CHECK(cfg.feeds[3].title == "World");
}

TEST_CASE("derived names never take a name written in the file") {
    const auto cfg = config::parse_config(R"(
[[feed]]
url = "https://lwn.net/"
[[feed]]
name = "lwn.net"
url = "https://lwn.net/headlines/rss"
)",
                                          "/tmp/feeds.toml");
    CHECK(cfg.feeds[0].name == "lwn.net-2");
    CHECK(cfg.feeds[1].name == "lwn.net");
}

TEST_CASE("every problem of a file is reported at once, with line and column, in file order") {
    const fs::path path = feedd::test::fixture_path("configs/many-errors.toml");
    std::vector<std::string> problems;
    try {
        config::load_config(path);
        FAIL("many-errors.toml loaded");
    } catch (const config::ConfigError& error) {
        problems = error.problems();
    }
    const std::string file = path.string() + ":";
    const std::vector<std::string> expected{
        file + "2:1: unknown key `databse` in [settings]; did you mean `database`?",
        file + "3:12: `interval` = \"1hour\" is not a duration",
        file + "4:16: `min_interval` (2d) is longer than `max_interval` (1d)",
        file + "6:15: `concurrency` is 0; it must be from 1 to 1000",
        file + "7:12: `per_host` is 0; it must be from 1 to 100",
        file + "8:11: `timeout` must be a duration string",
        file + "9:13: `log_level` = \"loud\"",
        file + "13:7: `url` \"ftp://example.org/feed\": only http and https URLs can be polled",
        file + "14:1: unknown key `intervall` in [[feed]]; did you mean `interval`?",
        file + "15:1: `password` is never written in feeds.toml",
        file + "18:8: duplicate feed name \"a\" (first at line 12)",
        file + "20:12: `identity` = \"hash\"; use auto, guid, link or content",
        file + "21:1: unknown key `concurrency` in [[feed]]; it is a setting: put it under [settings]",
        file + "24:7: duplicate feed URL http://example.org:80/feed (same as https://www.example.org/feed)",
        file + "25:13: header name \"Bad Name\" is not a valid HTTP header name",
        file + "25:36: header `Ok` must be a string, not an integer",
        file + "26:16: a password needs a `username`",
        file + "28:2: unknown key `feeds`; did you mean `feed`?",
    };
    REQUIRE(problems.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(problems[i]);
        CHECK(problems[i].starts_with(expected[i]));
    }
}

TEST_CASE("several TOML syntax errors are reported, not only the first") {
    const fs::path path = feedd::test::fixture_path("configs/syntax-errors.toml");
    std::vector<std::string> problems;
    try {
        config::load_config(path);
    } catch (const config::ConfigError& error) {
        problems = error.problems();
    }
    REQUIRE(problems.size() == 4);
    CHECK(problems[0] ==
          path.string() + ":2:15: TOML syntax error: a string is not closed (its closing quote is missing)");
    CHECK(problems[1].starts_with(path.string() + ":3:17: TOML syntax error"));
    CHECK(problems[2].starts_with(path.string() + ":5:6: TOML syntax error in table header"));
    CHECK(problems[3].starts_with(path.string() + ":11:11: TOML syntax error"));
}

TEST_CASE("a string left open is named as such, also in a file with CRLF line ends") {
    CHECK(problems_of("[[feed]]\r\nurl = \"https://b.example/\r\n") ==
          std::vector<std::string>{"/etc/feedd/feeds.toml:2:26: TOML syntax error: a string is not closed "
                                   "(its closing quote is missing)"});
}

TEST_CASE(
    "interval = \"auto\" is the default, and a feed may ask for it, or for a fixed interval, either way "
    "round") {
    const auto automatic =
        config::parse_config("[[feed]]\nurl = \"https://a.example/\"\n", "/etc/feedd/feeds.toml");
    CHECK(automatic.settings.auto_interval);
    CHECK(automatic.settings.interval == Duration{1h});  // until a feed's history is known
    CHECK_FALSE(automatic.feeds[0].interval);

    const auto mixed = config::parse_config(
        "[settings]\ninterval = \"30m\"\n"
        "[[feed]]\nurl = \"https://a.example/\"\ninterval = \"auto\"\n"
        "[[feed]]\nurl = \"https://b.example/\"\n"
        "[[feed]]\nurl = \"https://c.example/\"\ninterval = \"2h\"\n",
        "/etc/feedd/feeds.toml");
    CHECK_FALSE(mixed.settings.auto_interval);
    CHECK(mixed.settings.interval == Duration{30min});
    CHECK(mixed.feeds[0].auto_interval);
    CHECK_FALSE(mixed.feeds[1].auto_interval);
    CHECK_FALSE(mixed.feeds[1].interval);
    CHECK(mixed.feeds[2].interval == Duration{2h});
    CHECK_FALSE(mixed.feeds[2].auto_interval);

    CHECK(has_problem(
        problems_of("[settings]\ninterval = \"automatic\"\n"),
        "2:12: `interval` = \"automatic\" is not a duration; use a number and a unit: ms, s, m, h, "
        "d (\"500ms\", \"30m\", \"1h\") or \"auto\""));
    CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\ninterval = 5\n"), "or \"auto\""));
}

TEST_CASE("limits are checked") {
    CHECK(has_problem(problems_of("[settings]\nconcurrency = 1001\n"), "from 1 to 1000"));
    CHECK(problems_of("[settings]\nconcurrency = 1000\nper_host = 1\n").empty());
    CHECK(has_problem(problems_of("[settings]\nmax_body = \"100B\"\n"), "from 1KiB to 256MiB"));
    CHECK(has_problem(problems_of("[settings]\nkeep_days = -1\n"), "`keep_days` is -1"));
    CHECK(has_problem(problems_of("[settings]\nper_host = \"2\"\n"), "must be an integer, not a string"));
    CHECK(
        has_problem(problems_of("[settings]\nallow_private_networks = \"yes\"\n"), "must be true or false"));
    CHECK(
        has_problem(problems_of("[settings]\nmin_interval = \"1h\"\n[[feed]]\nurl = \"https://a.example/\"\n"
                                "interval = \"5m\"\n"),
                    "5:12: `interval` (5m) is outside min_interval..max_interval (1h..1d)"));
    CHECK(has_problem(problems_of("[settings]\nmax_body = \"16 parsecs\"\n"), "must be a size"));
    CHECK(has_problem(problems_of("[settings]\ninterval = \"2d\"\n"),
                      "2:12: `interval` (2d) is outside min_interval..max_interval (15m..1d)"));
    CHECK(has_problem(problems_of("[settings]\nmin_interval = \"2h\"\n"),
                      "1:1: `interval` (1h) is outside min_interval..max_interval (2h..1d)"));
    CHECK(has_problem(problems_of("[settings]\nproxy = \"proxy:3128\"\n"), "`proxy` must be a URL"));
}

TEST_CASE("max_body is bounded by what the archive can store") {
    // SQLite refuses values over 1e9 bytes; a body the archive cannot store is not fetched.
    CHECK(problems_of("[settings]\nmax_body = \"256MiB\"\n").empty());
    CHECK(has_problem(problems_of("[settings]\nmax_body = \"257MiB\"\n"),
                      "2:12: `max_body` must be from 1KiB to 256MiB"));
    CHECK(
        has_problem(problems_of("[settings]\nmax_body = \"4GiB\"\n"), "2:12: `max_body` must be from 1KiB"));
    CHECK(has_problem(problems_of("[settings]\nmax_body = 1000000000\n"),
                      "2:12: `max_body` must be from 1KiB"));
}

TEST_CASE("feed text holds no terminal controls: names, titles, categories, tags, URLs") {
    for (const std::string bad : {"\\u001b[31m", "\\u0007", "\\u009b2J", "\\u202e"}) {
        INFO(bad);
        CHECK(has_problem(
            problems_of("[[feed]]\nurl = \"https://a.example/\"\ncategory = \"News" + bad + "\"\n"),
            "3:12: `category` contains control characters"));
        CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\ntitle = \"T" + bad + "\"\n"),
                          "3:9: `title` contains control characters"));
        CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\ntags = [\"t" + bad + "\"]\n"),
                          "3:9: a tag contains control characters"));
        CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\nname = \"n" + bad + "\"\n"),
                          "contains control characters"));
        CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/" + bad + "\"\n"),
                          "the URL contains white space or control characters"));
    }
}

TEST_CASE("a password in a feed URL is refused without being quoted") {
    const auto problems = problems_of("[[feed]]\nurl = \"https://me:hunter2@a.example/feed\"\n");
    CHECK(has_problem(problems, "2:7: `url` \"https://a.example/feed\": the URL carries credentials"));
    for (const auto& problem : problems) CHECK(problem.find("hunter2") == std::string::npos);
}

TEST_CASE("feeds are checked") {
    CHECK(has_problem(problems_of("[[feed]]\nname = \"x\"\n"), "1:1: this [[feed]] has no `url`"));
    CHECK(has_problem(problems_of("[[feed]]\nname = \"-x\"\nurl = \"https://a.example/\"\n"),
                      "starts with '-'"));
    CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\ntags = [\"a\", 3]\n"),
                      "each tag must be a non-empty string"));
    CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\nheaders = { X = \"a\\nb\" }\n"),
                      "contains a line break"));
    CHECK(has_problem(
        problems_of("[[feed]]\nurl = \"https://a.example/\"\nusername = \"u\"\npassword_env = \"A\"\n"
                    "password_file = \"/x\"\n"),
        "give only one of"));
    CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\nusername = \"u\"\n"
                                  "password_credential = \"../x\"\n"),
                      "a credential name"));
    CHECK(has_problem(problems_of("feed = 3\n"), "[[feed]] blocks"));
    CHECK(has_problem(problems_of("settings = 3\n"), "`settings` must be a table"));
    CHECK(has_problem(
        problems_of("[[feed]]\nname = \"x\"\nurl = \"https://a.example/\"\n"
                    "[[feed]]\nname = \"y\"\nurl = \"https://A.example\"\n"),
        "6:7: duplicate feed URL https://A.example (same as https://a.example/): already feed \"x\""));
}

TEST_CASE("a missing configuration is one line naming where feedd looked") {
    feedd::test::TempDir dir;
    const fs::path old_cwd = fs::current_path();
    fs::current_path(dir.path());
    ::unsetenv("FEEDD_CONFIG");
    ::setenv("XDG_CONFIG_HOME", (dir / "xdg").c_str(), 1);
    if (!fs::exists("/etc/feedd/feeds.toml")) {
        const std::string looked = "looked for ./feeds.toml, " + (dir / "xdg/feedd/feeds.toml").string() +
                                   " and /etc/feedd/feeds.toml";
        CHECK_THROWS_WITH(config::find_config(std::nullopt), doctest::Contains(looked.c_str()));
    }
    CHECK_THROWS_WITH(config::find_config(fs::path("nowhere.toml")),
                      doctest::Contains("nowhere.toml (--config) does not exist"));
    ::setenv("FEEDD_CONFIG", "elsewhere.toml", 1);
    CHECK_THROWS_WITH(config::find_config(std::nullopt),
                      doctest::Contains("elsewhere.toml ($FEEDD_CONFIG) does not exist"));
    feedd::test::write_file_mode(dir / "elsewhere.toml", "");
    feedd::test::write_file_mode(dir / "feeds.toml", "");
    CHECK(config::find_config(std::nullopt) == dir / "elsewhere.toml");
    CHECK(config::find_config(fs::path("feeds.toml")) == dir / "feeds.toml");
    ::unsetenv("FEEDD_CONFIG");
    CHECK(config::find_config(std::nullopt) == dir / "feeds.toml");
    // The user's own comes after ./feeds.toml and before /etc/feedd/feeds.toml.
    feedd::test::write_file_mode(dir / "xdg/feedd/feeds.toml", "");
    CHECK(config::find_config(std::nullopt) == dir / "feeds.toml");
    fs::remove(dir / "feeds.toml");
    CHECK(config::find_config(std::nullopt) == dir / "xdg/feedd/feeds.toml");
    ::unsetenv("XDG_CONFIG_HOME");
    fs::current_path(old_cwd);
    CHECK_THROWS_WITH(config::load_config(dir / "missing.toml"),
                      doctest::Contains("missing.toml does not exist"));
}

TEST_CASE("files readable by others are warned about, not refused") {
    feedd::test::TempDir dir;
    feedd::test::write_file_mode(dir / "secret", "hunter2\n", 0644);
    feedd::test::write_file_mode(
        dir / "feeds.toml",
        "[[feed]]\nurl = \"https://a.example/\"\nusername = \"u\"\npassword_file = \"secret\"\n", 0644);
    auto cfg = config::load_config(dir / "feeds.toml");
    REQUIRE(cfg.warnings.size() == 2);
    CHECK(cfg.warnings[0].find("password file " + (dir / "secret").string() +
                               " is readable by other users") != std::string::npos);
    CHECK(cfg.warnings[1].find("feeds.toml is readable by other users and holds HTTP headers, user names") !=
          std::string::npos);

    ::chmod((dir / "secret").c_str(), 0600);
    ::chmod((dir / "feeds.toml").c_str(), 0640);
    cfg = config::load_config(dir / "feeds.toml");
    CHECK(cfg.warnings.empty());
    CHECK(cfg.notes.empty());
}

TEST_CASE("a readable feeds.toml without secrets is a note, a writable one a warning") {
    feedd::test::TempDir dir;
    feedd::test::write_file_mode(dir / "feeds.toml", "[[feed]]\nurl = \"https://a.example/\"\n", 0644);
    auto cfg = config::load_config(dir / "feeds.toml");
    CHECK(cfg.warnings.empty());
    REQUIRE(cfg.notes.size() == 1);
    CHECK(cfg.notes[0].find("feeds.toml is readable by other users (it holds no headers or credentials") !=
          std::string::npos);

    ::chmod((dir / "feeds.toml").c_str(), 0620);
    cfg = config::load_config(dir / "feeds.toml");
    REQUIRE(cfg.warnings.size() == 1);
    CHECK(cfg.warnings[0].find("is writable by other users, who could change what feedd runs") !=
          std::string::npos);
    CHECK(cfg.notes.empty());
}

TEST_CASE("secrets come from a file, a variable or a systemd credential") {
    feedd::test::TempDir dir;
    feedd::test::write_file_mode(dir / "password", "s3cret\n");
    CHECK(config::resolve_secret({SecretSource::Kind::file, (dir / "password").string()}) == "s3cret");

    ::setenv("FEEDD_TEST_PASSWORD", "from-env", 1);
    CHECK(config::resolve_secret({SecretSource::Kind::env, "FEEDD_TEST_PASSWORD"}) == "from-env");
    ::unsetenv("FEEDD_TEST_PASSWORD");
    CHECK_THROWS_WITH(config::resolve_secret({SecretSource::Kind::env, "FEEDD_TEST_PASSWORD"}),
                      doctest::Contains("$FEEDD_TEST_PASSWORD is not set"));

    feedd::test::write_file_mode(dir / "creds/vendor", "from-systemd");
    ::setenv("CREDENTIALS_DIRECTORY", (dir / "creds").c_str(), 1);
    CHECK(config::resolve_secret({SecretSource::Kind::credential, "vendor"}) == "from-systemd");
    ::unsetenv("CREDENTIALS_DIRECTORY");
    CHECK_THROWS_WITH(config::resolve_secret({SecretSource::Kind::credential, "vendor"}),
                      doctest::Contains("LoadCredential="));
    CHECK_THROWS_WITH(config::resolve_secret({SecretSource::Kind::file, (dir / "nope").string()}),
                      doctest::Contains("cannot read password file"));
}

TEST_CASE("a control character in any value sent in a request is a config error with line and column") {
    // Each value becomes a request line or header: a line break would inject headers.
    const std::string feed = "[[feed]]\nurl = \"https://a.example/\"\n";
    CHECK(has_problem(problems_of(feed + "user_agent = \"feedd\\r\\nX-Injected: 1\"\n"),
                      "3:14: `user_agent` contains a line break"));
    CHECK(has_problem(problems_of("[settings]\nuser_agent = \"a\\nb\"\n" + feed),
                      "2:14: `user_agent` contains a line break"));
    CHECK(has_problem(problems_of(feed + "username = \"u\\r\\nX: 1\"\npassword_env = \"P\"\n"),
                      "3:12: `username` contains a line break"));
    CHECK(has_problem(problems_of("[settings]\nproxy = \"http://p:3128/\\r\\nX: 1\"\n" + feed),
                      "2:9: `proxy` contains a line break"));
    CHECK(has_problem(problems_of(feed + "user_agent = \"a\\u0000b\"\n"), "control character (U+0000)"));
    CHECK(has_problem(problems_of(feed + "user_agent = \"a\\u001bb\"\n"), "control character (U+001B)"));
    CHECK(
        has_problem(problems_of(feed + "headers = { X-A = \"a\\u007fb\" }\n"), "control character (U+007F)"));
    CHECK(has_problem(problems_of(feed + "headers = { X-A = \"a\\rb\" }\n"), "contains a line break"));
    CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\\r\\nX: 1\"\n"),
                      "white space or control characters"));
    // A tab is allowed in a header value, and a plain value loads.
    CHECK(problems_of(feed + "user_agent = \"feedd\\tbot\"\nheaders = { X-A = \"a\\tb\" }\n").empty());
}

TEST_CASE("a category deeper than 64 folders is a config error, and deep TOML nesting is one clear error") {
    std::string deep;
    for (int i = 0; i < 65; ++i) deep += "f/";
    CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\ncategory = \"" + deep + "\"\n"),
                      "3:12: `category` has 65 folder levels; at most 64"));
    std::string ok;
    for (int i = 0; i < 64; ++i) ok += "f/";
    CHECK(problems_of("[[feed]]\nurl = \"https://a.example/\"\ncategory = \"" + ok + "\"\n").empty());
    // toml++ bounds nested arrays and inline tables itself (256 levels): an error, not a crash.
    const std::string arrays = "x = " + std::string(100'000, '[') + std::string(100'000, ']') + "\n";
    CHECK_FALSE(problems_of(arrays).empty());
    std::string tables = "x = ";
    for (int i = 0; i < 100'000; ++i) tables += "{a=";
    tables += "1" + std::string(100'000, '}') + "\n";
    CHECK_FALSE(problems_of(tables).empty());
}

TEST_CASE("a key of 200 000 dotted parts is one syntax error, not a stack overflow") {
    std::string header = "[a";
    for (int i = 0; i < 200'000; ++i) header += ".a";
    CHECK(has_problem(problems_of(header + "]\n"),
                      "1:257: TOML syntax error: a key of more than 128 dotted parts"));
    std::string dotted = "\n\na";
    for (int i = 0; i < 200'000; ++i) dotted += ".a";
    CHECK(has_problem(problems_of(dotted + " = 1\n"),
                      "3:256: TOML syntax error: a key of more than 128 dotted parts"));
    std::string table_array = "[[feed";
    for (int i = 0; i < 200'000; ++i) table_array += ".x";
    CHECK(has_problem(problems_of(table_array + "]]\n"), "a key of more than 128 dotted parts"));
    // Dots in strings, comments and values do not count.
    std::string dots(1000, '.');
    CHECK(problems_of("# " + dots + "\n[[feed]]\nurl = \"https://a.example/" + dots + "\"\nuser_agent = '" +
                      dots + "'\ntitle = \"\"\"\n" + dots + "\n\"\"\"\n")
              .empty());
}

TEST_CASE("a user's own config keeps its archive in the XDG data folder unless it names one") {
    feedd::test::TempDir dir;
    const char* home = std::getenv("HOME");
    const std::string old_home = home ? home : "";
    ::setenv("HOME", (dir / "home").c_str(), 1);
    ::unsetenv("XDG_CONFIG_HOME");
    ::unsetenv("XDG_DATA_HOME");
    CHECK(config::user_config_file() == dir / "home/.config/feedd/feeds.toml");
    CHECK(config::user_data_dir() == dir / "home/.local/share/feedd");
    // The specification ignores a relative value.
    ::setenv("XDG_DATA_HOME", "relative", 1);
    CHECK(config::user_data_dir() == dir / "home/.local/share/feedd");
    ::setenv("XDG_CONFIG_HOME", (dir / "cfg").c_str(), 1);
    ::setenv("XDG_DATA_HOME", (dir / "data").c_str(), 1);
    CHECK(config::parse_config("", dir / "cfg/feedd/feeds.toml").settings.database ==
          dir / "data/feedd/feedd.db");
    // Named, it is where the file says, relative to the file's folder.
    CHECK(config::parse_config("[settings]\ndatabase = \"x.db\"\n", dir / "cfg/feedd/feeds.toml")
              .settings.database == dir / "cfg/feedd/x.db");
    // Any other config (./feeds.toml, /etc/feedd/feeds.toml) keeps it beside itself, as before.
    CHECK(config::parse_config("", dir / "elsewhere/feeds.toml").settings.database ==
          dir / "elsewhere/feedd.db");
    CHECK(config::parse_config("", "/etc/feedd/feeds.toml").settings.database == "/etc/feedd/feedd.db");
    // The same folder reached through a symbolic link (a dotfiles checkout) is still the user's.
    std::filesystem::create_directories(dir / "cfg/feedd");
    std::filesystem::create_directory_symlink(dir / "cfg/feedd", dir / "dotfiles");
    CHECK(config::is_user_config(dir / "dotfiles/feeds.toml"));
    CHECK(config::parse_config("", dir / "dotfiles/feeds.toml").settings.database ==
          dir / "data/feedd/feedd.db");
    CHECK_FALSE(config::is_user_config(dir / "elsewhere/feeds.toml"));
    ::unsetenv("XDG_CONFIG_HOME");
    ::unsetenv("XDG_DATA_HOME");
    if (home)
        ::setenv("HOME", old_home.c_str(), 1);
    else
        ::unsetenv("HOME");
}

TEST_CASE("history: backfill_pages, backfill_bytes and a feed's backfill are read and checked") {
    const auto defaults = config::parse_config("[[feed]]\nurl = \"https://a.example/\"\n", "/tmp/feeds.toml");
    CHECK(defaults.settings.backfill_pages == 10);
    CHECK(defaults.settings.backfill_bytes == 64 * 1024 * 1024);
    CHECK(defaults.feeds[0].backfill == feedd::BackfillMode::links);

    const auto set = config::parse_config(R"([settings]
backfill_pages = 0
backfill_bytes = "8MiB"
[[feed]]
url = "https://a.example/"
backfill = "paged"
[[feed]]
url = "https://b.example/"
backfill = "off"
)",
                                          "/tmp/feeds.toml");
    CHECK(set.settings.backfill_pages == 0);
    CHECK(set.settings.backfill_bytes == 8 * 1024 * 1024);
    CHECK(set.feeds[0].backfill == feedd::BackfillMode::paged);
    CHECK(set.feeds[1].backfill == feedd::BackfillMode::off);
    // Written back as it was read (feeds add, import-opml).
    CHECK(config::format_feed(set.feeds[0]).find("backfill = \"paged\"\n") != std::string::npos);
    CHECK(config::format_feed(defaults.feeds[0]).find("backfill") == std::string::npos);

    CHECK(has_problem(problems_of("[settings]\nbackfill_pages = -1\n"),
                      "2:18: `backfill_pages` is -1; it must be from 0 to 10000"));
    CHECK(has_problem(problems_of("[settings]\nbackfill_bytes = \"lots\"\n"),
                      "2:18: `backfill_bytes` must be a size from 1KiB to 16GiB"));
    CHECK(has_problem(problems_of("[settings]\nbackfill_bytes = \"100B\"\n"), "from 1KiB to 16GiB"));
    CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\nbackfill = \"wordpress\"\n"),
                      "3:12: `backfill` = \"wordpress\"; use links, paged or off"));
}

TEST_CASE("full text: full_text and refetch_pages_after are read, checked and written back") {
    using namespace std::chrono_literals;
    const auto defaults = config::parse_config("[[feed]]\nurl = \"https://a.example/\"\n", "/tmp/feeds.toml");
    CHECK(defaults.settings.full_text == feedd::FullText::off);
    CHECK(defaults.settings.refetch_pages_after == feedd::Duration(7 * 24h));
    CHECK_FALSE(defaults.feeds[0].full_text);

    const auto set = config::parse_config(R"([settings]
full_text = "auto"
refetch_pages_after = "0"
[[feed]]
url = "https://a.example/"
full_text = "always"
[[feed]]
url = "https://b.example/"
)",
                                          "/tmp/feeds.toml");
    CHECK(set.settings.full_text == feedd::FullText::automatic);
    CHECK(set.settings.refetch_pages_after == feedd::Duration::zero());
    CHECK(set.feeds[0].full_text == feedd::FullText::always);
    CHECK_FALSE(set.feeds[1].full_text);
    CHECK(config::format_feed(set.feeds[0]).find("full_text = \"always\"\n") != std::string::npos);
    CHECK(config::format_feed(set.feeds[1]).find("full_text") == std::string::npos);

    CHECK(has_problem(problems_of("[settings]\nfull_text = \"yes\"\n"),
                      "2:13: `full_text` = \"yes\"; use off, auto or always"));
    CHECK(has_problem(problems_of("[[feed]]\nurl = \"https://a.example/\"\nfull_text = true\n"),
                      "3:13: `full_text` must be a string, not a boolean"));
    CHECK(has_problem(problems_of("[settings]\nrefetch_pages_after = \"often\"\n"),
                      "2:23: `refetch_pages_after`"));
}

TEST_CASE("[[site]] rules are read, and a rule that cannot work is an error at its line") {
    const auto cfg = config::parse_config(R"(
[[site]]
host = "News.Example"
content = "//article"
remove = ["//aside", "//*[@class='share']"]
)",
                                          "/tmp/feeds.toml");
    REQUIRE(cfg.sites.size() == 1);
    CHECK(cfg.sites[0] == feedd::SiteRule{"news.example", "//article", {"//aside", "//*[@class='share']"}});

    std::vector<std::string> problems;
    try {
        config::parse_config(R"([[site]]
host = "https://news.example/"
content = "//div["
[[site]]
host = "blog.example"
remove = "//aside"
[[site]]
content = "//main"
colour = "red"
)",
                             "/tmp/feeds.toml");
        FAIL("bad [[site]] rules loaded");
    } catch (const config::ConfigError& error) {
        problems = error.problems();
    }
    const std::vector<std::string> expected{
        "/tmp/feeds.toml:2:8: `host` must be a host name such as \"example.com\"",
        "/tmp/feeds.toml:3:11: `content` is no XPath expression: ",
        "/tmp/feeds.toml:6:10: `remove` must be a list of XPath strings",
        "/tmp/feeds.toml:7:1: a [[site]] needs a `host`",
        "/tmp/feeds.toml:9:1: unknown key `colour` in [[site]]",
    };
    REQUIRE(problems.size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CAPTURE(problems[i]);
        CHECK(problems[i].starts_with(expected[i]));
    }
}

TEST_CASE("lease: the time a node's claim on a feed lasts is read and checked like other durations") {
    using namespace std::chrono_literals;
    const auto defaults = config::parse_config("[[feed]]\nurl = \"https://a.example/\"\n", "/tmp/feeds.toml");
    CHECK(defaults.settings.lease == feedd::Duration(60s));
    const auto set = config::parse_config("[settings]\nlease = \"5s\"\n", "/tmp/feeds.toml");
    CHECK(set.settings.lease == feedd::Duration(5s));
    CHECK(has_problem(problems_of("[settings]\nlease = \"1s\"\n"), "2:9: `lease`"));
    CHECK(has_problem(problems_of("[settings]\nlease = \"soon\"\n"), "2:9: `lease`"));
}
