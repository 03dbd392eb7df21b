// The small value grammars of feeds.toml: durations, sizes, feed URLs, names, TOML strings.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>

#include "config/private.hpp"
#include "feedd/config/config.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::config {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

using text::ascii_lower;
using text::to_lower;

// feeds.toml values: spaces and tabs around them do not count.
std::string_view trim(std::string_view text) {
    return text::trim(text, " \t");
}

// Reads the leading digits of `text` into `value`; false when there are none or they overflow.
bool take_number(std::string_view& text, std::int64_t& value) {
    const auto* end = text.data() + text.size();
    auto [ptr, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc{} || ptr == text.data()) return false;
    text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
    return true;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
    text = trim(text);
    if (text == "0") return Duration{0};
    if (text.empty()) return std::nullopt;
    // A year is the longest interval that makes sense; the cap also keeps the sum from overflowing.
    constexpr std::int64_t limit_ms = 366LL * 24 * 3600 * 1000;
    std::int64_t total_ms = 0;
    while (!text.empty()) {
        std::int64_t number = 0;
        if (!take_number(text, number) || number < 0) return std::nullopt;
        while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
        std::size_t unit_length = 0;
        while (unit_length < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_length])))
            ++unit_length;
        const std::string unit = to_lower(text.substr(0, unit_length));
        text.remove_prefix(unit_length);
        while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
        std::int64_t factor = 0;
        if (unit == "ms")
            factor = 1;
        else if (unit == "s")
            factor = 1000;
        else if (unit == "m" || unit == "min")
            factor = 60'000;
        else if (unit == "h")
            factor = 3'600'000;
        else if (unit == "d")
            factor = 86'400'000;
        else if (unit == "w")
            factor = 7 * 86'400'000LL;
        else
            return std::nullopt;
        if (number > limit_ms / factor) return std::nullopt;
        total_ms += number * factor;
        if (total_ms > limit_ms) return std::nullopt;
    }
    return Duration{total_ms};
}

std::string format_duration(Duration duration) {
    std::int64_t ms = duration.count();
    if (ms == 0) return "0s";
    static constexpr std::array<std::pair<std::int64_t, const char*>, 5> units{
        {{86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}}};
    std::string out;
    if (ms < 0) {
        out = "-";
        ms = -ms;
    }
    for (const auto& [factor, name] : units) {
        if (ms >= factor) {
            out += std::to_string(ms / factor) + name;
            ms %= factor;
        }
    }
    return out;
}

std::optional<std::int64_t> parse_size(std::string_view text) {
    text = trim(text);
    std::int64_t number = 0;
    if (!take_number(text, number) || number < 0) return std::nullopt;
    const std::string_view unit = trim(text);
    std::int64_t factor = 0;
    if (unit.empty() || unit == "B")
        factor = 1;
    else if (unit == "KiB" || unit == "K" || unit == "k")
        factor = 1LL << 10;
    else if (unit == "MiB" || unit == "M")
        factor = 1LL << 20;
    else if (unit == "GiB" || unit == "G")
        factor = 1LL << 30;
    else if (unit == "TiB" || unit == "T")
        factor = 1LL << 40;
    else if (unit == "kB" || unit == "KB")
        factor = 1000;
    else if (unit == "MB")
        factor = 1000'000;
    else if (unit == "GB")
        factor = 1000'000'000;
    else if (unit == "TB")
        factor = 1000'000'000'000;
    else
        return std::nullopt;
    if (number > std::numeric_limits<std::int64_t>::max() / factor) return std::nullopt;
    return number * factor;
}

std::string check_feed_url(std::string_view url) {
    if (url.empty()) return "the URL is empty";
    // C1 controls and bidirectional overrides too (text::is_printable): a URL is shown as written.
    if (url.find(' ') != std::string_view::npos || !text::is_printable(url))
        return "the URL contains white space or control characters (percent-encode them)";
    const auto parts = url::parse(url);
    if (!parts) return "not an absolute URL (expected http://... or https://...)";
    if (parts->scheme != "http" && parts->scheme != "https")
        return "only http and https URLs can be polled, not " + parts->scheme + ":";
    if (!parts->userinfo.empty())
        return "the URL carries credentials; use `username` and `password_file`, `password_env` or "
               "`password_credential` instead";
    if (parts->host.empty() || parts->host == "[]") return "the URL has no host";
    if (!parts->port.empty()) {
        int port = 0;
        auto [ptr, error] =
            std::from_chars(parts->port.data(), parts->port.data() + parts->port.size(), port);
        if (error != std::errc{} || ptr != parts->port.data() + parts->port.size() || port < 1 ||
            port > 65535)
            return "the URL's port \"" + parts->port + "\" is not a number from 1 to 65535";
    }
    return {};
}

std::string normalize_url(std::string_view url) {
    auto parts = url::parse(url);
    if (!parts) return std::string(url);
    std::string host = parts->host;
    if (host.starts_with("www.")) host.erase(0, 4);
    std::string port = parts->port;
    if ((parts->scheme == "http" && port == "80") || (parts->scheme == "https" && port == "443"))
        port.clear();
    std::string out = "http://" + host;
    if (!port.empty()) out += ":" + port;
    out += parts->path.empty() ? "/" : parts->path;
    out += parts->query;
    return out;
}

std::string slug(std::string_view text) {
    std::string out;
    bool dash = false;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) && u < 0x80) {
            if (dash && !out.empty()) out += '-';
            dash = false;
            out += ascii_lower(c);
        } else {
            dash = true;
        }
    }
    // Names show up in listings and logs: keep them short, cut at a word boundary.
    constexpr std::size_t max_length = 60;
    if (out.size() > max_length) {
        out.resize(max_length);
        if (const auto cut = out.rfind('-'); cut != std::string::npos && cut > max_length / 2)
            out.resize(cut);
    }
    return out;
}

std::string derive_feed_name(std::string_view url, const std::vector<std::string>& taken) {
    std::string base;
    if (auto parts = url::parse(url)) {
        std::string host = parts->host;
        if (host.starts_with("www.")) host.erase(0, 4);
        std::string path = parts->path;
        // The file name extension says nothing about the feed.
        for (const std::string_view extension : {".xml", ".rss", ".atom", ".rdf", ".json"}) {
            if (path.size() > extension.size() && to_lower(path).ends_with(extension)) {
                path.resize(path.size() - extension.size());
                break;
            }
        }
        std::string host_slug;
        for (const char c : host) {
            host_slug += (std::isalnum(static_cast<unsigned char>(c)) || c == '.') ? c : '-';
        }
        const std::string rest = slug(path + parts->query);
        base = rest.empty() ? host_slug : host_slug + "-" + rest;
    }
    if (base.empty()) base = slug(url);
    if (base.empty()) base = "feed";
    return unique_name(base, taken);
}

std::string unique_name(const std::string& base, const std::vector<std::string>& taken) {
    const auto is_taken = [&](const std::string& name) {
        return std::find(taken.begin(), taken.end(), name) != taken.end();
    };
    if (!is_taken(base)) return base;
    for (int n = 2;; ++n) {
        std::string candidate = base + "-" + std::to_string(n);
        if (!is_taken(candidate)) return candidate;
    }
}

std::string toml_quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04X", static_cast<unsigned>(c));
                    out += buffer;
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

namespace {

// A bare TOML key when it can be one, else a quoted one.
std::string toml_key(std::string_view key) {
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) && static_cast<unsigned char>(c) < 0x80
                   ? true
                   : c == '-' || c == '_';
    });
    return bare ? std::string(key) : toml_quote(key);
}

}  // namespace

std::string format_feed(const FeedSource& feed) {
    std::string out = "[[feed]]\n";
    const auto line = [&out](std::string_view key, const std::string& value) {
        out += key;
        out += " = ";
        out += value;
        out += '\n';
    };
    line("name", toml_quote(feed.name));
    line("url", toml_quote(feed.url));
    if (!feed.title.empty()) line("title", toml_quote(feed.title));
    if (!feed.category.empty()) line("category", toml_quote(feed.category));
    if (!feed.tags.empty()) {
        std::string list = "[";
        for (std::size_t i = 0; i < feed.tags.size(); ++i) list += (i ? ", " : "") + toml_quote(feed.tags[i]);
        line("tags", list + "]");
    }
    if (!feed.enabled) line("enabled", "false");
    if (feed.auto_interval)
        line("interval", toml_quote("auto"));
    else if (feed.interval)
        line("interval", toml_quote(format_duration(*feed.interval)));
    if (feed.identity != IdentityRule::automatic) line("identity", toml_quote(to_string(feed.identity)));
    if (!feed.user_agent.empty()) line("user_agent", toml_quote(feed.user_agent));
    if (!feed.headers.empty()) {
        std::string table = "{ ";
        for (std::size_t i = 0; i < feed.headers.size(); ++i)
            table +=
                (i ? ", " : "") + toml_key(feed.headers[i].name) + " = " + toml_quote(feed.headers[i].value);
        line("headers", table + " }");
    }
    if (!feed.ca_file.empty()) line("ca_file", toml_quote(feed.ca_file));
    if (feed.keep_days) line("keep_days", std::to_string(*feed.keep_days));
    if (feed.backfill != BackfillMode::links) line("backfill", toml_quote(to_string(feed.backfill)));
    if (feed.full_text) line("full_text", toml_quote(to_string(*feed.full_text)));
    if (!feed.username.empty()) line("username", toml_quote(feed.username));
    switch (feed.password.kind) {
        case SecretSource::Kind::file: line("password_file", toml_quote(feed.password.reference)); break;
        case SecretSource::Kind::env: line("password_env", toml_quote(feed.password.reference)); break;
        case SecretSource::Kind::credential:
            line("password_credential", toml_quote(feed.password.reference));
            break;
        case SecretSource::Kind::none: break;
    }
    return out;
}

}  // namespace feedd::config
