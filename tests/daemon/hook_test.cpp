#include <doctest/doctest.h>

#include "daemon/hook.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using feedd::daemon::run_with_input;

TEST_CASE("the on_new command gets the new articles on stdin") {
    feedd::test::TempDir dir;
    const auto out = dir / "got.ndjson";
    const std::string input = "{\"id\":1}\n{\"id\":2}\n";
    CHECK(run_with_input("cat > '" + out.string() + "'", input, 10s, nullptr) == 0);
    CHECK(feedd::test::slurp(out) == input);
}

TEST_CASE("a failing command reports its exit status") {
    std::string error;
    CHECK(run_with_input("exit 3", "x\n", 10s, &error) == 3);
}

TEST_CASE("a command that hangs is killed at its deadline") {
    std::string error;
    const auto start = std::chrono::steady_clock::now();
    CHECK(run_with_input("sleep 30", "", 200ms, &error) == -1);
    CHECK(std::chrono::steady_clock::now() - start < 10s);
    CHECK(error.find("timed out") != std::string::npos);
}

TEST_CASE("a command that ignores a large input does not block the writer") {
    std::string error;
    const std::string big(4 * 1024 * 1024, 'x');
    const auto start = std::chrono::steady_clock::now();
    const int status = run_with_input("sleep 30", big, 300ms, &error);
    CHECK(status == -1);
    CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("the runner finishes queued runs before it is destroyed") {
    feedd::test::TempDir dir;
    const auto out = dir / "log";
    {
        feedd::daemon::HookRunner runner("cat >> '" + out.string() + "'", 10s);
        runner.submit("a", "one\n");
        runner.submit("b", "two\n");
    }
    CHECK(feedd::test::slurp(out) == "one\ntwo\n");
}
