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
