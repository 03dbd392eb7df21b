#include "daemon/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "feedd/daemon/daemon.hpp"
#include "feedd/model/model.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::daemon {
namespace {

std::atomic<int> current_level{static_cast<int>(LogLevel::info)};
std::mutex write_mutex;

bool under_journal() {
    static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
    return journal;
}

const char* level_name(LogLevel level) {
    switch (level) {
        case LogLevel::error: return "error";
        case LogLevel::warning: return "warning";
        case LogLevel::info: return "info";
        case LogLevel::debug: return "debug";
    }
    return "info";
}

}  // namespace

LogLevel parse_log_level(std::string_view name) {
    if (name == "error") return LogLevel::error;
    if (name == "warning" || name == "warn") return LogLevel::warning;
    if (name == "info") return LogLevel::info;
    if (name == "debug") return LogLevel::debug;
    throw std::invalid_argument("unknown log level '" + std::string(name) +
                                "' (error, warning, info, debug)");
}

void set_log_level(std::string_view name) {
    Log::set_level(parse_log_level(name));
}

void Log::set_level(LogLevel level) noexcept {
    current_level = static_cast<int>(level);
}

bool Log::enabled(LogLevel level) noexcept {
    return static_cast<int>(level) <= current_level.load();
}

void Log::write(LogLevel level, std::string_view message) noexcept {
    if (!enabled(level)) return;
    try {
        std::string line;
        if (under_journal()) {
            line = "<" + std::to_string(static_cast<int>(level)) + ">";
        } else {
            line = format_utc(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
            line += ' ';
            line += level_name(level);
            line += ": ";
        }
        // The last line of defence: whatever a message quotes, the journal gets no terminal
        // controls and no URL credentials.
        line += text::escape_for_log(url::redact_userinfo_in(message));
        line += '\n';
        std::lock_guard lock(write_mutex);
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
    } catch (...) {
        // Logging must never take the daemon down; a lost line is the lesser harm.
    }
}

}  // namespace feedd::daemon
