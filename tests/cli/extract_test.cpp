// `feedd extract FILE|URL`: the article extractor on the command line, for people writing [[site]]
// rules; a URL is fetched as polls fetch (the private-network guard included).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;

TEST_CASE("extract FILE prints the story of a saved page, and --url resolves its links") {
    TempDir dir;
    const auto page = fixture_path("pages/news.html").string();
    auto text = run_feedd(dir.path(), {"extract", page});
    INFO("stderr: " << text.err);
    REQUIRE(text.exit_code == 0);
    CHECK(text.out.starts_with("Harbour bridge reopens after repairs\n\n"));
    CHECK(text.out.find("The harbour bridge reopened to traffic on Monday") != std::string::npos);
    CHECK(text.out.find("Related stories") == std::string::npos);
    CHECK(text.err.find(" words by heuristic") != std::string::npos);

    auto json = run_feedd(dir.path(),
                          {"extract", page, "--url", "https://courier.example/news/1", "--format", "json"});
    REQUIRE(json.exit_code == 0);
    const auto out = nlohmann::json::parse(json.out);
    CHECK(out["method"] == "heuristic");
    CHECK(out["html"].get<std::string>().find("https://courier.example/img/2026/bridge-reopening.jpg") !=
          std::string::npos);

    // Trying a rule before writing it into feeds.toml.
    auto ruled = run_feedd(dir.path(), {"extract", page, "--url", "https://courier.example/news/1",
                                        "--content", "//div[@class='story-body']/p[1]"});
    REQUIRE(ruled.exit_code == 0);
    CHECK(ruled.out.find("three weeks after inspectors") != std::string::npos);
    CHECK(ruled.out.find("Engineers replaced") == std::string::npos);
    CHECK(ruled.err.find("by site rule courier.example") != std::string::npos);

    auto bad =
        run_feedd(dir.path(), {"extract", page, "--url", "https://courier.example/", "--content", "//p["});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--content is no XPath expression") != std::string::npos);
    auto missing = run_feedd(dir.path(), {"extract", (dir / "nope.html").string()});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("cannot read") != std::string::npos);
}

TEST_CASE("extract URL fetches the page as a poll would, with the [[site]] rules of feeds.toml") {
    HttpServer server;
    server.route("/story", [page = read_fixture("pages/news.html")](const Request&) {
        return Response::text(page, "text/html; charset=utf-8");
    });
    TempDir dir;
    // Without a config the private-network guard stands: the test server is on 127.0.0.1.
    auto refused = run_feedd(dir.path(), {"extract", server.url("/story")});
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("private") != std::string::npos);
    CHECK(server.requests("/story").empty());

    write_file(dir / "feeds.toml",
               "[settings]\nallow_private_networks = true\n\n"
               "[[site]]\nhost = \"127.0.0.1\"\ncontent = \"//article\"\n"
               "remove = [\"//figure\", \"//*[contains(@class, 'share')]\", \"//ul\"]\n");
    auto fetched = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "extract",
                                          server.url("/story"), "--format", "json"});
    INFO("stderr: " << fetched.err);
    REQUIRE(fetched.exit_code == 0);
    const auto out = nlohmann::json::parse(fetched.out);
    CHECK(out["method"] == "site rule 127.0.0.1");
    const auto text = out["text"].get<std::string>();
    CHECK(text.find("Harbour bridge reopens after repairs") != std::string::npos);  // the rule keeps the h1
    CHECK(text.find("Share on") == std::string::npos);
    CHECK(text.find("The first buses cross") == std::string::npos);
    CHECK(text.find("Transport") == std::string::npos);
    CHECK(server.requests("/story").size() == 1);
}
