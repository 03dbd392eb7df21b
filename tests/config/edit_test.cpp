#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "config/helpers.hpp"
#include "feedd/config/config.hpp"

using namespace std::chrono_literals;
using feedd::FeedSource;
namespace config = feedd::config;
namespace fs = std::filesystem;
using feedd::test::slurp;
using feedd::test::write_file_mode;

namespace {

const std::string original = R"(# My feeds. Keep this comment!
[settings]
database = "feeds.db"   # next to this file

# the main one
[[feed]]
name = "lwn"
url = "https://lwn.net/headlines/rss"
[feed.headers]
Accept-Language = "en"

[[feed]]
name = "bbc"
url = "https://feeds.bbci.co.uk/news/rss.xml"
# tags = ["later"]
)";

mode_t mode_of(const fs::path& path) {
    struct stat info {};
    ::stat(path.c_str(), &info);
    return info.st_mode & 07777;
}

}  // namespace

TEST_CASE("appended feeds leave the existing text as it was and read back the same") {
    feedd::test::TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, original, 0640);

    FeedSource odd;
    odd.name = "quotes \"and\" \\backslashes\\";
    odd.url = "https://example.org/feed?a=1&b=\"2\"";
    odd.title = "Zeitung — \"Nachrichten\"\tmit Tab";
    odd.category = "News/Europe";
    odd.tags = {"de", "a \"tag\""};
    odd.enabled = false;
    odd.interval = feedd::Duration{90min};
    odd.identity = feedd::IdentityRule::guid;
    odd.headers = {{"X-Token-Name", "value with = and \""}};
    odd.username = "reader";
    odd.password = {feedd::SecretSource::Kind::env, "READER_PASSWORD"};
    FeedSource plain;
    plain.name = "plain";
    plain.url = "https://plain.example/rss";
    plain.auto_interval = true;

    config::append_feeds(path, {odd, plain});
    const std::string text = slurp(path);
    CHECK(text.starts_with(original));
    CHECK(mode_of(path) == 0640);

    const auto cfg = config::load_config(path);
    REQUIRE(cfg.feeds.size() == 4);
    CHECK(cfg.feeds[0].headers == std::vector<feedd::HttpHeader>{{"Accept-Language", "en"}});
    CHECK(cfg.feeds[2] == odd);
    CHECK(cfg.feeds[3] == plain);
}

TEST_CASE("an append that would break the file writes nothing") {
    feedd::test::TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, original);
    FeedSource duplicate;
    duplicate.name = "lwn-again";
    duplicate.url = "http://www.lwn.net/headlines/rss";
    CHECK_THROWS_AS(config::append_feeds(path, {duplicate}), config::ConfigError);
    CHECK(slurp(path) == original);

    write_file_mode(path, "[settings]\nconcurrency = 0\n");
    FeedSource fine;
    fine.name = "fine";
    fine.url = "https://fine.example/";
    CHECK_THROWS_AS(config::append_feeds(path, {fine}), config::ConfigError);
    CHECK(slurp(path) == "[settings]\nconcurrency = 0\n");
    CHECK(fs::directory_iterator(dir.path()) != fs::directory_iterator());
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir.path())) ++files;
    CHECK(files == 1);  // no temporary file left behind
}

TEST_CASE("a file without a final newline gets one before the appended block") {
    feedd::test::TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, "# only a comment");
    FeedSource feed;
    feed.name = "x";
    feed.url = "https://x.example/";
    config::append_feeds(path, {feed});
    CHECK(slurp(path) == "# only a comment\n\n[[feed]]\nname = \"x\"\nurl = \"https://x.example/\"\n");
}

TEST_CASE("writing through a symbolic link replaces the target, not the link") {
    feedd::test::TempDir dir;
    write_file_mode(dir / "real/feeds.toml", "");
    fs::create_symlink(dir / "real/feeds.toml", dir / "feeds.toml");
    config::write_file_atomically(dir / "feeds.toml", "# new\n");
    CHECK(fs::is_symlink(dir / "feeds.toml"));
    CHECK(slurp(dir / "real/feeds.toml") == "# new\n");
}

TEST_CASE("removing a feed takes its block, sub-tables and comment, and nothing else") {
    feedd::test::TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, original);
    config::remove_feed(path, "lwn");
    CHECK(slurp(path) == R"(# My feeds. Keep this comment!
[settings]
database = "feeds.db"   # next to this file

[[feed]]
name = "bbc"
url = "https://feeds.bbci.co.uk/news/rss.xml"
# tags = ["later"]
)");
    config::remove_feed(path, "bbc");
    CHECK(slurp(path) ==
          "# My feeds. Keep this comment!\n[settings]\ndatabase = \"feeds.db\"   # next to this file\n");
    CHECK_THROWS_WITH(config::remove_feed(path, "bbc"), doctest::Contains("no feed named \"bbc\""));
}

TEST_CASE("a feed written inline is not edited behind the operator's back") {
    feedd::test::TempDir dir;
    const fs::path path = dir / "feeds.toml";
    const std::string text = "feed = [ { name = \"a\", url = \"https://a.example/\" } ]\n";
    write_file_mode(path, text);
    CHECK_THROWS_WITH(config::remove_feed(path, "a"), doctest::Contains("edit it by hand"));
    CHECK(slurp(path) == text);
}

TEST_CASE("enabling and disabling a feed edits one key") {
    feedd::test::TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, original);
    CHECK(config::set_feed_enabled(path, "bbc", false));
    CHECK(slurp(path).find("[[feed]]\nenabled = false\nname = \"bbc\"") != std::string::npos);
    CHECK_FALSE(config::load_config(path).feeds[1].enabled);
    CHECK_FALSE(config::set_feed_enabled(path, "bbc", false));
    CHECK(config::set_feed_enabled(path, "bbc", true));
    CHECK(slurp(path).find("[[feed]]\nenabled = true\nname = \"bbc\"") != std::string::npos);
    CHECK(config::load_config(path).feeds[1].enabled);
    CHECK_FALSE(config::set_feed_enabled(path, "lwn", true));  // absent means enabled
}

TEST_CASE("an edit keeps the file's owner and group") {
    // Only root can give a file away; other users run the mode test above.
    if (::geteuid() != 0) return;
    feedd::test::TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, original, 0640);
    REQUIRE(::chown(path.c_str(), 65534, 65534) == 0);
    REQUIRE(config::set_feed_enabled(path, "lwn", false));
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    CHECK(info.st_uid == 65534);
    CHECK(info.st_gid == 65534);
    CHECK((info.st_mode & 07777) == 0640);
}

TEST_CASE("an edit waits for another edit of the file and builds on its result") {
    feedd::test::TempDir dir;
    const fs::path path = dir / "feeds.toml";
    write_file_mode(path, original);
    FeedSource first;
    first.name = "first";
    first.url = "https://first.example/";
    FeedSource second;
    second.name = "second";
    second.url = "https://second.example/";

    // Play the other editor by hand: hold the lock, replace the file, let go.
    const int other = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(other >= 0);
    REQUIRE(::flock(other, LOCK_EX) == 0);
    std::thread editor([&] { config::append_feeds(path, {second}); });
    config::write_file_atomically(path, original + "\n" + config::format_feed(first));
    ::close(other);
    editor.join();

    const auto cfg = config::load_config(path);
    REQUIRE(cfg.feeds.size() == 4);
    CHECK(cfg.feeds[2].name == "first");
    CHECK(cfg.feeds[3].name == "second");
}
