// The JSON of the shared fixtures, compared with the reviewed golden files.
#include <doctest/doctest.h>

#include "parse/support.hpp"

namespace {
void check_golden(const std::string& fixture, const std::string& golden) {
    const std::string json =
        feedd::parse::to_json(feedd::parse::parse_feed(feedd::test::read_fixture(fixture)));
    std::string expected = feedd::test::read_fixture("golden/" + golden);
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    CHECK(json == expected);
}
}  // namespace

TEST_CASE("golden: cgtn-china.rss") {
    check_golden("cgtn-china.rss", "cgtn-china.json");
}
TEST_CASE("golden: cgtn-china-2.rss") {
    check_golden("cgtn-china-2.rss", "cgtn-china-2.json");
}
TEST_CASE("golden: cgtn-politics.atom") {
    check_golden("cgtn-politics.atom", "cgtn-politics.json");
}
