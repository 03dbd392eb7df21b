#include "daemon/notify.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

namespace feedd::daemon::notify {
namespace {

void send(const std::string& state) noexcept {
    sd_notify(0, state.c_str());
}

}  // namespace

void ready() noexcept {
    send("READY=1");
}

void status(std::string_view text) noexcept {
    try {
        std::string line = "STATUS=";
        for (char c : text) line += (c == '\n' ? ' ' : c);
        send(line);
    } catch (...) {
    }
}

void watchdog() noexcept {
    send("WATCHDOG=1");
}

void reloading() noexcept {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1000000ULL +
                      static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
    try {
        send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
    } catch (...) {
    }
}

void stopping() noexcept {
    send("STOPPING=1");
}

std::optional<std::chrono::microseconds> watchdog_interval() noexcept {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec / 2);
    return std::nullopt;
}

}  // namespace feedd::daemon::notify
