// Text as feedd handles it, std only: ASCII case and white space, UTF-8, HTML entities, HTML made
// plain, and text made safe for a terminal or a log line. Every module that needs one of these
// calls this one home (docs/ARCHITECTURE.md), so a fix reaches the parser and the archive alike.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace feedd::text {

// ----- ASCII case (locale-independent: feed grammars are ASCII)
constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ascii_upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
constexpr bool is_ascii_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_ascii_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
// The value of a hexadecimal digit (either case), or -1: character references, percent-escapes.
constexpr int hex_digit_value(char c) noexcept {
    if (is_ascii_digit(c)) return c - '0';
    const char lower = ascii_lower(c);
    return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
}
std::string to_lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b) noexcept;

// The first position of any of `chars` in `text` at or after `from`, or npos. (libstdc++'s
// find_first_of calls memchr once per character of the text: slow for a short set.)
constexpr std::size_t find_any(std::string_view text, std::string_view chars, std::size_t from = 0) noexcept {
    for (std::size_t i = from; i < text.size(); ++i)
        for (char c : chars)
            if (text[i] == c) return i;
    return std::string_view::npos;
}

// ----- Lists
// `items` with `separator` between them ("a, b, c"), each turned into text by `project` first:
// the lists in messages, and the names and ids in SQL.
template <typename Range, typename Project>
std::string join(const Range& items, std::string_view separator, Project project) {
    std::string out;
    bool first = true;
    for (const auto& item : items) {
        if (!first) out += separator;
        first = false;
        out += project(item);
    }
    return out;
}
template <typename Range>
std::string join(const Range& items, std::string_view separator) {
    return join(
        items, separator, [](const auto& item) -> const auto& { return item; });
}

// ----- White space
// The ASCII white space of HTML and C's isspace: space, tab, LF, CR, FF, VT.
inline constexpr std::string_view ascii_space = " \t\n\r\f\v";
constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
// HTML's ASCII white space: is_space without the vertical tab, which HTML reads as text.
constexpr bool is_html_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
// `text` without leading and trailing characters of `chars`.
std::string_view trim(std::string_view text, std::string_view chars = ascii_space) noexcept;
// `text` without leading and trailing bytes up to ' ' (white space and C0 controls).
std::string_view trim_controls(std::string_view text) noexcept;
// Runs of white space (ASCII and U+00A0, the no-break space of &nbsp;) become one space; ends
// trimmed.
std::string collapse_space(std::string_view text);
// The same on a string of the caller's, without a copy.
std::string collapse_space(std::string&& text);
inline std::string collapse_space(const char* text) {
    return collapse_space(std::string_view(text));
}
// The number of runs of characters other than ASCII white space: words, for a text whose script
// separates them with spaces (an extracted page's length, an entry's reading time).
std::size_t count_words(std::string_view text) noexcept;

// ----- UTF-8
// Appends `code_point` as UTF-8; the caller passes a Unicode scalar value.
void append_utf8(std::string& out, char32_t code_point);
// The length (1 to 4) of the valid UTF-8 sequence `text` starts with, or 0 when it starts none (a
// bad or truncated sequence, an overlong form, a surrogate, a value above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view text) noexcept;
// Offset of the first byte that is not valid UTF-8, or npos: the same rule at the speed whole
// documents need (ASCII blocks are skipped, a DFA walks the rest).
std::size_t find_invalid_utf8(std::string_view text) noexcept;
// Makes arbitrary bytes valid UTF-8: each byte that starts no valid sequence becomes U+FFFD.
std::string valid_utf8(std::string_view text);
// True when the text holds Han, Hiragana, Katakana or Hangul: words are not separated by spaces.
bool has_cjk(std::string_view text);

// ----- HTML entities (the WHATWG HTML5 list; numeric references as browsers read them)
// The name of a reference at the start of `text` ("&amp;" gives "amp": a letter, then letters and
// digits, at most 39), or empty.
std::string_view entity_name(std::string_view text) noexcept;
// The UTF-8 value of a named character reference (name without '&' and ';'), or empty.
std::string_view html_entity(std::string_view name) noexcept;
// A numeric reference at the start of `text` ("&#38;", "&#x26"): appends its character to `out`
// (C1 numbers read as windows-1252, invalid ones as U+FFFD, C0 controls other than tab and line
// breaks dropped) and returns the bytes it used, 0 when there is none. `semicolon` says whether it
// was closed.
std::size_t decode_numeric_reference(std::string_view text, std::string& out, bool& semicolon);
// Appends `html` to `out` with its character references decoded: numeric ones, named ones, and
// the legacy names HTML accepts without ';'. A '&' that starts none stays as it is.
void decode_html_entities(std::string_view html, std::string& out);

// ----- HTML to plain text
enum class Breaks {
    spaces,      // one line: block elements separate words like any white space
    paragraphs,  // one paragraph (block element) per line, empty lines dropped
};
// HTML as feeds carry it to plain text: tags and comments dropped (script and style with their
// content), "a < b" kept as text, entities decoded, white space collapsed. An inline tag joins
// ("<b>Bold</b>ness" is "Boldness"); block elements break.
std::string html_to_text(std::string_view html, Breaks breaks = Breaks::spaces);
// html_to_text for a string of the caller's: text without markup or entities is only collapsed.
std::string html_to_text(std::string&& html, Breaks breaks = Breaks::spaces);
inline std::string html_to_text(const char* html, Breaks breaks = Breaks::spaces) {
    return html_to_text(std::string_view(html), breaks);
}

// ----- Text from outside shown to people
// One policy, two styles, for every place text from the web or from a file reaches a terminal or
// the journal: C0 controls, DEL, C1 controls (U+009B is a one-character CSI), bidirectional
// embeddings, overrides and isolates, and bytes that are not UTF-8 never pass through raw.
// For a terminal: those characters are dropped (bytes that are not UTF-8 become U+FFFD); tabs and
// line breaks become spaces, or newlines stay when `keep_newlines`.
std::string printable(std::string_view text, bool keep_newlines = false);
// For one log line or one message: those characters are written as escapes ("\n", "\x1b",
// "\u009b", "\u202e"), so that text from a feed cannot forge or split log lines, and what was
// there stays visible.
std::string escape_for_log(std::string_view text);
// For JSON a writer produced (UTF-8, controls in strings already escaped): the other characters of
// that policy become \uXXXX escapes, which every JSON reader reads back as the same text.
std::string escape_for_json(std::string_view json);
// True when `text` holds none of those characters, tabs and line breaks included: a value that may
// be stored (feeds.toml) and shown as it is.
bool is_printable(std::string_view text) noexcept;

// ----- XML
// `text` without what XML 1.0 cannot hold even as a character reference (C0 controls other than
// tab and line breaks, U+FFFE, U+FFFF): for text from the web written into an XML document.
std::string xml_safe(std::string_view text);

// ----- Hashing
// 128-bit non-cryptographic hash as 32 hex digits; stable across versions (the archive stores it:
// entry keys, content hashes). Also what a served document's ETag is made of.
std::string hash_hex(std::string_view data);
// Hasher().add(data).key(): 64 bits of the same hash.
std::int64_t hash_key(std::string_view data) noexcept;

// hash_hex of pieces fed one after another, equal to hash_hex of their concatenation: an entry's
// hashes cover its whole text without a copy of it (a 100 MiB article is not concatenated again).
class Hasher {
  public:
    Hasher& add(std::string_view data) noexcept;
    Hasher& add(char c) noexcept { return add(std::string_view(&c, 1)); }
    std::string hex() const;
    // The first 16 hex digits of hex() as one 64-bit integer (two's complement: hex "8000…" is
    // INT64_MIN), for a key stored in an INTEGER column. As stable as hex(): the archive stores it.
    std::int64_t key() const noexcept;

  private:
    std::uint64_t a_ = 14695981039346656037ULL, b_ = 0x9E3779B97F4A7C15ULL;
    std::uint64_t size_ = 0;
};

}  // namespace feedd::text
