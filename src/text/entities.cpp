// HTML character references: the WHATWG list of named ones (html_entities.inc) and numeric ones
// as browsers read them.
#include <algorithm>
#include <cstdint>
#include <iterator>

#include "feedd/text/text.hpp"

namespace feedd::text {
namespace {

struct NamedEntity {
    std::string_view name;
    std::string_view value;
    bool legacy;  // also recognised without the ';'
};

constexpr NamedEntity kEntities[] = {
#include "html_entities.inc"  // next to this file
};

// HTML maps these numeric references to windows-1252, as browsers do.
constexpr char16_t kWindows1252[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                       0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
                                       0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                       0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

void append_code_point(std::string& out, std::uint32_t cp) {
    if (cp >= 0x80 && cp <= 0x9F) cp = kWindows1252[cp - 0x80];
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') return;
    append_utf8(out, static_cast<char32_t>(cp));
}

const NamedEntity* find_entity(std::string_view name) noexcept {
    const auto* end = std::end(kEntities);
    const auto* it = std::lower_bound(std::begin(kEntities), end, name,
                                      [](const NamedEntity& e, std::string_view n) { return e.name < n; });
    return it != end && it->name == name ? it : nullptr;
}

}  // namespace

std::string_view entity_name(std::string_view text) noexcept {
    std::size_t i = 1;
    if (i >= text.size() || !is_ascii_alpha(text[i])) return {};
    while (i < text.size() && i < 40 && (is_ascii_alpha(text[i]) || is_ascii_digit(text[i]))) ++i;
    return text.substr(1, i - 1);
}

std::string_view html_entity(std::string_view name) noexcept {
    const auto* entity = find_entity(name);
    return entity ? entity->value : std::string_view{};
}

std::size_t decode_numeric_reference(std::string_view text, std::string& out, bool& semicolon) {
    if (text.size() < 3 || text[0] != '&' || text[1] != '#') return 0;
    std::size_t i = 2;
    const bool hex = text[i] == 'x' || text[i] == 'X';
    if (hex) ++i;
    const std::size_t digits_start = i;
    std::uint32_t value = 0;
    while (i < text.size() && (hex ? hex_digit_value(text[i]) >= 0 : is_ascii_digit(text[i]))) {
        const auto digit = static_cast<std::uint32_t>(hex_digit_value(text[i]));
        if (value <= 0x10FFFF) value = value * (hex ? 16 : 10) + digit;
        ++i;
    }
    if (i == digits_start) return 0;
    semicolon = i < text.size() && text[i] == ';';
    if (semicolon) ++i;
    append_code_point(out, value);
    return i;
}

void decode_html_entities(std::string_view html, std::string& out) {
    out.reserve(out.size() + html.size());
    std::size_t i = 0;
    while (i < html.size()) {
        const std::size_t amp = html.find('&', i);
        if (amp == std::string_view::npos) {
            out.append(html.substr(i));
            break;
        }
        out.append(html.substr(i, amp - i));
        i = amp;
        const std::string_view rest = html.substr(i);
        bool semicolon = false;
        if (const std::size_t used = decode_numeric_reference(rest, out, semicolon)) {
            i += used;
            continue;
        }
        const std::size_t length = entity_name(rest).size();
        if (length > 0) {
            const std::string_view name = rest.substr(1, length);
            semicolon = length + 1 < rest.size() && rest[length + 1] == ';';
            if (const auto* entity = find_entity(name); entity && (semicolon || entity->legacy)) {
                out.append(entity->value);
                i += length + 1 + (semicolon ? 1 : 0);
                continue;
            }
        }
        out.push_back('&');
        ++i;
    }
}

}  // namespace feedd::text
