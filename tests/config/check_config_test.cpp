// `feedd check-config` as an operator runs it.
#include <doctest/doctest.h>

#include "config/helpers.hpp"
#include "support/fixtures.hpp"

using feedd::test::feedd_run;
using feedd::test::TempDir;

TEST_CASE("check-config passes the repository's example configurations with a summary") {
    for (const auto* relative : {"../../feeds.toml", "../../systemd/feeds.toml"}) {
        CAPTURE(relative);
        TempDir dir;
        const auto result =
            feedd_run(dir.path(), {"--config", feedd::test::fixture_path(relative), "check-config"});
        CHECK(result.status == 0);
        CHECK(result.output.find("OK, 5 feeds in 4 categories") != std::string::npos);
        CHECK(result.output.find("archive: /") != std::string::npos);
        CHECK(result.output.find("warning:") == std::string::npos);
    }
}

TEST_CASE("check-config prints every problem and exits 1") {
    const auto path = feedd::test::fixture_path("configs/many-errors.toml");
    TempDir dir;
    const auto result = feedd_run(dir.path(), {"--config", path, "check-config"});
    CHECK(result.status == 1);
    CHECK(result.output.find(path.string() + ":2:1: unknown key `databse`") != std::string::npos);
    CHECK(result.output.find(path.string() + ":28:2: unknown key `feeds`") != std::string::npos);
    CHECK(result.output.find("18 problem(s)") != std::string::npos);
}

TEST_CASE("check-config names the archive --db points to and the warnings") {
    TempDir dir;
    feedd::test::write_file_mode(dir / "feeds.toml", "[[feed]]\nurl = \"https://a.example/\"\n", 0666);
    const auto result =
        feedd_run(dir.path(), {"--config", dir / "feeds.toml", "--db", "/srv/archive.db", "check-config"});
    CHECK(result.status == 0);
    CHECK(result.output.find("OK, 1 feed\n") != std::string::npos);
    CHECK(result.output.find("archive: /srv/archive.db") != std::string::npos);
    CHECK(result.output.find("warning: " + (dir / "feeds.toml").string() + " is writable by other users") !=
          std::string::npos);
}

TEST_CASE("check-config without any configuration says where it looked") {
    TempDir dir;
    const auto result = feedd_run(dir.path(), {"--config", dir / "absent.toml", "check-config"});
    CHECK(result.status == 1);
    CHECK(result.output ==
          "feedd: configuration " + (dir / "absent.toml").string() + " (--config) does not exist\n");
}
