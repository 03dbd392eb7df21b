// A NOTIFY_SOCKET that a test owns: receives what the daemon sends with sd_notify, in order.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
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

}  // namespace feedd::test
