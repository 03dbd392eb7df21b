#include "store/text.hpp"

#include <array>
#include <cstdio>
#include <utility>

namespace feedd::store::detail {
namespace {

void append_utf8(std::string& out, char32_t code) {
    if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) code = 0xFFFD;
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

// The entities feeds actually use; the parser hands us HTML, so anything rarer stays as written.
constexpr std::array<std::pair<std::string_view, char32_t>, 40> named_entities{{
    {"amp", U'&'},     {"lt", U'<'},       {"gt", U'>'},      {"quot", U'"'},    {"apos", U'\''},
    {"nbsp", 0xA0},    {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"lsquo", 0x2018},
    {"rsquo", 0x2019}, {"ldquo", 0x201C},  {"rdquo", 0x201D}, {"sbquo", 0x201A}, {"bdquo", 0x201E},
    {"laquo", 0xAB},   {"raquo", 0xBB},    {"copy", 0xA9},    {"reg", 0xAE},     {"trade", 0x2122},
    {"bull", 0x2022},  {"middot", 0xB7},   {"deg", 0xB0},     {"euro", 0x20AC},  {"pound", 0xA3},
    {"yen", 0xA5},     {"cent", 0xA2},     {"sect", 0xA7},    {"para", 0xB6},    {"times", 0xD7},
    {"eacute", 0xE9},  {"egrave", 0xE8},   {"aacute", 0xE1},  {"agrave", 0xE0},  {"ouml", 0xF6},
    {"uuml", 0xFC},    {"auml", 0xE4},     {"szlig", 0xDF},   {"ccedil", 0xE7},  {"thinsp", 0x2009},
}};

bool is_block(const std::string& name) {
    constexpr std::array blocks{"p",          "br",      "div",    "li",    "ul", "ol", "h1",
                                "h2",         "h3",      "h4",     "h5",    "h6", "tr", "pre",
                                "blockquote", "section", "hr",     "table", "dd", "dt", "figure",
                                "figcaption", "article", "header", "footer"};
    for (auto block : blocks)
        if (name == block) return true;
    return false;
}

bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// Decodes one entity at text[i] == '&'; returns the bytes consumed (0: not an entity).
std::size_t decode_entity(std::string_view text, std::size_t i, std::string& out) {
    auto end = text.find(';', i + 1);
    if (end == std::string_view::npos || end - i > 12 || end == i + 1) return 0;
    auto name = text.substr(i + 1, end - i - 1);
    if (name[0] == '#') {
        char32_t code = 0;
        bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
        auto digits = name.substr(hex ? 2 : 1);
        if (digits.empty()) return 0;
        for (char c : digits) {
            int value;
            if (c >= '0' && c <= '9')
                value = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                value = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                value = c - 'A' + 10;
            else
                return 0;
            code = code * (hex ? 16 : 10) + static_cast<char32_t>(value);
            if (code > 0x10FFFF) code = 0x110000;  // stays invalid, becomes U+FFFD
        }
        append_utf8(out, code < 0x20 ? U' ' : code);  // control characters are white space here
        return end - i + 1;
    }
    for (const auto& [entity, code] : named_entities) {
        if (entity == name) {
            append_utf8(out, code);
            return end - i + 1;
        }
    }
    return 0;
}

}  // namespace

std::string html_to_text(std::string_view html) {
    std::string out;
    out.reserve(html.size());
    std::size_t i = 0;
    while (i < html.size()) {
        char c = html[i];
        if (c == '<') {
            if (html.substr(i, 4) == "<!--") {
                auto end = html.find("-->", i + 4);
                i = end == std::string_view::npos ? html.size() : end + 3;
                out += ' ';
                continue;
            }
            auto end = html.find('>', i + 1);
            if (end == std::string_view::npos) break;  // a cut-off tag carries no text
            auto tag = html.substr(i + 1, end - i - 1);
            if (!tag.empty() && tag[0] == '/') tag.remove_prefix(1);
            std::size_t name_end = 0;
            while (name_end < tag.size() && !is_space(static_cast<unsigned char>(tag[name_end])) &&
                   tag[name_end] != '/')
                ++name_end;
            auto name = lower_ascii(tag.substr(0, name_end));
            i = end + 1;
            if (name == "script" || name == "style") {
                auto close = lower_ascii(html.substr(i)).find("</" + name);
                if (close == std::string::npos) break;
                auto close_end = html.find('>', i + close);
                i = close_end == std::string_view::npos ? html.size() : close_end + 1;
            }
            // Tags separate words; block elements separate paragraphs.
            out += is_block(name) ? '\n' : ' ';
            continue;
        }
        if (c == '&') {
            if (auto used = decode_entity(html, i, out)) {
                i += used;
                continue;
            }
        }
        out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;  // source line breaks are white space
        ++i;
    }
    // One paragraph per line: white space collapsed within lines, empty lines dropped.
    std::string text;
    std::size_t begin = 0;
    while (begin <= out.size()) {
        auto end = out.find('\n', begin);
        if (end == std::string::npos) end = out.size();
        auto line = collapse_space(std::string_view(out).substr(begin, end - begin));
        if (!line.empty()) {
            if (!text.empty()) text += '\n';
            text += line;
        }
        begin = end + 1;
    }
    return text;
}

std::string collapse_space(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool pending = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        bool space = is_space(c);
        if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xA0) {
            space = true;
            ++i;
        }
        if (space) {
            pending = !out.empty();
            continue;
        }
        if (pending) out += ' ';
        pending = false;
        out += static_cast<char>(c);
    }
    return out;
}

bool has_cjk(std::string_view text) {
    for (std::size_t i = 0; i + 2 < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if ((c & 0xF0) == 0xE0) {
            char32_t code = ((c & 0x0F) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3F) << 6) |
                            (static_cast<unsigned char>(text[i + 2]) & 0x3F);
            if ((code >= 0x3040 && code <= 0x30FF) ||  // Hiragana, Katakana
                (code >= 0x3400 && code <= 0x4DBF) ||  // Han extension A
                (code >= 0x4E00 && code <= 0x9FFF) ||  // Han
                (code >= 0xAC00 && code <= 0xD7AF) ||  // Hangul
                (code >= 0xF900 && code <= 0xFAFF))    // Han compatibility
                return true;
        } else if ((c & 0xF8) == 0xF0 && c >= 0xF0 && i + 3 < text.size()) {
            // Supplementary Han planes (U+20000..U+3FFFF) start with F0 A0..F0 BF.
            auto next = static_cast<unsigned char>(text[i + 1]);
            if (c == 0xF0 && next >= 0xA0) return true;
        }
    }
    return false;
}

std::string hash_hex(std::string_view data) {
    // Two FNV-1a lanes with different bases, each finished by a 64-bit avalanche mix.
    std::uint64_t a = 14695981039346656037ULL, b = 0x9E3779B97F4A7C15ULL;
    for (unsigned char c : data) {
        a = (a ^ c) * 1099511628211ULL;
        b = (b ^ c) * 0x100000001B3ULL;
        b ^= b >> 29;
    }
    auto mix = [](std::uint64_t x) {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDULL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53ULL;
        x ^= x >> 33;
        return x;
    };
    char buffer[33];
    std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(mix(a)),
                  static_cast<unsigned long long>(mix(b ^ data.size())));
    return buffer;
}

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        std::size_t length = c < 0x80           ? 1
                             : (c >> 5) == 0x6  ? 2
                             : (c >> 4) == 0xE  ? 3
                             : (c >> 3) == 0x1E ? 4
                                                : 0;
        bool ok = length > 0 && i + length <= text.size();
        char32_t code = length == 1 ? c : length == 2 ? (c & 0x1F) : length == 3 ? (c & 0x0F) : (c & 0x07);
        for (std::size_t k = 1; ok && k < length; ++k) {
            auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) ok = false;
            code = (code << 6) | (next & 0x3F);
        }
        // Overlong forms and surrogates are invalid too.
        if (ok &&
            ((length == 2 && code < 0x80) || (length == 3 && code < 0x800) ||
             (length == 4 && (code < 0x10000 || code > 0x10FFFF)) || (code >= 0xD800 && code <= 0xDFFF)))
            ok = false;
        if (ok) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            append_utf8(out, 0xFFFD);
            ++i;
        }
    }
    return out;
}

}  // namespace feedd::store::detail
