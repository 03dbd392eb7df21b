// The pipeline (fetch -> parse -> store, paced by schedule), signals, sd_notify, logging, reload.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "feedd/config/config.hpp"
#include "feedd/fetch/fetch.hpp"
#include "feedd/model/model.hpp"

namespace feedd::daemon {

// What one poll of one feed did, for the summary line and the log.
struct PollReport {
    std::string feed;
    std::string status;  // "updated", "not-modified", "failed", "gone", "skipped"
    long http_status = 0;
    int new_articles = 0;
    int updated_entries = 0;
    std::int64_t bytes = 0;
    Duration elapsed{0};
    std::string error;
};

struct RunOptions {
    std::filesystem::path config_path;
    std::optional<std::filesystem::path> database;  // --db
    std::vector<std::string> only_feeds;            // poll --feed NAME
    bool force = false;                             // poll --force: everything, due or not
    bool once = false;                              // poll --once
    bool progress = false;                          // live progress on a terminal
    fetch::FetcherOptions fetcher;                  // tests map host names here
    std::function<void(const PollReport&)> on_report;
};

// `feedd poll --once`: polls what is due (or everything with `force`) and returns one report
// per feed polled. Throws on start-up failures (config, archive, lock).
std::vector<PollReport> poll_once(const RunOptions& options);

// `feedd run`: polls until SIGINT/SIGTERM; SIGHUP reloads feeds.toml. Returns the exit status.
int run(const RunOptions& options);

std::string format_report(const PollReport& report);

}  // namespace feedd::daemon
