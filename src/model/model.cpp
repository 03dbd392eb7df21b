#include "feedd/model/model.hpp"
#include "feedd/model/location.hpp"

#include <charconv>
#include <cstdio>
#include <regex>
#include <string_view>

namespace feedd {

std::string shown_location(std::string_view location) {
    if (!is_database_url(location)) return std::string(location);
    // postgresql://user:password@host/... : the password goes, the rest stays readable.
    static const std::regex userinfo_password(R"(^(postgres(ql)?://[^:/@?#]*):[^@/?#]*@)");
    static const std::regex query_password(R"(([?&]password=)[^&#]*)", std::regex::icase);
    auto shown = std::regex_replace(std::string(location), userinfo_password, "$1:***@");
    return std::regex_replace(shown, query_password, "$1***");
}

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

const char* to_string(FullText mode) noexcept {
    switch (mode) {
        case FullText::automatic: return "auto";
        case FullText::always: return "always";
        case FullText::off: break;
    }
    return "off";
}

std::optional<FullText> full_text_from_string(std::string_view text) noexcept {
    if (text == "off") return FullText::off;
    if (text == "auto") return FullText::automatic;
    if (text == "always") return FullText::always;
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

std::optional<TimePoint> parse_when(std::string_view text, TimePoint now) {
    if (text.size() >= 2 && text.find_first_not_of("0123456789") == text.size() - 1) {
        long long amount = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size() - 1, amount);
        if (error != std::errc() || amount < 0 || amount > 100000) return std::nullopt;
        std::chrono::seconds unit;
        switch (text.back()) {
            case 's': unit = std::chrono::seconds(1); break;
            case 'm': unit = std::chrono::minutes(1); break;
            case 'h': unit = std::chrono::hours(1); break;
            case 'd': unit = std::chrono::days(1); break;
            case 'w': unit = std::chrono::weeks(1); break;
            default: return std::nullopt;
        }
        return now - unit * amount;
    }
    static const std::regex form(R"((\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?Z?)?)");
    std::match_results<std::string_view::const_iterator> match;
    if (!std::regex_match(text.begin(), text.end(), match, form)) return std::nullopt;
    auto number = [&match](int index) { return match[index].matched ? std::stoi(match[index].str()) : 0; };
    int year = number(1), month = number(2), day = number(3), hour = number(4), minute = number(5),
        second = number(6);
    using namespace std::chrono;
    year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                        std::chrono::day(static_cast<unsigned>(day))};
    if (!date.ok() || hour > 23 || minute > 59 || second > 59 || year < 1970) return std::nullopt;
    return sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
}

}  // namespace feedd
