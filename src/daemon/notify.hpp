// sd_notify: READY, STATUS, WATCHDOG, RELOADING, STOPPING. Without NOTIFY_SOCKET all no-ops.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace feedd::daemon::notify {

void ready() noexcept;
void status(std::string_view text) noexcept;
void watchdog() noexcept;
void reloading() noexcept;  // RELOADING=1 with MONOTONIC_USEC, as systemd wants
void stopping() noexcept;
// The interval at which to send WATCHDOG=1 (half of WatchdogSec), when systemd asks for it.
std::optional<std::chrono::microseconds> watchdog_interval() noexcept;

}  // namespace feedd::daemon::notify
