#include <doctest/doctest.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST_CASE("the deadline holds when pidfd_open is refused") {
    // A seccomp filter in a child process makes pidfd_open fail with ENOSYS, as an old kernel or a
    // strict sandbox would; the hook must still be killed at its deadline.
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
            ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0)
            ::_exit(3);
        if (::syscall(SYS_pidfd_open, ::getpid(), 0) >= 0 || errno != ENOSYS) ::_exit(4);
        const auto start = std::chrono::steady_clock::now();
        std::string error;
        const int status = run_with_input("sleep 5", "", 200ms, &error);
        const bool on_time = std::chrono::steady_clock::now() - start < 3s;
        ::_exit(status == -1 && on_time ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
