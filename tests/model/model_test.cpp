#include <doctest/doctest.h>

#include "feedd/model/model.hpp"

using namespace std::chrono;

TEST_CASE("format_utc prints the contract's date form") {
    const auto t = sys_days{2024y / August / 23} + 6h + 5min + 10s;
    CHECK(feedd::format_utc(t) == "2024-08-23T06:05:10Z");
    CHECK(feedd::format_utc(sys_days{1999y / December / 31} + 23h + 59min + 59s) == "1999-12-31T23:59:59Z");
}

TEST_CASE("enum names follow the contract") {
    CHECK(std::string(feedd::to_string(feedd::FeedFormat::rss20)) == "rss2.0");
    CHECK(std::string(feedd::to_string(feedd::FeedFormat::atom10)) == "atom1.0");
    CHECK(feedd::identity_rule_from_string("link") == feedd::IdentityRule::link);
    CHECK_FALSE(feedd::identity_rule_from_string("url").has_value());
}

TEST_CASE("parse_when reads dates, date-times and spans back from now, and nothing else") {
    using namespace std::chrono;
    const feedd::TimePoint now = sys_days{2024y / August / 23} + 6h;
    CHECK(feedd::parse_when("2024-08-01", now) == sys_days{2024y / August / 1});
    CHECK(feedd::parse_when("2024-08-01T06:05:10Z", now) == sys_days{2024y / August / 1} + 6h + 5min + 10s);
    CHECK(feedd::parse_when("2024-08-01 06:05", now) == sys_days{2024y / August / 1} + 6h + 5min);
    CHECK(feedd::parse_when("7d", now) == now - days(7));
    CHECK(feedd::parse_when("12h", now) == now - hours(12));
    CHECK(feedd::parse_when("2w", now) == now - weeks(2));
    CHECK_FALSE(feedd::parse_when("2024-02-30", now));
    CHECK_FALSE(feedd::parse_when("yesterday", now));
    CHECK_FALSE(feedd::parse_when("7y", now));
    CHECK_FALSE(feedd::parse_when("", now));
    CHECK_FALSE(feedd::parse_when("2024-08-01T25:00", now));
}
