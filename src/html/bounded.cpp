// How much of a page gumbo is given (html.hpp).
#include <string_view>

#include "feedd/html/html.hpp"
#include "feedd/text/text.hpp"

namespace feedd::html {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

// Tags that never hold others (void elements) or that the next of their kind closes without an
// end tag (p, li, td, ...): counting them as open would take 500 unclosed <p> of an old page for
// 500 levels of nesting.
bool opens_no_level(std::string_view name) {
    static constexpr std::string_view closed_by_next[] = {"p",  "li", "dt",     "dd",       "tr",
                                                          "td", "th", "option", "optgroup", "colgroup"};
    if (is_void_element(name)) return true;
    for (auto n : closed_by_next)
        if (name == n) return true;
    return false;
}

}  // namespace

bool is_void_element(std::string_view name) noexcept {
    static constexpr std::string_view names[] = {"area",  "base", "br",   "col",   "embed",  "hr",    "img",
                                                 "input", "link", "meta", "param", "source", "track", "wbr"};
    for (auto n : names)
        if (name == n) return true;
    return false;
}

std::string_view bounded_page(std::string_view html, const PageLimits& limits) {
    html = html.substr(0, limits.max_bytes);
    std::size_t tags = 0, depth = 0;
    std::size_t i = 0;
    char name[12];
    while ((i = html.find('<', i)) != std::string_view::npos) {
        const bool closing = i + 2 < html.size() && html[i + 1] == '/' && text::is_ascii_alpha(html[i + 2]);
        if (i + 1 >= html.size() || (!text::is_ascii_alpha(html[i + 1]) && !closing)) {
            ++i;  // comments and text cost gumbo nothing per element
            continue;
        }
        std::size_t k = i + (closing ? 2 : 1);
        std::size_t length = 0;
        for (; k < html.size() && !is_space(html[k]) && html[k] != '>' && html[k] != '/'; ++k)
            if (length < sizeof name) name[length++] = text::ascii_lower(html[k]);
        const bool counted = length < sizeof name && !opens_no_level(std::string_view(name, length));
        if (closing) {
            if (counted && depth > 0) --depth;
            i = k;
            continue;
        }
        if (++tags > limits.max_tags) return html.substr(0, i);
        std::size_t attributes = 0;
        char quote = '\0';
        for (; k < html.size(); ++k) {
            const char c = html[k];
            if (quote) {
                if (c == quote) quote = '\0';
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                break;
            } else if (is_space(c) && !is_space(html[k - 1]) && ++attributes > limits.max_attributes) {
                return html.substr(0, i);
            }
        }
        const bool self_closed = k < html.size() && html[k - 1] == '/';
        if (counted && !self_closed && ++depth > limits.max_depth) return html.substr(0, i);
        i = k;
    }
    return html;
}

}  // namespace feedd::html
