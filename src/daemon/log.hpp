// One line per event on stderr. Under systemd (JOURNAL_STREAM set) lines carry `<N>` priority
// prefixes and no timestamp (journald adds its own); elsewhere a UTC timestamp and level.
#pragma once

#include <string>
#include <string_view>

namespace feedd::daemon {

enum class LogLevel { error = 3, warning = 4, info = 6, debug = 7 };

// Throws std::invalid_argument for an unknown name.
LogLevel parse_log_level(std::string_view name);

class Log {
  public:
    static void set_level(LogLevel level) noexcept;
    static bool enabled(LogLevel level) noexcept;
    // Thread-safe; newlines and control characters in `message` are escaped so that text from
    // feeds cannot forge log lines or terminal escapes.
    static void write(LogLevel level, std::string_view message) noexcept;
};

inline void log_error(std::string_view m) noexcept {
    Log::write(LogLevel::error, m);
}
inline void log_warning(std::string_view m) noexcept {
    Log::write(LogLevel::warning, m);
}
inline void log_info(std::string_view m) noexcept {
    Log::write(LogLevel::info, m);
}
inline void log_debug(std::string_view m) noexcept {
    Log::write(LogLevel::debug, m);
}

}  // namespace feedd::daemon
