// robots.txt as RFC 9309 reads it: groups of user-agent lines and their allow/disallow rules, the
// crawler's own group(s) else `*`, the longest matching pattern deciding. Written here: Debian
// packages no C or C++ parser of robots.txt (Google's robotstxt is not packaged).
#include <algorithm>
#include <cctype>

#include "feedd/parse/parse.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::parse {
namespace {

constexpr std::size_t kMaxBytes = 512 * 1024;

// Blanks around a key or value (RFC 9309's optional white space; a CR of a CRLF line too).
std::string_view trim(std::string_view s) {
    return text::trim(s, " \t\r");
}

// A user-agent line's product token: its leading letters, '_' and '-' (RFC 9309 2.2.1).
std::string_view product_token(std::string_view value) {
    std::size_t n = 0;
    while (n < value.size() &&
           (std::isalpha(static_cast<unsigned char>(value[n])) || value[n] == '_' || value[n] == '-'))
        ++n;
    return value.substr(0, n);
}

// Whether `pattern` matches the start of `path` (the whole of it with a final `$`); `*` matches
// any run of characters. Greedy with one backtrack point: linear in practice, at most
// pattern × path steps.
bool matches(std::string_view pattern, std::string_view path) {
    const bool anchored = !pattern.empty() && pattern.back() == '$';
    if (anchored) pattern.remove_suffix(1);
    std::size_t i = 0, j = 0, star = std::string_view::npos, mark = 0;
    while (j < path.size()) {
        if (!anchored && i == pattern.size()) return true;
        if (i < pattern.size() && pattern[i] == '*') {
            star = i++;
            mark = j;
        } else if (i < pattern.size() && pattern[i] == path[j]) {
            ++i;
            ++j;
        } else if (star != std::string_view::npos) {
            i = star + 1;
            j = ++mark;
        } else {
            return false;
        }
    }
    while (i < pattern.size() && pattern[i] == '*') ++i;
    return i == pattern.size();
}

}  // namespace

RobotsRules parse_robots(std::string_view text, std::string_view agent) {
    text = text.substr(0, std::min(text.size(), kMaxBytes));
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    RobotsRules own, any;
    bool own_found = false, any_found = false;
    // The group being read: which of the two it feeds, and whether a rule ended its user-agent lines.
    bool in_own = false, in_any = false, rules_seen = true;
    while (!text.empty()) {
        const auto end = text.find_first_of("\r\n");
        auto line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        const auto key = trim(line.substr(0, colon));
        const auto value = trim(line.substr(colon + 1));
        if (text::iequals(key, "user-agent")) {
            if (rules_seen) in_own = in_any = false;  // a new group
            rules_seen = false;
            const auto token = product_token(value);
            if (!agent.empty() && !token.empty() && text::iequals(token, agent)) in_own = own_found = true;
            if (value == "*") in_any = any_found = true;
        } else if (text::iequals(key, "allow") || text::iequals(key, "disallow")) {
            rules_seen = true;
            if (value.empty()) continue;  // "Disallow:" with nothing forbids nothing
            const RobotsRules::Rule rule{text::iequals(key, "allow"), url::normalise_escapes(value)};
            if (in_own) own.rules.push_back(rule);
            if (in_any) any.rules.push_back(rule);
        }
        // Other lines (sitemap, crawl-delay, ...) neither end a group nor belong to one.
    }
    if (own_found) return own;
    if (any_found) return any;
    return {};
}

bool robots_allow(const RobotsRules& rules, std::string_view path, std::string* rule) {
    if (path.empty()) path = "/";
    if (path == "/robots.txt") return true;
    // Rules and path compared in one spelling: "/caf%C3%A9", "/café" and "/caf%c3%a9" are one path,
    // "/%7Euser" is "/~user" (RFC 9309, 2.2.2). The rules are kept in that form already.
    const std::string normal = url::normalise_escapes(path);
    const RobotsRules::Rule* best = nullptr;
    for (const auto& candidate : rules.rules) {
        if (!matches(candidate.pattern, normal)) continue;
        if (!best || candidate.pattern.size() > best->pattern.size() ||
            (candidate.pattern.size() == best->pattern.size() && candidate.allow))
            best = &candidate;
    }
    if (!best) return true;
    if (rule) *rule = std::string(best->allow ? "Allow: " : "Disallow: ") + best->pattern;
    return best->allow;
}

}  // namespace feedd::parse
