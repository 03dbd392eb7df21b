// Text as feeds carry it: plain text made HTML for content, and a light scan of HTML for the
// attributes that hold URLs. (HTML made plain is feedd_text's html_to_text.)
#include <cstring>

#include "parse/internal.hpp"

namespace feedd::parse::detail {
namespace {

using text::iequals;
using text::is_space;

// Value of attribute `wanted` in the tag text that follows the tag name (up to '>').
std::string attribute_value(std::string_view tag, std::string_view wanted) {
    std::size_t i = 0;
    while (i < tag.size()) {
        while (i < tag.size() && (is_space(tag[i]) || tag[i] == '/')) ++i;
        const std::size_t name_start = i;
        while (i < tag.size() && !is_space(tag[i]) && tag[i] != '=' && tag[i] != '>' && tag[i] != '/') ++i;
        const std::string_view name = tag.substr(name_start, i - name_start);
        if (name.empty()) return {};
        while (i < tag.size() && is_space(tag[i])) ++i;
        std::string_view value;
        if (i < tag.size() && tag[i] == '=') {
            ++i;
            while (i < tag.size() && is_space(tag[i])) ++i;
            if (i < tag.size() && (tag[i] == '"' || tag[i] == '\'')) {
                const char quote = tag[i++];
                const std::size_t end = tag.find(quote, i);
                const std::size_t stop = end == std::string_view::npos ? tag.size() : end;
                value = tag.substr(i, stop - i);
                i = stop + 1;
            } else {
                const std::size_t start = i;
                while (i < tag.size() && !is_space(tag[i]) && tag[i] != '>') ++i;
                value = tag.substr(start, i - start);
            }
        }
        if (iequals(name, wanted)) {
            std::string decoded;
            decode_html_entities(value, decoded);
            return decoded;
        }
    }
    return {};
}

}  // namespace

std::string cut_utf8(std::string text, std::size_t max_bytes) {
    static constexpr std::string_view ellipsis = "\u2026";
    if (text.size() <= max_bytes) return text;
    std::size_t end = max_bytes > ellipsis.size() ? max_bytes - ellipsis.size() : 0;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
    text += ellipsis;
    return text;
}

std::string escape_html(std::string_view text) {
    std::size_t special = find_any(text, "&<>");
    if (special == std::string_view::npos) return std::string(text);
    std::string out;
    out.reserve(text.size() + text.size() / 8 + 8);
    std::size_t copied = 0;
    while (special != std::string_view::npos) {
        out.append(text.substr(copied, special - copied));
        const char c = text[special];
        out += c == '&' ? "&amp;" : c == '<' ? "&lt;" : "&gt;";
        copied = special + 1;
        special = find_any(text, "&<>", copied);
    }
    out.append(text.substr(copied));
    return out;
}

std::string first_image(std::string_view html) {
    std::size_t i = 0;
    while ((i = html.find('<', i)) != std::string_view::npos) {
        if (i + 4 < html.size() && text::ascii_lower(html[i + 1]) == 'i' &&
            text::ascii_lower(html[i + 2]) == 'm' && text::ascii_lower(html[i + 3]) == 'g' &&
            (is_space(html[i + 4]) || html[i + 4] == '/')) {
            std::size_t end = html.find('>', i);
            if (end == std::string_view::npos) end = html.size();
            std::string src = attribute_value(html.substr(i + 4, end - i - 4), "src");
            if (!src.empty()) return std::string(collapse_space(src));
            // On past the tag: "<img <img <img ..." without '>' would otherwise rescan the rest
            // of the text once per "<img".
            i = end;
            continue;
        }
        ++i;
    }
    return {};
}

std::string absolutized_html(std::string_view html, std::string_view base) {
    std::string out;
    if (base.empty()) return std::string(html);
    std::size_t copied = 0;  // html[0, copied) is already in `out`
    std::size_t i = 0;
    const char* data = html.data();
    while (i < html.size()) {
        const void* hit = std::memchr(data + i, '=', html.size() - i);
        if (!hit) break;
        const std::size_t eq = static_cast<const char*>(hit) - data;
        i = eq + 1;
        std::size_t name_end = eq;
        while (name_end > 0 && is_space(data[name_end - 1])) --name_end;
        std::size_t name_start = name_end;
        while (name_start > 0 && text::is_ascii_alpha(data[name_start - 1]) && name_end - name_start < 5)
            --name_start;
        if (name_start == 0 || !is_space(data[name_start - 1])) continue;
        const std::string_view name(data + name_start, name_end - name_start);
        if (!iequals(name, "href") && !iequals(name, "src")) continue;
        std::size_t v = eq + 1;
        while (v < html.size() && is_space(data[v])) ++v;
        std::size_t value_start = v, value_end;
        if (v < html.size() && (data[v] == '"' || data[v] == '\'')) {
            value_start = v + 1;
            const void* close = std::memchr(data + value_start, data[v], html.size() - value_start);
            if (!close) break;
            value_end = static_cast<const char*>(close) - data;
        } else {
            value_end = v;
            while (value_end < html.size() && !is_space(data[value_end]) && data[value_end] != '>')
                ++value_end;
        }
        std::string_view value(data + value_start, value_end - value_start);
        while (!value.empty() && is_space(value.front())) value.remove_prefix(1);
        i = value_end;
        if (value.empty() || value.front() == '#' || has_scheme(value)) continue;
        const std::string absolute = resolve_url(base, value);
        if (absolute == value) continue;
        if (out.empty()) out.reserve(html.size() + html.size() / 4);
        out.append(data + copied, value_start - copied);
        out.append(absolute);
        copied = value_end;
    }
    if (copied == 0) return std::string(html);
    out.append(data + copied, html.size() - copied);
    return out;
}

void absolutize_html(std::string& html, std::string_view base) {
    if (base.empty() || html.empty()) return;
    std::string result = absolutized_html(html, base);
    if (result.size() != html.size() || result != html) html = std::move(result);
}

}  // namespace feedd::parse::detail
