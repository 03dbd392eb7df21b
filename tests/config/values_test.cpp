#include <doctest/doctest.h>

#include "config/private.hpp"
#include "feedd/config/config.hpp"

using namespace std::chrono_literals;
using feedd::Duration;
namespace config = feedd::config;

TEST_CASE("durations are read with their unit") {
    CHECK(config::parse_duration("500ms") == Duration{500ms});
    CHECK(config::parse_duration("30s") == Duration{30s});
    CHECK(config::parse_duration("30m") == Duration{30min});
    CHECK(config::parse_duration("1h") == Duration{1h});
    CHECK(config::parse_duration("1d") == Duration{24h});
    CHECK(config::parse_duration("1w") == Duration{7 * 24h});
    CHECK(config::parse_duration("1h30m") == Duration{90min});
    CHECK(config::parse_duration(" 2 h ") == Duration{2h});
    CHECK(config::parse_duration("0") == Duration{0});
}

TEST_CASE("durations without a unit or with a wrong one are refused") {
    CHECK_FALSE(config::parse_duration(""));
    CHECK_FALSE(config::parse_duration("30"));
    CHECK_FALSE(config::parse_duration("1hour"));
    CHECK_FALSE(config::parse_duration("-5m"));
    CHECK_FALSE(config::parse_duration("h"));
    CHECK_FALSE(config::parse_duration("1.5h"));
    CHECK_FALSE(config::parse_duration("99999999999999999999d"));
    CHECK_FALSE(config::parse_duration("400d"));  // longer than a year
}

TEST_CASE("durations are written back in the form they are read") {
    for (const Duration d :
         {Duration{500ms}, Duration{30min}, Duration{90min}, Duration{24h}, Duration{1h + 1s}}) {
        CAPTURE(d.count());
        CHECK(config::parse_duration(config::format_duration(d)) == d);
    }
    CHECK(config::format_duration(Duration{90min}) == "1h30m");
    CHECK(config::format_duration(Duration{24h}) == "1d");
}

TEST_CASE("sizes are read in binary and decimal units") {
    CHECK(config::parse_size("16MiB") == 16 * 1024 * 1024);
    CHECK(config::parse_size("512KiB") == 512 * 1024);
    CHECK(config::parse_size("1GiB") == 1024LL * 1024 * 1024);
    CHECK(config::parse_size("10MB") == 10'000'000);
    CHECK(config::parse_size("4096") == 4096);
    CHECK_FALSE(config::parse_size("16 mebibytes"));
    CHECK_FALSE(config::parse_size("MiB"));
    CHECK_FALSE(config::parse_size("99999999999999TiB"));
}

TEST_CASE("only absolute http and https URLs are feed URLs") {
    CHECK(config::check_feed_url("https://example.org/feed").empty());
    CHECK(config::check_feed_url("HTTP://Example.org:8080/feed?x=1").empty());
    CHECK(config::check_feed_url("http://[::1]:8080/feed").empty());
    CHECK(config::check_feed_url("ftp://example.org/feed").find("only http and https") != std::string::npos);
    CHECK(config::check_feed_url("file:///etc/passwd").find("only http and https") != std::string::npos);
    CHECK(config::check_feed_url("example.org/feed").find("not an absolute URL") != std::string::npos);
    CHECK(config::check_feed_url("https:///feed").find("no host") != std::string::npos);
    CHECK(config::check_feed_url("https://example.org:99999/").find("port") != std::string::npos);
    CHECK(config::check_feed_url("https://example.org/a b").find("white space") != std::string::npos);
    CHECK(config::check_feed_url("https://me:secret@example.org/").find("credentials") != std::string::npos);
}

TEST_CASE("URLs that reach the same feed compare equal after normalisation") {
    const auto same = config::normalize_url("https://www.Example.org/feed");
    CHECK(config::normalize_url("http://example.org/feed") == same);
    CHECK(config::normalize_url("https://example.org:443/feed#latest") == same);
    CHECK(config::normalize_url("https://example.org") == config::normalize_url("http://example.org/"));
    CHECK(config::normalize_url("https://example.org/Feed") != same);  // paths are case-sensitive
    CHECK(config::normalize_url("https://example.org/feed?a=1") != same);
}

TEST_CASE("names derived from URLs are readable and unique") {
    CHECK(config::derive_feed_name("https://www.cgtn.com/subscribe/rss/section/china.xml", {}) ==
          "cgtn.com-subscribe-rss-section-china");
    CHECK(config::derive_feed_name("https://lwn.net/", {}) == "lwn.net");
    CHECK(config::derive_feed_name("https://lwn.net/", {"lwn.net"}) == "lwn.net-2");
    CHECK(config::derive_feed_name("https://lwn.net/", {"lwn.net", "lwn.net-2"}) == "lwn.net-3");
    CHECK(config::slug("Ars Technica — All content") == "ars-technica-all-content");
    CHECK(config::slug("中文新闻").empty());
}

TEST_CASE("TOML strings are quoted so that they read back the same") {
    CHECK(config::toml_quote("plain") == "\"plain\"");
    CHECK(config::toml_quote("a \"quoted\" \\ path") == "\"a \\\"quoted\\\" \\\\ path\"");
    CHECK(config::toml_quote("line\nbreak\x01") == "\"line\\nbreak\\u0001\"");
}
