#include "feedd/model/model.hpp"

#include <cstdio>
#include <string_view>

namespace feedd {

const char* to_string(FeedFormat format) noexcept {
    switch (format) {
        case FeedFormat::rss09x: return "rss0.9x";
        case FeedFormat::rss10: return "rss1.0";
        case FeedFormat::rss20: return "rss2.0";
        case FeedFormat::atom03: return "atom0.3";
        case FeedFormat::atom10: return "atom1.0";
        case FeedFormat::json1x: return "json1.x";
        case FeedFormat::cdf: return "cdf";
        case FeedFormat::unknown: break;
    }
    return "unknown";
}

const char* to_string(IdentityRule rule) noexcept {
    switch (rule) {
        case IdentityRule::guid: return "guid";
        case IdentityRule::link: return "link";
        case IdentityRule::content: return "content";
        case IdentityRule::automatic: break;
    }
    return "auto";
}

std::optional<IdentityRule> identity_rule_from_string(std::string_view text) noexcept {
    if (text == "auto") return IdentityRule::automatic;
    if (text == "guid") return IdentityRule::guid;
    if (text == "link") return IdentityRule::link;
    if (text == "content") return IdentityRule::content;
    return std::nullopt;
}

const char* to_string(BackfillMode mode) noexcept {
    switch (mode) {
        case BackfillMode::paged: return "paged";
        case BackfillMode::off: return "off";
        case BackfillMode::links: break;
    }
    return "links";
}

std::optional<BackfillMode> backfill_mode_from_string(std::string_view text) noexcept {
    if (text == "links") return BackfillMode::links;
    if (text == "paged") return BackfillMode::paged;
    if (text == "off") return BackfillMode::off;
    return std::nullopt;
}

const char* to_string(FetchErrorKind kind) noexcept {
    switch (kind) {
        case FetchErrorKind::none: return "none";
        case FetchErrorKind::http: return "http";
        case FetchErrorKind::dns: return "dns";
        case FetchErrorKind::connect: return "connect";
        case FetchErrorKind::timeout: return "timeout";
        case FetchErrorKind::tls: return "tls";
        case FetchErrorKind::too_large: return "too_large";
        case FetchErrorKind::too_many_redirects: return "too_many_redirects";
        case FetchErrorKind::blocked_address: return "blocked_address";
        case FetchErrorKind::bad_scheme: return "bad_scheme";
        case FetchErrorKind::bad_response: return "bad_response";
        case FetchErrorKind::network: return "network";
        case FetchErrorKind::cancelled: return "cancelled";
        case FetchErrorKind::other: break;
    }
    return "other";
}

std::string format_utc(TimePoint t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                  static_cast<long>(hms.seconds().count()));
    return buffer;
}

}  // namespace feedd
