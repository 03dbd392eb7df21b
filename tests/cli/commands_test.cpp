// The command line's contract: help, version, usage errors, exit statuses.
#include <doctest/doctest.h>

#include <algorithm>

#include "support/process.hpp"

using feedd::test::run_feedd;
using feedd::test::TempDir;

TEST_CASE("--help and --version answer with exit 0") {
    TempDir dir;
    const auto help = run_feedd(dir.path(), {"--help"});
    CHECK(help.exit_code == 0);
    for (const char* command : {"run", "poll", "parse", "query", "show", "feeds", "import-opml",
                                "export-opml", "check-config", "db", "status"}) {
        CHECK_MESSAGE(help.out.find(std::string("  ") + command) != std::string::npos, command);
    }
    const auto version = run_feedd(dir.path(), {"--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.rfind("feedd ", 0) == 0);
}

TEST_CASE("every subcommand has its own --help") {
    TempDir dir;
    for (const char* command : {"run", "poll", "parse", "query", "show", "feeds", "import-opml",
                                "export-opml", "check-config", "db", "status"}) {
        const auto result = run_feedd(dir.path(), {command, "--help"});
        CHECK_MESSAGE(result.exit_code == 0, command);
        CHECK_MESSAGE(result.out.find("Usage") != std::string::npos, command);
    }
}

TEST_CASE("unknown subcommands and flags are one-line usage errors with exit 2") {
    TempDir dir;
    for (std::vector<std::string> args :
         {std::vector<std::string>{"frobnicate"}, {"poll", "--bogus"}, {"--nope"}, {}}) {
        const auto result = run_feedd(dir.path(), args);
        CHECK(result.exit_code == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
}

TEST_CASE("a missing configuration is a clear error, exit 1") {
    TempDir dir;
    const auto result = run_feedd(dir.path(), {"--config", (dir / "nope.toml").string(), "poll", "--once"});
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("nope.toml") != std::string::npos);
}
