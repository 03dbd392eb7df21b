// ASCII case and white space, UTF-8, and text made safe for terminals and logs.
#include "feedd/text/text.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>

namespace feedd::text {

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

std::string_view trim(std::string_view text, std::string_view chars) noexcept {
    const auto first = text.find_first_not_of(chars);
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(chars);
    return text.substr(first, last - first + 1);
}

std::string_view trim_controls(std::string_view text) noexcept {
    while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
    while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
    return text;
}

namespace {

// Collapses `size` bytes at `read` into `write` (which may be `read` itself: the write position
// never passes the read position); returns the end of what was written.
char* collapse(const char* read, std::size_t size, char* const begin) {
    char* write = begin;
    bool pending = false;
    for (std::size_t i = 0; i < size; ++i) {
        const char c = read[i];
        // U+00A0, the no-break space that &nbsp; gives, is white space in plain text.
        const bool nbsp = c == '\xC2' && i + 1 < size && read[i + 1] == '\xA0';
        if (is_space(c) || nbsp) {
            pending = write != begin;
            i += nbsp ? 1 : 0;
            continue;
        }
        if (pending) *write++ = ' ';  // a space was skipped: still at or behind the reading position
        pending = false;
        *write++ = c;
    }
    return write;
}

}  // namespace

std::string collapse_space(std::string_view text) {
    std::string out(text.size(), '\0');
    char* const end = collapse(text.data(), text.size(), out.data());
    out.resize(static_cast<std::size_t>(end - out.data()));
    return out;
}

std::string collapse_space(std::string&& text) {
    char* const end = collapse(text.data(), text.size(), text.data());
    text.resize(static_cast<std::size_t>(end - text.data()));
    return std::move(text);
}

std::size_t count_words(std::string_view text) noexcept {
    std::size_t words = 0;
    bool in_word = false;
    for (const char c : text) {
        const bool space = is_space(c);
        if (!space && !in_word) ++words;
        in_word = !space;
    }
    return words;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

namespace {

// One UTF-8 sequence at the start of `text`: its code point and length, or `valid` false for a
// byte that starts none (bad or truncated sequences, overlong forms, surrogates).
struct Decoded {
    char32_t code = 0;
    std::size_t length = 1;
    bool valid = false;
};

Decoded decode_one(std::string_view text) noexcept {
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) return {};
    const auto c = static_cast<unsigned char>(text[0]);
    char32_t code = length == 1 ? c : length == 2 ? (c & 0x1F) : length == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < length; ++k)
        code = (code << 6) | (static_cast<unsigned char>(text[k]) & 0x3F);
    return {code, length, true};
}

}  // namespace

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t bad; (bad = find_invalid_utf8(text)) != std::string_view::npos;
         text.remove_prefix(bad + 1)) {
        out.append(text.substr(0, bad));
        append_utf8(out, 0xFFFD);
    }
    out.append(text);
    return out;
}

bool has_cjk(std::string_view text) {
    for (std::size_t i = 0; i + 2 < text.size(); ++i) {
        // ASCII holds no CJK: skipped eight bytes at a time (the archive asks this of every
        // entry's whole text, and most feeds' text is mostly ASCII).
        for (std::uint64_t block; i + 8 <= text.size(); i += 8) {
            std::memcpy(&block, text.data() + i, sizeof block);
            if ((block & 0x8080808080808080ULL) != 0) break;
        }
        if (i + 2 >= text.size()) break;
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

namespace {

// The one output policy for text from the web or from a file (docs/ARCHITECTURE.md, "Errors"): a
// character is unsafe when a terminal or a log reader would act on it instead of showing it. C0
// controls and DEL (ESC starts escape sequences, BEL rings, CR rewrites the line), C1 controls
// (U+0080..U+009F: U+009B is a one-character CSI for terminals that read C1), bidirectional
// embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069), which reorder what is
// shown, and bytes that are not UTF-8 (an 8-bit terminal reads 0x9B alone as CSI).
bool unsafe(const Decoded& one) noexcept {
    const char32_t c = one.code;
    return !one.valid || c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

// Walks `text`, copying safe characters and handing each unsafe one to `on_unsafe(out, one, byte)`.
template <typename OnUnsafe>
std::string sanitise(std::string_view text, OnUnsafe on_unsafe) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {  // the common case, ASCII, without decoding
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        const auto one = decode_one(text.substr(i));
        if (unsafe(one))
            on_unsafe(out, one, c);
        else
            out.append(text.substr(i, one.length));
        i += one.length;
    }
    return out;
}

}  // namespace

std::string printable(std::string_view text, bool keep_newlines) {
    return sanitise(text, [keep_newlines](std::string& out, const Decoded& one, unsigned char) {
        if (!one.valid)
            append_utf8(out, 0xFFFD);
        else if (one.code == '\n' && keep_newlines)
            out += '\n';
        else if (one.code == '\t' || one.code == '\n' || one.code == '\r')
            out += ' ';
    });
}

std::string escape_for_log(std::string_view text) {
    return sanitise(text, [](std::string& out, const Decoded& one, unsigned char byte) {
        char buffer[12];
        if (!one.valid)
            std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
        else if (one.code == '\n')
            std::snprintf(buffer, sizeof buffer, "\\n");
        else if (one.code == '\r')
            std::snprintf(buffer, sizeof buffer, "\\r");
        else if (one.code == '\t')
            std::snprintf(buffer, sizeof buffer, "\\t");
        else if (one.code < 0x80)
            std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(one.code));
        else
            std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(one.code));
        out += buffer;
    });
}

std::string escape_for_json(std::string_view json) {
    return sanitise(json, [](std::string& out, const Decoded& one, unsigned char byte) {
        if (one.valid && one.code < 0x20) {
            out +=
                static_cast<char>(byte);  // white space between tokens: inside strings the writer escaped it
            return;
        }
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\u%04X",
                      one.valid ? static_cast<unsigned>(one.code) : 0xFFFDu);
        out += buffer;
    });
}

bool is_printable(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto one = decode_one(text.substr(i));
        if (unsafe(one)) return false;
        i += one.length;
    }
    return true;
}

}  // namespace feedd::text
