// Who is calling: basic authentication and API tokens checked in constant time, and a brake on
// addresses that keep failing.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/api/api.hpp"

namespace feedd::api {

// Equal without an early exit: the time taken does not tell how much of a guess was right.
[[nodiscard]] bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

class Authenticator {
  public:
    explicit Authenticator(std::vector<Credentials> users) : users_(std::move(users)) {}
    // The user named by an "Authorization: Basic ..." value whose password matches.
    [[nodiscard]] std::optional<User> basic(std::string_view authorization) const;
    // The user holding this API token.
    [[nodiscard]] std::optional<User> token(std::string_view token) const;
    // The user an Authorization header names: "Basic ..." (basic), or "Bearer TOKEN" (token), the
    // form Prometheus and most HTTP tools send a token in.
    [[nodiscard]] std::optional<User> authorization(std::string_view value) const;

  private:
    std::vector<Credentials> users_;
};

// Repeated failures from one address are slowed down: after `free_failures` failures, each
// further one closes the address for twice as long as the last (1 s, 2 s, ... up to `longest`),
// answered 429 without looking at credentials. A success forgets the address; so does a quiet
// `forget_after`. Event-loop only, no waiting: a closed address is answered at once.
class Throttle {
  public:
    using Clock = std::chrono::steady_clock;
    static constexpr int free_failures = 5;
    static constexpr std::chrono::seconds longest{60};
    static constexpr std::chrono::minutes forget_after{15};

    // How long the address stays closed; nothing when it may try.
    [[nodiscard]] std::optional<Clock::duration> closed(const std::string& address, Clock::time_point now);
    void failed(const std::string& address, Clock::time_point now);
    void succeeded(const std::string& address) { addresses_.erase(address); }

  private:
    struct Record {
        int failures = 0;
        Clock::time_point last{};
        Clock::time_point closed_until{};
    };
    void expire(Clock::time_point now);
    std::map<std::string, Record> addresses_;
    Clock::time_point last_expiry_{};
};

}  // namespace feedd::api
