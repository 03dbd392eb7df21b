#include "api/auth.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <boost/beast/core/detail/base64.hpp>
#include <stdexcept>

#include "feedd/text/text.hpp"

namespace feedd::api {

bool equal_constant_time(std::string_view a, std::string_view b) noexcept {
    // Every byte of `a` is compared, whatever `b`'s length; the lengths join the verdict last.
    unsigned char difference = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const unsigned char other = b.empty() ? 0 : static_cast<unsigned char>(b[i % b.size()]);
        difference |= static_cast<unsigned char>(a[i]) ^ other;
    }
    return difference == 0;
}

std::string hmac_hex(std::string_view key, std::string_view message) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &size))
        throw std::runtime_error("HMAC-SHA-256 failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xF];
    }
    return out;
}

std::string edit_token(std::string_view session) {
    return hmac_hex(session, "feedd google reader edit token");
}

Authenticator::Authenticator(std::vector<Credentials> users) : users_(std::move(users)) {
    for (const auto& user : users_)
        sessions_.push_back(user.password.empty()
                                ? std::string()
                                : user.name + "/" +
                                      hmac_hex(user.password, "feedd google reader session " + user.name));
}

std::optional<User> Authenticator::authorization(std::string_view value) const {
    constexpr std::string_view basic = "basic ", google = "googlelogin ", bearer = "bearer ";
    if (value.size() > bearer.size() && text::iequals(value.substr(0, bearer.size()), bearer))
        return token(text::trim(value.substr(bearer.size())));
    if (value.size() > google.size() && text::iequals(value.substr(0, google.size()), google)) {
        auto rest = text::trim(value.substr(google.size()));
        constexpr std::string_view auth = "auth=";
        if (rest.size() <= auth.size() || !text::iequals(rest.substr(0, auth.size()), auth))
            return std::nullopt;
        return session(text::trim(rest.substr(auth.size())));
    }
    if (value.size() <= basic.size() || !text::iequals(value.substr(0, basic.size()), basic))
        return std::nullopt;
    const auto encoded = text::trim(value.substr(basic.size()));
    namespace base64 = boost::beast::detail::base64;
    std::string decoded(base64::decoded_size(encoded.size()), '\0');
    const auto [written, read] = base64::decode(decoded.data(), encoded.data(), encoded.size());
    if (read != encoded.size()) return std::nullopt;
    decoded.resize(written);
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) return std::nullopt;
    return login(std::string_view(decoded).substr(0, colon), std::string_view(decoded).substr(colon + 1));
}

std::optional<User> Authenticator::login(std::string_view name, std::string_view password) const {
    // Every user's password is compared, so that the time does not tell which names exist.
    std::optional<User> found;
    for (std::size_t i = 0; i < users_.size(); ++i) {
        const auto& user = users_[i];
        const bool match = !user.password.empty() && equal_constant_time(password, user.password);
        if (match && user.name == name)
            found = User{user.name, static_cast<std::int64_t>(i + 1), sessions_[i], {}};
    }
    return found;
}

std::optional<User> Authenticator::token(std::string_view token) const {
    std::optional<User> found;
    if (token.empty()) return found;
    for (std::size_t i = 0; i < users_.size(); ++i)
        for (const auto& candidate : users_[i].tokens)
            if (equal_constant_time(token, candidate))
                found = User{users_[i].name, static_cast<std::int64_t>(i + 1), std::string(token), {}};
    return found;
}

std::optional<User> Authenticator::session(std::string_view value) const {
    // A GoogleLogin value is a ClientLogin session or an API token; every one of both is compared.
    auto found = token(value);
    if (value.empty()) return found;
    for (std::size_t i = 0; i < users_.size(); ++i)
        if (!sessions_[i].empty() && equal_constant_time(value, sessions_[i]))
            found = User{users_[i].name, static_cast<std::int64_t>(i + 1), sessions_[i], {}};
    return found;
}

WebSessions::WebSessions() : key_(random_hex()) {}

std::string WebSessions::random_hex() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a session");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char byte : bytes) {
        out += hex[byte >> 4];
        out += hex[byte & 0xF];
    }
    return out;
}

std::string WebSessions::open(const User& user) {
    auto cookie = random_hex();
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    std::erase_if(sessions_, [now](const auto& entry) { return now - entry.second.opened > lifetime; });
    if (sessions_.size() >= max_sessions)
        sessions_.erase(
            std::min_element(sessions_.begin(), sessions_.end(),
                             [](const auto& a, const auto& b) { return a.second.opened < b.second.opened; }));
    sessions_[hmac_hex(key_, "session " + cookie)] = Held{user.session, now};
    return cookie;
}

std::optional<std::string> WebSessions::find(std::string_view cookie) {
    if (cookie.empty()) return std::nullopt;
    const auto key = hmac_hex(key_, "session " + std::string(cookie));
    std::lock_guard lock(mutex_);
    const auto it = sessions_.find(key);
    if (it == sessions_.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() - it->second.opened > lifetime) {
        sessions_.erase(it);
        return std::nullopt;
    }
    return it->second.session;
}

void WebSessions::close(std::string_view cookie) {
    const auto key = hmac_hex(key_, "session " + std::string(cookie));
    std::lock_guard lock(mutex_);
    sessions_.erase(key);
}

std::string WebSessions::csrf_token(std::string_view cookie) const {
    return hmac_hex(key_, "csrf " + std::string(cookie));
}

bool WebSessions::csrf_valid(std::string_view cookie, std::string_view token) const {
    return !cookie.empty() && equal_constant_time(token, csrf_token(cookie));
}

std::optional<Throttle::Clock::duration> Throttle::closed(const std::string& address, Clock::time_point now) {
    expire(now);
    const auto it = addresses_.find(address);
    if (it == addresses_.end() || it->second.closed_until <= now) return std::nullopt;
    return it->second.closed_until - now;
}

void Throttle::failed(const std::string& address, Clock::time_point now) {
    auto& record = addresses_[address];
    ++record.failures;
    record.last = now;
    if (record.failures <= free_failures) return;
    const int doublings = std::min(record.failures - free_failures - 1, 6);  // 2^6 s > longest
    record.closed_until = now + std::min<Clock::duration>(std::chrono::seconds(1 << doublings), longest);
}

void Throttle::expire(Clock::time_point now) {
    // A sweep a minute keeps the map as small as the addresses failing lately.
    if (now - last_expiry_ < std::chrono::minutes(1)) return;
    last_expiry_ = now;
    std::erase_if(addresses_, [now](const auto& entry) { return now - entry.second.last > forget_after; });
}

}  // namespace feedd::api
