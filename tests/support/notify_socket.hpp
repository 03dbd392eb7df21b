// A NOTIFY_SOCKET that a test owns: receives what the daemon sends with sd_notify, in order;
// NotifyLog reads one on a thread of its own and keeps when each message arrived.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace feedd::test {

class NotifySocket {
  public:
    explicit NotifySocket(const std::filesystem::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (path.string().size() >= sizeof address.sun_path) throw std::runtime_error("socket path too long");
        std::strcpy(address.sun_path, path.c_str());
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
            throw std::runtime_error("cannot bind notify socket");
    }
    ~NotifySocket() {
        ::close(fd_);
        std::filesystem::remove(path_);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    const std::filesystem::path& path() const { return path_; }

    // The next datagram, or nothing when none arrives within `timeout` (a deadline, not a sleep:
    // the test fails instead of hanging when the daemon never says it).
    std::optional<std::string> next(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        char buffer[4096];
        const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n < 0) return std::nullopt;
        std::string message(buffer, static_cast<std::size_t>(n));
        received_.push_back(message);
        return message;
    }

    // Reads until a datagram contains `needle`; returns it, or nothing at the deadline.
    std::optional<std::string> wait_for(const std::string& needle,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            auto message = next(left);
            if (!message) return std::nullopt;
            if (message->find(needle) != std::string::npos) return message;
        }
    }

    const std::vector<std::string>& received() const { return received_; }

  private:
    std::filesystem::path path_;
    int fd_ = -1;
    std::vector<std::string> received_;
};

// The daemon's notifications, read on a thread of their own as they come: a daemon whose
// notifications nobody reads blocks once the socket's queue is full (net.unix.max_dgram_qlen is 10
// outside systemd's sysctl defaults), and the test also runs `feedd status` or waits meanwhile.
class NotifyLog {
  public:
    using Time = std::chrono::steady_clock::time_point;
    explicit NotifyLog(NotifySocket& socket) : socket_(socket), thread_([this] { run(); }) {}
    ~NotifyLog() {
        stop_ = true;
        thread_.join();
    }
    NotifyLog(const NotifyLog&) = delete;
    NotifyLog& operator=(const NotifyLog&) = delete;

    std::size_t size() const {
        std::lock_guard lock(mutex_);
        return messages_.size();
    }
    // The index of the first message from index `from` on that contains `needle`, waiting up to
    // `timeout` for it.
    std::optional<std::size_t> wait_for(const std::string& needle, std::size_t from,
                                        std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        std::optional<std::size_t> found;
        arrived_.wait_for(lock, timeout, [&] {
            for (; from < messages_.size(); ++from) {
                if (messages_[from].second.find(needle) != std::string::npos) {
                    found = from;
                    return true;
                }
            }
            return false;
        });
        return found;
    }
    // Returns when the next message arrives or after `timeout`.
    void wait_for_next(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        const auto count = messages_.size();
        arrived_.wait_for(lock, timeout, [&] { return messages_.size() > count; });
    }
    // When each message containing `needle` arrived.
    std::vector<Time> times_of(const std::string& needle) const {
        std::lock_guard lock(mutex_);
        std::vector<Time> out;
        for (const auto& [time, message] : messages_)
            if (message.find(needle) != std::string::npos) out.push_back(time);
        return out;
    }

  private:
    void run() {
        while (!stop_) {
            auto message = socket_.next(std::chrono::milliseconds(50));
            if (!message) continue;
            {
                std::lock_guard lock(mutex_);
                messages_.emplace_back(std::chrono::steady_clock::now(), std::move(*message));
            }
            arrived_.notify_all();
        }
    }

    NotifySocket& socket_;
    mutable std::mutex mutex_;
    std::condition_variable arrived_;
    std::vector<std::pair<Time, std::string>> messages_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace feedd::test
