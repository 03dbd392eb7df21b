// Who is calling: basic authentication and API tokens checked in constant time, and a brake on
// addresses that keep failing.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/api/api.hpp"

namespace feedd::api {

// Equal without an early exit: the time taken does not tell how much of a guess was right.
[[nodiscard]] bool equal_constant_time(std::string_view a, std::string_view b) noexcept;

// A keyed hash (HMAC-SHA-256, OpenSSL) as 64 hex digits.
[[nodiscard]] std::string hmac_hex(std::string_view key, std::string_view message);

// The Google Reader write token (T) of a session (User::session): what /reader/api/0/token
// answers and what edits must send back. Derived, so that it needs no state and survives restarts.
[[nodiscard]] std::string edit_token(std::string_view session);

class Authenticator {
  public:
    explicit Authenticator(std::vector<Credentials> users);
    // The user an Authorization header names: "Basic ..." whose password matches, "Bearer TOKEN"
    // (the form Prometheus and most HTTP tools send a token in), or "GoogleLogin auth=..."
    // holding a ClientLogin session or an API token.
    [[nodiscard]] std::optional<User> authorization(std::string_view value) const;
    // The user with this name and password (ClientLogin's Email and Passwd).
    [[nodiscard]] std::optional<User> login(std::string_view name, std::string_view password) const;
    // The user holding this API token.
    [[nodiscard]] std::optional<User> token(std::string_view token) const;

    // The user whose ClientLogin session this is (User::session of a password login), or who holds
    // it as an API token: while the password (the token) stays the same.
    [[nodiscard]] std::optional<User> session(std::string_view value) const;

  private:
    std::vector<Credentials> users_;
    // Each user's ClientLogin session ("name/<hmac of the password>"), empty without a password:
    // a client keeps it instead of the password, and a new password ends it.
    std::vector<std::string> sessions_;
};

// The web pages' logins (docs/ARCHITECTURE.md, "Web pages"). A session is a random cookie value
// held in memory with the User::session of the password that opened it: logout forgets it, a new
// password (or the user's removal) voids it at the next request, a restart ends them all.
// Thread-safe: the loop checks sessions, the reader thread's login and logout handlers change them.
class WebSessions {
  public:
    static constexpr std::chrono::hours lifetime{24 * 30};
    static constexpr std::size_t max_sessions = 10000;  // past it, the oldest is forgotten
    static constexpr std::string_view cookie_name = "feedd_session";
    // The cookie of a login form's CSRF token, before any session.
    static constexpr std::string_view login_cookie_name = "feedd_login";

    WebSessions();
    // A new session of `user` (logged in with a password): its cookie value, 64 random hex digits.
    [[nodiscard]] std::string open(const User& user);
    // The User::session a cookie's session was opened with, while it lasts.
    [[nodiscard]] std::optional<std::string> find(std::string_view cookie);
    void close(std::string_view cookie);
    // The CSRF token of the forms shown with this cookie (a session's, or a login form's
    // feedd_login): an HMAC under a key of this process, so another site can neither read nor
    // make it.
    [[nodiscard]] std::string csrf_token(std::string_view cookie) const;
    // True when `token` is the CSRF token of `cookie` (compared in constant time).
    [[nodiscard]] bool csrf_valid(std::string_view cookie, std::string_view token) const;
    // 64 random hex digits (OpenSSL's RAND_bytes).
    [[nodiscard]] static std::string random_hex();

  private:
    struct Held {
        std::string session;
        std::chrono::steady_clock::time_point opened;
    };
    const std::string key_;
    std::mutex mutex_;
    // By the cookie's HMAC: looking one up takes no time that depends on how much of a guess
    // matched a real cookie.
    std::map<std::string, Held> sessions_;
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
