// `feedd parse` as a user runs it: one JSON document per file, exit status 1 for no feed.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "parse/support.hpp"
#include "support/process.hpp"

namespace {
// `feedd parse ARGS...`, `input` on its standard input.
feedd::test::ProcessResult run(std::vector<std::string> args, const std::string& input = {}) {
    feedd::test::TempDir dir;
    args.insert(args.begin(), "parse");
    return feedd::test::run_feedd(dir.path(), std::move(args), {}, input);
}

std::string path(const std::string& fixture) {
    return feedd::test::fixture_path(fixture).string();
}
}  // namespace

TEST_CASE("feedd parse FILE prints the document of to_json") {
    const auto result = run({path("cgtn-china.rss")});
    CHECK(result.exit_code == 0);
    CHECK(result.out ==
          feedd::parse::to_json(feedd::parse::parse_feed(feedd::test::read_fixture("cgtn-china.rss"))) +
              "\n");
}

TEST_CASE("several files give NDJSON in order, a file that is no feed fails the run at the end") {
    const auto result =
        run({path("cgtn-china.rss"), path("feeds/not-a-feed.xml"), path("cgtn-politics.atom")});
    CHECK(result.exit_code == 1);
    const auto first_end = result.out.find('\n');
    const auto second_end = result.out.find('\n', first_end + 1);
    REQUIRE(second_end != std::string::npos);
    CHECK(result.out.substr(0, first_end).find("\"format\":\"rss2.0\"") != std::string::npos);
    const std::string second = result.out.substr(first_end + 1, second_end - first_end - 1);
    CHECK(second.starts_with("{\"file\":\""));
    CHECK(second.find("\"error\":\"not a feed: the root element is <opml>\"") != std::string::npos);
    CHECK(result.out.find("\"format\":\"atom1.0\"", second_end) != std::string::npos);
}

TEST_CASE("--base-url, --content-type and standard input") {
    const auto result =
        run({"--content-type", "text/xml; charset=iso-8859-1", "--base-url", "https://b.example/", "-"},
            feedd::test::read_fixture("feeds/no-declaration-latin1.xml"));
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("\"title\":\"Caf\u00e9\"") != std::string::npos);
    CHECK(result.out.find("\"wellformed\":true") != std::string::npos);
}

TEST_CASE("a missing file is a failure on its line") {
    const auto result = run({"/nonexistent/feed.xml"});
    CHECK(result.exit_code == 1);
    CHECK(result.out.find("cannot read") != std::string::npos);
}
