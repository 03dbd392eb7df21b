// Character references: the five of XML, numeric ones, and the HTML5 list that feeds use
// without declaring it. Entities declared in a DTD are never expanded: such a reference stays
// as text, so neither "billion laughs" nor external entities can do anything.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "parse/internal.hpp"

namespace feedd::parse::detail {
namespace {

struct NamedEntity {
    std::string_view name;
    std::string_view value;
    bool legacy;  // also recognised without the ';'
};

constexpr NamedEntity kEntities[] = {
#include "parse/html_entities.inc"
};

// HTML maps these numeric references to windows-1252, as browsers do.
constexpr char16_t kWindows1252[32] = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                       0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
                                       0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                       0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// XML 1.0 forbids these; feeds still contain them.
bool is_forbidden_control(unsigned char c) {
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

void append_code_point(std::string& out, std::uint32_t cp) {
    if (cp >= 0x80 && cp <= 0x9F) cp = kWindows1252[cp - 0x80];
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') return;
    append_utf8(out, static_cast<char32_t>(cp));
}

// A numeric reference at `text` (which starts with "&#"); returns the length consumed, 0 if none.
std::size_t numeric_reference(std::string_view text, std::string& out, bool& had_semicolon) {
    std::size_t i = 2;
    const bool hex = i < text.size() && (text[i] == 'x' || text[i] == 'X');
    if (hex) ++i;
    const std::size_t digits_start = i;
    std::uint32_t value = 0;
    while (i < text.size() && (hex ? is_hex(text[i]) : is_digit(text[i]))) {
        const char c = text[i];
        const std::uint32_t digit = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
        if (value <= 0x10FFFF) value = value * (hex ? 16 : 10) + digit;
        ++i;
    }
    if (i == digits_start) return 0;
    had_semicolon = i < text.size() && text[i] == ';';
    if (had_semicolon) ++i;
    append_code_point(out, value);
    return i;
}

std::size_t name_length(std::string_view text) {
    std::size_t i = 1;
    if (i >= text.size() || !is_alpha(text[i])) return 0;
    while (i < text.size() && i < 40 && (is_alpha(text[i]) || is_digit(text[i]))) ++i;
    return i - 1;
}

const NamedEntity* find_entity(std::string_view name) noexcept {
    const auto* end = std::end(kEntities);
    const auto* it = std::lower_bound(std::begin(kEntities), end, name,
                                      [](const NamedEntity& e, std::string_view n) { return e.name < n; });
    return it != end && it->name == name ? it : nullptr;
}

}  // namespace

std::string_view html_entity(std::string_view name) noexcept {
    const auto* entity = find_entity(name);
    return entity ? entity->value : std::string_view{};
}

std::string TextOrigin::describe(const char* at) const {
    std::string text = "<" + std::string(element) + ">";
    if (document.empty() || at < document.data() || at > document.data() + document.size()) return text;
    std::size_t line = 1, column = 1;
    for (const char* c = document.data(); c < at; ++c) {
        if (*c == '\n')
            ++line, column = 1;
        else if ((static_cast<unsigned char>(*c) & 0xC0) != 0x80)
            ++column;
    }
    return text + " (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
}

void decode_xml_text(std::string_view raw, std::string& out, Problems& problems, const TextOrigin& origin) {
    out.reserve(out.size() + raw.size());
    std::size_t i = 0;
    const std::size_t n = raw.size();
    while (i < n) {
        std::size_t run = i;
        // Eight bytes at a time while none is '&' or below 0x20 (tabs and newlines stop the fast
        // path, then the byte loop lets them through).
        while (run + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, raw.data() + run, 8);
            constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
            const std::uint64_t amp = word ^ (ones * '&');
            const std::uint64_t special = ((amp - ones) & ~amp) | ((word - ones * 0x20) & ~word);
            if (special & highs) break;
            run += 8;
        }
        while (run < n && raw[run] != '&' && !is_forbidden_control(static_cast<unsigned char>(raw[run])))
            ++run;
        out.append(raw.data() + i, run - i);
        i = run;
        if (i >= n) break;
        if (raw[i] != '&') {
            problems.add_lazy(
                [&] { return "control character in " + origin.describe(raw.data() + i) + " dropped"; });
            ++i;
            continue;
        }
        const std::string_view rest = raw.substr(i);
        if (rest.size() > 2 && rest[1] == '#') {
            bool semicolon = false;
            if (const std::size_t used = numeric_reference(rest, out, semicolon)) {
                if (!semicolon)
                    problems.add_lazy([&] {
                        return "character reference without ';' in " + origin.describe(raw.data() + i);
                    });
                i += used;
                continue;
            }
        }
        const std::size_t length = name_length(rest);
        if (length > 0 && length + 1 < rest.size() && rest[length + 1] == ';') {
            const std::string_view name = rest.substr(1, length);
            if (name == "lt")
                out.push_back('<');
            else if (name == "gt")
                out.push_back('>');
            else if (name == "amp")
                out.push_back('&');
            else if (name == "quot")
                out.push_back('"');
            else if (name == "apos")
                out.push_back('\'');
            else if (const auto value = html_entity(name); !value.empty()) {
                problems.add_lazy([&] {
                    return "undeclared entity &" + std::string(name) + "; in " +
                           origin.describe(raw.data() + i) + ", read as HTML";
                });
                out.append(value);
            } else {
                // Unknown, perhaps declared in a DTD: kept as text, never expanded.
                problems.add_lazy([&] {
                    return "unknown entity &" + std::string(name) + "; in " +
                           origin.describe(raw.data() + i) + ", kept as text";
                });
                out.append(rest.substr(0, length + 2));
            }
            i += length + 2;
            continue;
        }
        problems.add_lazy(
            [&] { return "bare '&' in " + origin.describe(raw.data() + i) + ", read as '&amp;'"; });
        out.push_back('&');
        ++i;
    }
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
        if (rest.size() > 2 && rest[1] == '#') {
            bool semicolon = false;
            if (const std::size_t used = numeric_reference(rest, out, semicolon)) {
                i += used;
                continue;
            }
        }
        const std::size_t length = name_length(rest);
        if (length > 0) {
            const std::string_view name = rest.substr(1, length);
            const bool semicolon = length + 1 < rest.size() && rest[length + 1] == ';';
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

}  // namespace feedd::parse::detail
