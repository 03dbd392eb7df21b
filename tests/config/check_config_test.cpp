// `feedd check-config` as an operator runs it.
#include <doctest/doctest.h>

#include "config/helpers.hpp"
#include "support/fixtures.hpp"

using feedd::test::quote;
using feedd::test::run_feedd;

TEST_CASE("check-config passes the repository's example configurations with a summary") {
    for (const auto* relative : {"../../feeds.toml", "../../systemd/feeds.toml"}) {
        CAPTURE(relative);
        const auto result =
            run_feedd("--config " + quote(feedd::test::fixture_path(relative)) + " check-config");
        CHECK(result.status == 0);
        CHECK(result.output.find("OK, 5 feed(s)") != std::string::npos);
        CHECK(result.output.find("archive: /") != std::string::npos);
    }
}

TEST_CASE("check-config prints every problem and exits 1") {
    const auto path = feedd::test::fixture_path("configs/many-errors.toml");
    const auto result = run_feedd("--config " + quote(path) + " check-config");
    CHECK(result.status == 1);
    CHECK(result.output.find(path.string() + ":2:1: unknown key `databse`") != std::string::npos);
    CHECK(result.output.find(path.string() + ":28:2: unknown key `feeds`") != std::string::npos);
    CHECK(result.output.find("18 problem(s)") != std::string::npos);
}

TEST_CASE("check-config names the archive --db points to and the warnings") {
    feedd::test::TempDir dir;
    feedd::test::write_file(dir / "feeds.toml", "[[feed]]\nurl = \"https://a.example/\"\n", 0666);
    const auto result =
        run_feedd("--config " + quote(dir / "feeds.toml") + " --db /srv/archive.db check-config");
    CHECK(result.status == 0);
    CHECK(result.output.find("OK, 1 feed(s)") != std::string::npos);
    CHECK(result.output.find("archive: /srv/archive.db") != std::string::npos);
    CHECK(result.output.find("warning: " + (dir / "feeds.toml").string() + " is writable by other users") !=
          std::string::npos);
}

TEST_CASE("check-config without any configuration says where it looked") {
    feedd::test::TempDir dir;
    const auto result = run_feedd("--config " + quote(dir / "absent.toml") + " check-config");
    CHECK(result.status == 1);
    CHECK(result.output ==
          "feedd: configuration " + (dir / "absent.toml").string() + " (--config) does not exist\n");
}
