// The parts of an absolute URL. A split at RFC 3986's delimiters rather than uriparser's full
// grammar: feeds.toml holds URLs curl fetches as written (raw UTF-8 paths, '{' in queries) that the
// strict grammar refuses, and a feed that loads today must load tomorrow.
#include <algorithm>

#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::url {
namespace {

// Where the authority of "scheme://authority/..." lies, or nullopt.
struct Authority {
    std::size_t begin = 0, end = 0;
};
std::optional<Authority> find_authority(std::string_view url) {
    const auto colon = url.find("://");
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    Authority at;
    at.begin = colon + 3;
    at.end = std::min(url.find_first_of("/?#", at.begin), url.size());
    return at;
}

}  // namespace

std::optional<Parts> parse(std::string_view url) {
    const auto at = find_authority(url);
    if (!at) return std::nullopt;
    Parts parts;
    parts.scheme = text::to_lower(url.substr(0, at->begin - 3));
    std::string_view authority = url.substr(at->begin, at->end - at->begin);
    std::string_view rest = url.substr(at->end);
    if (const auto sign = authority.rfind('@'); sign != std::string_view::npos) {
        parts.userinfo = authority.substr(0, sign);
        authority.remove_prefix(sign + 1);
    }
    std::string_view host = authority;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = authority.substr(0, close + 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return std::nullopt;
            parts.port = after.substr(1);
        }
    } else if (const auto port_colon = authority.rfind(':'); port_colon != std::string_view::npos) {
        host = authority.substr(0, port_colon);
        parts.port = authority.substr(port_colon + 1);
    }
    parts.host = text::to_lower(host);
    if (const auto hash = rest.find('#'); hash != std::string_view::npos) {
        parts.fragment = rest.substr(hash);
        rest = rest.substr(0, hash);
    }
    if (const auto question = rest.find('?'); question != std::string_view::npos) {
        parts.query = rest.substr(question);
        rest = rest.substr(0, question);
    }
    parts.path = rest;
    return parts;
}

std::string host(std::string_view url) {
    auto parts = parse(url);
    return parts ? std::move(parts->host) : std::string();
}

std::string redact_userinfo(std::string_view url) {
    const auto at = find_authority(url);
    if (!at) return std::string(url);
    const auto sign = url.substr(at->begin, at->end - at->begin).rfind('@');
    if (sign == std::string_view::npos) return std::string(url);
    std::string out(url.substr(0, at->begin));
    out.append(url.substr(at->begin + sign + 1));
    return out;
}

std::string redact_userinfo_in(std::string_view text) {
    std::string out;
    std::size_t copied = 0;
    for (auto colon = text.find("://"); colon != std::string_view::npos;
         colon = text.find("://", colon + 3)) {
        const std::size_t begin = colon + 3;
        // The authority ends where the path, query or fragment starts, or where the message's own
        // text does: white space, quotes, brackets and parentheses that enclose a URL.
        std::size_t end = begin;
        while (end < text.size() &&
               std::string_view("/?#\"'<>()\\ \t\r\n").find(text[end]) == std::string_view::npos)
            ++end;
        const auto sign = text.substr(begin, end - begin).rfind('@');
        if (sign == std::string_view::npos) continue;
        out.append(text.substr(copied, begin - copied));
        copied = begin + sign + 1;
    }
    out.append(text.substr(copied));
    return out;
}

}  // namespace feedd::url
