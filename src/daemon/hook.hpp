// `on_new`: a command run after each committed poll that brought new articles, given them as
// NDJSON on stdin. Runs on its own thread with a deadline, so a slow or failing hook is logged
// and never holds up polling.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "daemon/serial_worker.hpp"

namespace feedd::daemon {

class HookRunner {
  public:
    HookRunner(std::string command, std::chrono::milliseconds timeout);
    ~HookRunner();  // runs what is queued (each within its deadline), then joins
    HookRunner(const HookRunner&) = delete;
    HookRunner& operator=(const HookRunner&) = delete;

    // Queues one run with `input` on its stdin; past kMaxQueued waiting runs, drops it (logged).
    void submit(std::string label, std::string input);
    // The command and deadline for runs submitted from now on (a reload); runs already queued
    // keep the ones they were submitted with. Safe from any thread.
    void reconfigure(std::string command, std::chrono::milliseconds timeout);

    static constexpr std::size_t kMaxQueued = 256;

  private:
    void run_one(const std::string& command, std::chrono::milliseconds timeout, const std::string& label,
                 const std::string& input) noexcept;

    std::mutex mutex_;  // guards command_ and timeout_: submitted from the writer, set by a reload
    std::string command_;
    std::chrono::milliseconds timeout_;
    SerialWorker worker_;  // last: its thread ends before the members it uses
};

// Runs `sh -c command` with `input` on stdin; the exit status, or -1 on timeout (the command is
// killed), -2 when it could not start. Exposed for tests.
int run_with_input(const std::string& command, const std::string& input, std::chrono::milliseconds timeout,
                   std::string* error);

}  // namespace feedd::daemon
