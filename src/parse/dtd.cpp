// Internal DTD entities. pugixml does not expand entities a DOCTYPE declares; feeds that declare
// `<!ENTITY name "text">` and use `&name;` mean the text. Only what cannot hurt is expanded:
// internal general entities whose value is plain text (or one character reference), none that
// refers to another entity (so no billion laughs), none external (so nothing is read from
// outside the document), and nothing at all when the expansion would grow the document by more
// than max_growth.
#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "parse/xml_reader.hpp"

namespace feedd::parse::detail {
namespace {

constexpr std::size_t max_growth = 1 << 20;
constexpr std::size_t max_entities = 256;
constexpr std::size_t max_name = 64;

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_name_char(char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == ':' || u >= 0x80;
}

std::size_t skip_space(std::string_view text, std::size_t i) {
    while (i < text.size() && is_space(text[i])) ++i;
    return i;
}

// One character reference and nothing else: "&#233;", "&#xE9;".
bool is_char_reference(std::string_view value) {
    if (value.size() < 4 || !value.starts_with("&#") || value.back() != ';') return false;
    const bool hex = value[2] == 'x';
    const std::string_view digits = value.substr(hex ? 3 : 2, value.size() - (hex ? 4 : 3));
    return !digits.empty() && std::all_of(digits.begin(), digits.end(), [hex](char c) {
        return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                   : std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
}

// The value as it may stand in text or an attribute: XML's specials escaped, so that the
// expansion adds no markup and closes no attribute.
std::string escaped_value(std::string_view value) {
    if (is_char_reference(value)) return std::string(value);
    std::string out;
    for (const char c : value) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default: out += c;
        }
    }
    return out;
}

// The first of `stops` at or after `i` outside quoted strings, or npos.
std::size_t find_unquoted(std::string_view text, std::size_t i, std::string_view stops) {
    char quote = 0;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (quote) {
            if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (stops.find(c) != std::string_view::npos) {
            return i;
        }
    }
    return std::string_view::npos;
}

// The end of a declaration or processing instruction starting at `i` (past its '>'), or npos.
std::size_t declaration_end(std::string_view text, std::size_t i) {
    const std::size_t close = find_unquoted(text, i, ">");
    return close == std::string_view::npos ? close : close + 1;
}

struct Subset {
    std::unordered_map<std::string, std::string> entities;  // name -> escaped value
    std::size_t end = 0;                                    // past the DOCTYPE's '>'
};

// Reads `<!ENTITY name "value">` at `i` into `subset` when it is a plain internal general entity.
// Returns the position past the declaration, or npos when it is broken.
std::size_t read_entity(std::string_view text, std::size_t i, Subset& subset) {
    const std::size_t end = declaration_end(text, i);
    if (end == std::string_view::npos) return end;
    std::size_t k = skip_space(text, i + 8);    // past "<!ENTITY"
    if (k < end && text[k] == '%') return end;  // a parameter entity
    const std::size_t name_start = k;
    while (k < end && is_name_char(text[k])) ++k;
    const std::string_view name = text.substr(name_start, k - name_start);
    k = skip_space(text, k);
    if (name.empty() || name.size() > max_name || k >= end || (text[k] != '"' && text[k] != '\''))
        return end;  // external (SYSTEM, PUBLIC) or broken: not expanded
    const char quote = text[k];
    const std::size_t close = text.find(quote, k + 1);
    if (close == std::string_view::npos || close >= end) return end;
    const std::string_view value = text.substr(k + 1, close - k - 1);
    const bool plain = value.find_first_of("&%<") == std::string_view::npos || is_char_reference(value);
    // The first declaration of a name binds (XML 1.0, 4.2).
    if (plain && subset.entities.size() < max_entities && !subset.entities.contains(std::string(name)))
        subset.entities.emplace(std::string(name), escaped_value(value));
    return end;
}

// The DOCTYPE's internal subset, if the prolog has one with plain entities.
Subset read_subset(std::string_view text) {
    Subset subset;
    std::size_t i = 0;
    for (int guard = 0; guard < 64; ++guard) {
        i = skip_space(text, i);
        if (text.substr(i, 4) == "<!--") {
            const std::size_t end = text.find("-->", i);
            if (end == std::string_view::npos) return {};
            i = end + 3;
        } else if (text.substr(i, 2) == "<?") {
            const std::size_t end = text.find("?>", i);
            if (end == std::string_view::npos) return {};
            i = end + 2;
        } else {
            break;
        }
    }
    if (text.substr(i, 9) != "<!DOCTYPE") return {};
    // The name and an external id, up to '[' (no subset when '>' comes first).
    std::size_t k = find_unquoted(text, i + 9, "[>");
    if (k == std::string_view::npos || text[k] != '[') return {};
    ++k;
    while (true) {
        k = skip_space(text, k);
        if (k >= text.size()) return {};
        if (text[k] == ']') {
            k = skip_space(text, k + 1);
            if (k >= text.size() || text[k] != '>') return {};
            subset.end = k + 1;
            return subset;
        }
        if (text.substr(k, 4) == "<!--") {
            const std::size_t end = text.find("-->", k);
            if (end == std::string_view::npos) return {};
            k = end + 3;
        } else if (text.substr(k, 8) == "<!ENTITY") {
            k = read_entity(text, k, subset);
        } else if (text[k] == '<') {
            k = declaration_end(text, k);  // ELEMENT, ATTLIST, NOTATION, a processing instruction
        } else if (text[k] == '%') {
            const std::size_t end = text.find(';', k);
            k = end == std::string_view::npos ? end : end + 1;  // a parameter entity reference: skipped
        } else {
            return {};
        }
        if (k == std::string_view::npos) return {};
    }
}

}  // namespace

EntityExpansion expand_internal_entities(std::string_view text, std::string& out) {
    const Subset subset = read_subset(text);
    if (subset.entities.empty()) return {};
    out.clear();
    out.reserve(text.size() + 256);
    out.append(text.substr(0, subset.end));
    std::size_t i = subset.end;
    bool expanded = false;
    while (i < text.size()) {
        const std::size_t special = find_any(text, "&<", i);
        if (special == std::string_view::npos) break;
        out.append(text.substr(i, special - i));
        i = special;
        if (text[i] == '<') {
            // CDATA sections and comments keep their '&' as it is.
            std::string_view terminator;
            if (text.substr(i, 9) == "<![CDATA[")
                terminator = "]]>";
            else if (text.substr(i, 4) == "<!--")
                terminator = "-->";
            std::size_t end = i + 1;
            if (!terminator.empty()) {
                const std::size_t at = text.find(terminator, i);
                end = at == std::string_view::npos ? text.size() : at + terminator.size();
            }
            out.append(text.substr(i, end - i));
            i = end;
            continue;
        }
        std::size_t k = i + 1;
        while (k < text.size() && k - i <= max_name && is_name_char(text[k])) ++k;
        if (k < text.size() && text[k] == ';' && k > i + 1) {
            if (const auto found = subset.entities.find(std::string(text.substr(i + 1, k - i - 1)));
                found != subset.entities.end()) {
                out += found->second;
                expanded = true;
                i = k + 1;
                if (out.size() > text.size() + max_growth) return {false, true};
                continue;
            }
        }
        out += '&';
        ++i;
    }
    out.append(text.substr(std::min(i, text.size())));
    return {expanded, false};
}

}  // namespace feedd::parse::detail
