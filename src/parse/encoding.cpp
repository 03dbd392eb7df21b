// Bytes to UTF-8. The order follows RFC 3023 as feedparser applies it: a byte order mark wins,
// then the charset of the HTTP Content-Type, then the XML declaration, then UTF-8.
#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include "parse/internal.hpp"

namespace feedd::parse::detail {
namespace {

using text::to_lower;

// A charset label without the white space and quotes around it.
std::string_view trim(std::string_view label) {
    return text::trim(label, " \t\"'\r\n");
}

std::string http_charset(std::string_view content_type) {
    const std::string type = to_lower(content_type);
    const auto at = type.find("charset=");
    if (at == std::string::npos) return {};
    std::string_view value = std::string_view(type).substr(at + 8);
    value = value.substr(0, value.find(';'));
    return std::string(trim(value));
}

// The charset an HTML page declares in <meta> within its first 1 024 bytes, lowercased; "" when none.
std::string meta_charset(std::string_view html) {
    const std::string head = to_lower(html.substr(0, 1024));
    std::size_t at = 0;
    while ((at = head.find("<meta", at)) != std::string::npos) {
        const auto end = head.find('>', at);
        const std::string_view tag =
            std::string_view(head).substr(at, end == std::string::npos ? end : end - at);
        at += 5;
        const auto charset = tag.find("charset");
        if (charset == std::string_view::npos) continue;
        std::string_view value = tag.substr(charset + 7);
        while (!value.empty() && (value.front() == ' ' || value.front() == '=')) value.remove_prefix(1);
        while (!value.empty() && (value.front() == '"' || value.front() == '\'')) value.remove_prefix(1);
        std::size_t length = 0;
        while (length < value.size() && value[length] != '"' && value[length] != '\'' &&
               value[length] != ';' && value[length] != ' ' && value[length] != '/' && value[length] != '>')
            ++length;
        if (length > 0 && length < 40) return std::string(value.substr(0, length));
    }
    return {};
}

// encoding="..." of an ASCII-compatible XML declaration, lowercased.
std::string declared_charset(std::string_view text) {
    std::size_t start = 0;
    while (start < text.size() && start < 256 &&
           (text[start] == ' ' || text[start] == '\n' || text[start] == '\r' || text[start] == '\t'))
        ++start;
    if (text.substr(start, 5) != "<?xml") return {};
    const auto end = text.find('>', start);
    if (end == std::string_view::npos || end > start + 512) return {};
    const std::string declaration = to_lower(text.substr(start, end - start));
    const auto at = declaration.find("encoding");
    if (at == std::string::npos) return {};
    auto eq = declaration.find('=', at);
    if (eq == std::string::npos) return {};
    std::string_view value = std::string_view(declaration).substr(eq + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (value.empty() || (value.front() != '"' && value.front() != '\'')) return {};
    const char quote = value.front();
    value.remove_prefix(1);
    return std::string(value.substr(0, value.find(quote)));
}

// Labels as feeds use them, mapped to what glibc's iconv reads (the WHATWG choices: a Latin-1
// label means windows-1252, GB2312 means GB18030, and so on, because that is what servers send).
std::string iconv_name(const std::string& label) {
    static const std::pair<std::string_view, std::string_view> aliases[] = {
        {"iso-8859-1", "WINDOWS-1252"},
        {"iso8859-1", "WINDOWS-1252"},
        {"latin1", "WINDOWS-1252"},
        {"latin-1", "WINDOWS-1252"},
        {"l1", "WINDOWS-1252"},
        {"us-ascii", "WINDOWS-1252"},
        {"ascii", "WINDOWS-1252"},
        {"iso_8859-1", "WINDOWS-1252"},
        {"cp819", "WINDOWS-1252"},
        {"gb2312", "GB18030"},
        {"gbk", "GB18030"},
        {"x-gbk", "GB18030"},
        {"euc-cn", "GB18030"},
        {"cp936", "GB18030"},
        {"shift_jis", "CP932"},
        {"shift-jis", "CP932"},
        {"sjis", "CP932"},
        {"x-sjis", "CP932"},
        {"ms_kanji", "CP932"},
        {"windows-31j", "CP932"},
        {"euc-kr", "CP949"},
        {"big5", "BIG5-HKSCS"},
        {"x-mac-roman", "MACINTOSH"},
        {"tis-620", "WINDOWS-874"},
    };
    for (const auto& [from, to] : aliases)
        if (label == from) return std::string(to);
    return label;
}

// windows-1252 (what Latin-1 labels mean on the web) to UTF-8 by table: the most common legacy
// encoding of feeds, converted without iconv's per-character overhead.
void windows_1252_to_utf8(std::string_view bytes, std::string& out, Problems& problems) {
    static constexpr char16_t high[32] = {0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                          0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0,      0x017D, 0,
                                          0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                          0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};
    out.resize(bytes.size() * 3);  // at most three UTF-8 bytes per byte
    char* write = out.data();
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    bool reported = false;
    std::size_t i = 0;
    while (i < n) {
        // ASCII runs are copied eight bytes at a time.
        while (i + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, in + i, 8);
            if (word & 0x8080808080808080ULL) break;
            std::memcpy(write, in + i, 8);
            write += 8;
            i += 8;
        }
        if (i >= n) break;
        const unsigned char c = in[i++];
        if (c < 0x80) {
            *write++ = static_cast<char>(c);
            continue;
        }
        char32_t cp = c >= 0xA0 ? c : high[c - 0x80];
        if (cp == 0) {
            if (!reported)
                problems.add("byte " + std::to_string(i - 1) +
                             " is not valid windows-1252, replaced with U+FFFD");
            reported = true;
            cp = 0xFFFD;
        }
        if (cp < 0x800) {
            *write++ = static_cast<char>(0xC0 | (cp >> 6));
            *write++ = static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            *write++ = static_cast<char>(0xE0 | (cp >> 12));
            *write++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            *write++ = static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    out.resize(static_cast<std::size_t>(write - out.data()));
}

bool is_utf8_label(const std::string& label) {
    return label == "utf-8" || label == "utf8";
}
bool is_wide_label(const std::string& label) {
    return label.starts_with("utf-16") || label.starts_with("utf-32") || label.starts_with("ucs-") ||
           label == "unicode" || label == "utf16" || label == "utf32";
}

class Iconv {
  public:
    explicit Iconv(const std::string& from) : handle_(iconv_open("UTF-8", from.c_str())) {}
    ~Iconv() {
        if (ok()) iconv_close(handle_);
    }
    Iconv(const Iconv&) = delete;
    Iconv& operator=(const Iconv&) = delete;
    bool ok() const { return handle_ != reinterpret_cast<iconv_t>(-1); }
    iconv_t get() const { return handle_; }

  private:
    iconv_t handle_;
};

// `unit` is the code unit size, so that a bad unit of UTF-16/32 is skipped whole.
bool convert(std::string_view bytes, const std::string& from, std::size_t unit, std::string& out,
             Problems& problems) {
    Iconv converter(from);
    if (!converter.ok()) return false;
    out.clear();
    out.resize(bytes.size() * 2 + 16);
    char* in = const_cast<char*>(bytes.data());  // iconv's signature; it does not write the input
    std::size_t in_left = bytes.size();
    std::size_t written = 0;
    std::size_t bad = 0;
    while (in_left > 0) {
        char* out_ptr = out.data() + written;
        std::size_t out_left = out.size() - written;
        const std::size_t rc = iconv(converter.get(), &in, &in_left, &out_ptr, &out_left);
        written = out.size() - out_left;
        if (rc != static_cast<std::size_t>(-1)) break;
        if (errno == E2BIG) {
            out.resize(out.size() * 2);
            continue;
        }
        if (bad++ == 0)
            problems.add("byte " + std::to_string(bytes.size() - in_left) + " is not valid " + from +
                         ", replaced with U+FFFD");
        if (out.size() - written < 4) out.resize(out.size() * 2);
        std::memcpy(out.data() + written, "\xEF\xBF\xBD", 3);
        written += 3;
        const std::size_t skip = std::min(unit, in_left);
        in += skip;
        in_left -= skip;
    }
    out.resize(written);
    return true;
}

// Copies UTF-8, replacing each invalid byte with U+FFFD; the first one is reported.
void repair_utf8(std::string_view text, std::string& out, Problems& problems) {
    if (const std::size_t bad = find_invalid_utf8(text); bad != std::string_view::npos)
        problems.add("byte " + std::to_string(bad) + " is not valid UTF-8, replaced with U+FFFD");
    out = text::valid_utf8(text);
}

}  // namespace

namespace {

// Two UTF-16 code units of ASCII at the start, with their zero bytes at `zero` (0: big endian,
// 1: little endian). One "\0<" alone is no evidence: it is also a stray NUL before "<?xml".
bool wide_pair(std::string_view bytes, std::size_t zero) {
    if (bytes.size() < 4) return false;
    const std::size_t other = 1 - zero;
    return bytes[zero] == '\0' && bytes[zero + 2] == '\0' && bytes[other] != '\0' && bytes[other + 2] != '\0';
}

}  // namespace

Utf8Text to_utf8(std::string_view bytes, std::string_view content_type, Problems& problems) {
    Utf8Text result;
    auto starts = [&](std::string_view prefix) { return bytes.substr(0, prefix.size()) == prefix; };
    using namespace std::string_view_literals;

    // 1. A byte order mark, or the first characters of an XML document in UTF-16/32 without one.
    std::string wide;
    std::size_t unit = 1;
    std::size_t skip = 0;
    if (starts("\xEF\xBB\xBF")) {
        skip = 3;
        result.encoding = "utf-8";
    } else if (starts("\xFF\xFE\x00\x00"sv)) {
        wide = "UTF-32LE", unit = 4, skip = 4;
    } else if (starts("\x00\x00\xFE\xFF"sv)) {
        wide = "UTF-32BE", unit = 4, skip = 4;
    } else if (starts("\xFF\xFE")) {
        wide = "UTF-16LE", unit = 2, skip = 2;
    } else if (starts("\xFE\xFF")) {
        wide = "UTF-16BE", unit = 2, skip = 2;
    } else if (starts("\x00\x00\x00\x3C"sv)) {
        wide = "UTF-32BE", unit = 4;
    } else if (starts("\x3C\x00\x00\x00"sv)) {
        wide = "UTF-32LE", unit = 4;
    } else if (wide_pair(bytes, 0) && (bytes[1] == '<' || bytes[1] == '{' || bytes[1] == ' ')) {
        wide = "UTF-16BE", unit = 2;
    } else if (wide_pair(bytes, 1) && (bytes[0] == '<' || bytes[0] == '{' || bytes[0] == ' ')) {
        wide = "UTF-16LE", unit = 2;
    }
    bytes.remove_prefix(skip);
    if (!wide.empty()) {
        result.encoding = to_lower(wide);
        if (!convert(bytes, wide, unit, result.owned, problems)) repair_utf8(bytes, result.owned, problems);
        result.converted = true;
        return result;
    }

    // 2. The HTTP charset, else the XML declaration, else UTF-8 (a BOM said UTF-8 already).
    std::string label = result.encoding;
    std::string source = "byte order mark";
    if (label.empty()) {
        label = http_charset(content_type);
        source = "HTTP charset";
    }
    if (label.empty()) {
        label = declared_charset(bytes);
        source = "XML declaration";
    }
    const bool declared = !label.empty();
    if (!declared) label = "utf-8", source = "default";
    if (is_wide_label(label)) {
        // A declaration of UTF-16 in a document whose bytes are ASCII-compatible is simply wrong.
        problems.add(source + " says " + label + " but the document is not; read as UTF-8");
        label = "utf-8";
    }

    const std::size_t invalid = find_invalid_utf8(bytes);
    if (is_utf8_label(label)) {
        result.encoding = "utf-8";
        if (invalid == std::string_view::npos) {
            result.input = bytes;
            return result;
        }
        if (!declared) {
            windows_1252_to_utf8(bytes, result.owned, problems);
            // Nothing declared and not UTF-8: the web's usual legacy encoding, as feedparser does.
            problems.add("no encoding declared and the bytes are not UTF-8; read as windows-1252");
            result.encoding = "windows-1252";
        } else {
            repair_utf8(bytes, result.owned, problems);
        }
        result.converted = true;
        return result;
    }
    // Valid UTF-8 with non-ASCII characters is UTF-8 whatever it claims: in a real legacy
    // encoding such byte sequences practically never occur.
    if (invalid == std::string_view::npos) {
        bool non_ascii = false;
        for (unsigned char c : bytes)
            if (c >= 0x80) {
                non_ascii = true;
                break;
            }
        result.encoding = non_ascii ? "utf-8" : label;
        if (non_ascii) problems.add(source + " says " + label + " but the bytes are UTF-8; read as UTF-8");
        result.input = bytes;
        return result;
    }
    const std::string name = iconv_name(label);
    result.encoding = to_lower(name);
    if (name == "WINDOWS-1252" || label == "windows-1252" || label == "cp1252") {
        result.encoding = "windows-1252";
        windows_1252_to_utf8(bytes, result.owned, problems);
    } else if (!convert(bytes, name, 1, result.owned, problems)) {
        problems.add("unknown encoding " + label + "; read as UTF-8");
        result.encoding = "utf-8";
        repair_utf8(bytes, result.owned, problems);
    }
    result.converted = true;
    return result;
}

Utf8Text page_to_utf8(std::string_view bytes, std::string_view content_type, Problems& problems) {
    if (http_charset(content_type).empty()) {
        if (const auto declared = meta_charset(bytes); !declared.empty())
            return to_utf8(bytes, "text/html; charset=" + declared, problems);
    }
    return to_utf8(bytes, content_type, problems);
}

}  // namespace feedd::parse::detail
