// ASCII case and white space, UTF-8, and text made safe for terminals and logs.
#include "feedd/text/text.hpp"

#include <cstdio>

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

std::string printable(std::string_view text, bool keep_newlines) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '\n' && keep_newlines) {
            out += '\n';
        } else if (c < 0x20 || c == 0x7F) {
            if (c == '\t' || c == '\n' || c == '\r') out += ' ';
        } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
                   static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
            ++i;  // C1 control
        } else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
                   (static_cast<unsigned char>(text[i + 2]) >= 0xAA &&
                    static_cast<unsigned char>(text[i + 2]) <= 0xAE)) {
            i += 2;  // U+202A..U+202E embeddings and overrides
        } else if (c == 0xE2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x81 &&
                   (static_cast<unsigned char>(text[i + 2]) >= 0xA6 &&
                    static_cast<unsigned char>(text[i + 2]) <= 0xA9)) {
            i += 2;  // U+2066..U+2069 isolates
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

std::string escape_for_log(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte == 0x7f) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\x%02x", byte);
            out += buffer;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace feedd::text
