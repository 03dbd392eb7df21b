#include "api/auth.hpp"

#include <boost/beast/core/detail/base64.hpp>

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

std::optional<User> Authenticator::basic(std::string_view authorization) const {
    constexpr std::string_view scheme = "basic ";
    if (authorization.size() <= scheme.size() ||
        !text::iequals(authorization.substr(0, scheme.size()), scheme))
        return std::nullopt;
    const auto encoded = text::trim(authorization.substr(scheme.size()));
    namespace base64 = boost::beast::detail::base64;
    std::string decoded(base64::decoded_size(encoded.size()), '\0');
    const auto [written, read] = base64::decode(decoded.data(), encoded.data(), encoded.size());
    if (read != encoded.size()) return std::nullopt;
    decoded.resize(written);
    const auto colon = decoded.find(':');
    if (colon == std::string::npos) return std::nullopt;
    const std::string_view name = std::string_view(decoded).substr(0, colon);
    const std::string_view password = std::string_view(decoded).substr(colon + 1);
    // Every user's password is compared, so that the time does not tell which names exist.
    std::optional<User> found;
    for (std::size_t i = 0; i < users_.size(); ++i) {
        const auto& user = users_[i];
        const bool match = !user.password.empty() && equal_constant_time(password, user.password);
        if (match && user.name == name) found = User{user.name, static_cast<std::int64_t>(i + 1)};
    }
    return found;
}

std::optional<User> Authenticator::token(std::string_view token) const {
    std::optional<User> found;
    if (token.empty()) return found;
    for (std::size_t i = 0; i < users_.size(); ++i)
        for (const auto& candidate : users_[i].tokens)
            if (equal_constant_time(token, candidate))
                found = User{users_[i].name, static_cast<std::int64_t>(i + 1)};
    return found;
}

std::optional<User> Authenticator::authorization(std::string_view value) const {
    constexpr std::string_view bearer = "bearer ";
    if (value.size() > bearer.size() && text::iequals(value.substr(0, bearer.size()), bearer))
        return token(text::trim(value.substr(bearer.size())));
    return basic(value);
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
