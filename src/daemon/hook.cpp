#include "daemon/hook.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon/log.hpp"

extern char** environ;

namespace feedd::daemon {
namespace {

// One owner per file descriptor.
class Fd {
  public:
    explicit Fd(int fd = -1) noexcept : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    int get() const noexcept { return fd_; }
    void reset() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_;
};

using HookClock = std::chrono::steady_clock;  // deadlines of a hook, outside the daemon's Clock

int millis_left(HookClock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - HookClock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

// The hook's environment: what a command needs to find programs and speak the operator's
// language, and nothing else. feedd's own environment may hold secrets (password_env variables,
// CREDENTIALS_DIRECTORY) and systemd's sockets (NOTIFY_SOCKET), which are not the hook's business.
std::vector<std::string> hook_environment() {
    std::vector<std::string> out;
    bool has_path = false;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const std::string_view name = text.substr(0, text.find('='));
        if (name == "PATH" || name == "HOME" || name == "LANG" || name == "LANGUAGE" || name == "TZ" ||
            name.starts_with("LC_")) {
            out.emplace_back(text);
            has_path = has_path || name == "PATH";
        }
    }
    if (!has_path) out.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
    return out;
}

// Waits for `pid` to exit until `deadline`; false when it is still running then. With a pidfd the
// kernel wakes us; without one (pidfd_open refused, e.g. by a seccomp filter or an old kernel) we
// look with WNOHANG at growing intervals, so the deadline holds either way.
bool wait_until(pid_t pid, const Fd& pidfd, HookClock::time_point deadline) {
    if (pidfd.get() >= 0) {
        pollfd p{pidfd.get(), POLLIN, 0};
        while (true) {
            const int ready = ::poll(&p, 1, millis_left(deadline));
            if (ready < 0 && errno == EINTR) continue;
            if (ready >= 0) return ready != 0;
            break;  // poll refused the pidfd: look the other way
        }
    }
    auto pause = std::chrono::milliseconds(1);
    while (true) {
        siginfo_t info{};
        const int rc = ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
        if (rc == 0 && info.si_pid == pid) return true;
        if (rc < 0 && errno != EINTR) return true;  // nothing to wait for: let waitpid say so
        const int left = millis_left(deadline);
        if (left == 0) return false;
        ::poll(nullptr, 0, std::min<int>(left, static_cast<int>(pause.count())));
        pause = std::min(pause * 2, std::chrono::milliseconds(50));
    }
}

}  // namespace

int run_with_input(const std::string& command, const std::string& input, std::chrono::milliseconds timeout,
                   std::string* error) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        if (error) *error = std::string("pipe: ") + std::strerror(errno);
        return -2;
    }
    Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, read_end.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, 2, 1);  // its output joins ours, in the journal
    // Only stdin, stdout and stderr: whatever else is open here (the archive, sockets of curl and
    // systemd, descriptors another thread opens this instant without O_CLOEXEC) stays ours.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
    std::string shell = "/bin/sh", dash_c = "-c", body = command;
    char* argv[] = {shell.data(), dash_c.data(), body.data(), nullptr};
    pid_t pid = -1;
    std::vector<std::string> environment = hook_environment();
    std::vector<char*> envp;
    for (auto& entry : environment) envp.push_back(entry.data());
    envp.push_back(nullptr);
    const int rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    read_end.reset();
    if (rc != 0) {
        if (error) *error = std::string("cannot start: ") + std::strerror(rc);
        return -2;
    }

    const auto deadline = HookClock::now() + timeout;
    bool timed_out = false;
    // A command that exits without reading its input must cost an EPIPE, not the process: block
    // SIGPIPE on this thread while writing and discard one raised meanwhile.
    sigset_t pipe_signal, previous;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
    ::fcntl(write_end.get(), F_SETFL, O_NONBLOCK);
    std::size_t written = 0;
    while (written < input.size()) {
        pollfd p{write_end.get(), POLLOUT, 0};
        const int ready = ::poll(&p, 1, millis_left(deadline));
        if (ready == 0) {
            timed_out = true;
            break;
        }
        if (ready < 0 && errno == EINTR) continue;
        const auto n = ::write(write_end.get(), input.data() + written, input.size() - written);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            break;  // the command closed its stdin (EPIPE): it read what it wanted
        }
        written += static_cast<std::size_t>(n);
    }
    write_end.reset();
    const timespec no_wait{0, 0};
    while (sigtimedwait(&pipe_signal, nullptr, &no_wait) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);

    if (!timed_out) {
        const Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        timed_out = !wait_until(pid, pidfd, deadline);
    }
    if (timed_out) ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        if (error) *error = "timed out after " + std::to_string(timeout.count()) + " ms and was killed";
        return -1;
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (error) *error = "killed by signal " + std::to_string(WTERMSIG(status));
    return 128 + WTERMSIG(status);
}

HookRunner::HookRunner(std::string command, std::chrono::milliseconds timeout)
    : command_(std::move(command)), timeout_(timeout) {}

HookRunner::~HookRunner() {
    worker_.finish();
}

void HookRunner::submit(std::string label, std::string input) {
    if (worker_.waiting() >= kMaxQueued) {
        log_error("on_new: " + label + ": dropped, " + std::to_string(kMaxQueued) + " runs already waiting");
        return;
    }
    std::string command;
    std::chrono::milliseconds timeout{};
    {
        std::lock_guard lock(mutex_);
        command = command_;
        timeout = timeout_;
    }
    worker_.post([this, command = std::move(command), timeout, label = std::move(label),
                  input = std::move(input)] { run_one(command, timeout, label, input); });
}

void HookRunner::reconfigure(std::string command, std::chrono::milliseconds timeout) {
    std::lock_guard lock(mutex_);
    command_ = std::move(command);
    timeout_ = timeout;
}

void HookRunner::run_one(const std::string& command, std::chrono::milliseconds timeout,
                         const std::string& label, const std::string& input) noexcept {
    try {
        std::string error;
        const int status = run_with_input(command, input, timeout, &error);
        if (status != 0) {
            log_error("on_new: " + label + ": " +
                      (error.empty() ? "exit status " + std::to_string(status) : error));
        }
    } catch (const std::exception& e) {
        log_error("on_new: " + label + ": " + e.what());
    }
}

}  // namespace feedd::daemon
