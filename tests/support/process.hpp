// Running the `feedd` binary from tests: once to completion, or as a daemon that the test signals.
// Output goes to files (no pipes to drain, so no deadlock on large output).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace feedd::test {

struct ProcessResult {
    int exit_code = -1;  // 128 + signal when killed by one
    std::string out;
    std::string err;
};

// A temporary folder removed with the object.
class TempDir {
  public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "feedd-test-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

  private:
    std::filesystem::path path_;
};

inline std::string slurp(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

inline void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

// A child process with its stdin, stdout and stderr on files in `dir`.
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

    ProcessResult wait() {
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        ProcessResult result;
        result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        result.out = slurp(out_);
        result.err = slurp(err_);
        return result;
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

// Runs `feedd ARGS...` to completion.
inline ProcessResult run_feedd(const std::filesystem::path& dir, std::vector<std::string> args,
                               const std::map<std::string, std::string>& env = {},
                               const std::string& input = {}) {
    args.insert(args.begin(), FEEDD_BINARY);
    Process process(dir, std::move(args), env, input);
    return process.wait();
}

}  // namespace feedd::test
