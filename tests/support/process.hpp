// Running the `feedd` binary from tests: once to completion (run_feedd), as any child process
// (Process), or as the daemon that systemd would run (FeeddDaemon). Output goes to files (no pipes
// to drain, so no deadlock on large output). The binary is the one CMake built: FEEDD_BINARY,
// defined for every test by feedd_test_main.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/notify_socket.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace feedd::test {

inline std::string feedd_binary() {
    return FEEDD_BINARY;
}

struct ProcessResult {
    int exit_code = -1;  // 128 + signal when killed by one
    std::string out;
    std::string err;
    std::int64_t peak_rss = 0;  // bytes: the child's largest resident set (wait4's ru_maxrss)
};

// A child process with its stdin, stdout and stderr on files in `dir`. `env` adds to (or
// replaces in) the test's environment; the test's own NOTIFY_SOCKET and JOURNAL_STREAM are not
// passed on, so a child under test never talks to the systemd that runs the tests.
class Process {
  public:
    Process(const std::filesystem::path& dir, std::vector<std::string> args,
            const std::map<std::string, std::string>& env = {}, const std::string& input = {})
        : out_(dir / ("out-" + std::to_string(serial()))), err_(dir / ("err-" + std::to_string(serial()))) {
        const auto in_path = dir / ("in-" + std::to_string(serial()));
        write_file(in_path, input);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, in_path.c_str(), O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        std::vector<std::string> environment;
        for (char** e = environ; *e; ++e) {
            std::string entry = *e;
            const auto name = entry.substr(0, entry.find('='));
            if (!env.count(name) && name != "NOTIFY_SOCKET" && name != "JOURNAL_STREAM")
                environment.push_back(entry);
        }
        for (const auto& [name, value] : env) environment.push_back(name + "=" + value);
        std::vector<char*> argv, envp;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : environment) envp.push_back(e.data());
        envp.push_back(nullptr);
        const int rc = posix_spawn(&pid_, args.front().c_str(), &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        if (rc != 0) throw std::runtime_error("cannot start " + args.front());
    }
    ~Process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const { ::kill(pid_, sig); }

    // Whether the child is still running (an exited child is left for wait to reap).
    bool running() const {
        if (pid_ <= 0) return false;
        siginfo_t info{};
        return !(waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
                 info.si_pid == pid_);
    }

    ProcessResult wait() {
        int status = 0;
        rusage usage{};
        wait4(pid_, &status, 0, &usage);
        pid_ = -1;
        ProcessResult result;
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        result.out = slurp(out_);
        result.err = slurp(err_);
        result.peak_rss = static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
        return result;
    }

    // The result once the child exits, or nothing when it still runs after `timeout` (then it
    // runs on). Waits on a pidfd, so the call returns the moment the child exits.
    std::optional<ProcessResult> wait_for(std::chrono::milliseconds timeout) {
        const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
        if (fd < 0) throw std::runtime_error("pidfd_open failed");
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
        ::close(fd);
        if (ready <= 0) return std::nullopt;
        return wait();
    }

    std::string err_so_far() const { return slurp(err_); }

  private:
    static int serial() {
        static int counter = 0;
        return counter++;
    }
    pid_t pid_ = -1;
    std::filesystem::path out_, err_;
};

// Runs `feedd ARGS...` to completion, its files in `dir`.
inline ProcessResult run_feedd(const std::filesystem::path& dir, std::vector<std::string> args,
                               const std::map<std::string, std::string>& env = {},
                               const std::string& input = {}) {
    args.insert(args.begin(), feedd_binary());
    Process process(dir, std::move(args), env, input);
    return process.wait();
}

// `feedd --config DIR/feeds.toml ARGS...` run in the test's folder, as a user types it.
struct FeeddCli {
    const TempDir& dir;
    ProcessResult operator()(std::vector<std::string> args,
                             const std::map<std::string, std::string>& env = {}) const {
        args.insert(args.begin(), {"--config", (dir / "feeds.toml").string()});
        return run_feedd(dir.path(), std::move(args), env);
    }
};

// `feedd --config CONFIG run` as systemd runs it: with a NOTIFY_SOCKET of its own (notify.sock in
// `dir`) and whatever else `env` sets (WATCHDOG_USEC, say). Killed with SIGKILL when it is still
// running at the end of the test.
class FeeddDaemon {
  public:
    FeeddDaemon(const std::filesystem::path& dir, const std::filesystem::path& config,
                std::map<std::string, std::string> env = {})
        : notify(dir / "notify.sock"),
          process(dir, {feedd_binary(), "--config", config.string(), "run"},
                  with_socket(std::move(env), dir)) {}
    // The usual layout: feeds.toml in the test's folder.
    explicit FeeddDaemon(const TempDir& dir, std::map<std::string, std::string> env = {})
        : FeeddDaemon(dir.path(), dir / "feeds.toml", std::move(env)) {}

    // Waits for READY=1 (false at the deadline). The deadline only ends a test whose daemon never
    // gets ready: a start that creates a PostgreSQL schema took over 20 s with four such tests and
    // a build at once on two cores.
    bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
        return notify.wait_for("READY=1", timeout).has_value();
    }

    // Waits, reading what the daemon says meanwhile, until `done` holds; false at the deadline.
    // Reading the notifications is what keeps the daemon from blocking on a full socket queue, and
    // each one (a watchdog ping, say) is a moment to look again.
    bool wait_until(const std::function<bool()>& done,
                    std::chrono::seconds deadline = std::chrono::seconds(30)) {
        const auto until = std::chrono::steady_clock::now() + deadline;
        while (!done()) {
            if (std::chrono::steady_clock::now() > until) return false;
            notify.next(std::chrono::milliseconds(500));
        }
        return true;
    }

    // The latest STATUS= the daemon sent, "" before the first.
    std::string last_status() const {
        const auto& received = notify.received();
        for (auto it = received.rbegin(); it != received.rend(); ++it)
            if (it->starts_with("STATUS=")) return *it;
        return {};
    }

    // What the daemon logged so far (its standard error).
    std::string log() const { return process.err_so_far(); }

    NotifySocket notify;
    Process process;

  private:
    static std::map<std::string, std::string> with_socket(std::map<std::string, std::string> env,
                                                          const std::filesystem::path& dir) {
        env["NOTIFY_SOCKET"] = (dir / "notify.sock").string();
        return env;
    }
};

}  // namespace feedd::test
