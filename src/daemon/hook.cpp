#include "daemon/hook.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

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

using Clock = std::chrono::steady_clock;

int millis_left(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
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
    const int rc = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    read_end.reset();
    if (rc != 0) {
        if (error) *error = std::string("cannot start: ") + std::strerror(rc);
        return -2;
    }

    const auto deadline = Clock::now() + timeout;
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

    // pidfd lets us wait for the child with a deadline without polling waitpid in a sleep loop.
    Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!timed_out && pidfd.get() >= 0) {
        pollfd p{pidfd.get(), POLLIN, 0};
        while (true) {
            const int ready = ::poll(&p, 1, millis_left(deadline));
            if (ready < 0 && errno == EINTR) continue;
            timed_out = ready == 0;
            break;
        }
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
