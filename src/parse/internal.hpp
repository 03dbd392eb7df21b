// The parser's building blocks, private to src/parse (and its tests).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "feedd/model/model.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::parse::detail {

// What went wrong while reading a document; the first problem is kept with its position, the
// rest are counted, so that `error` stays one line.
class Problems {
  public:
    void add(std::string message) {
        if (first_.empty()) first_ = bounded(std::move(message));
        ++count_;
    }
    // Builds the message only when it is the one kept: hot loops report without allocating.
    template <class MakeMessage>
    void add_lazy(MakeMessage&& make_message) {
        if (first_.empty()) first_ = bounded(make_message());
        ++count_;
    }
    // Messages quote names from the document, which an attacker can make a megabyte long.
    static constexpr std::size_t max_message = 512;
    bool any() const { return count_ > 0; }
    std::string summary() const;

  private:
    static std::string bounded(std::string message);
    std::string first_;
    std::size_t count_ = 0;
};

using text::find_any;

// ----- encoding.cpp
struct Utf8Text {
    std::string_view input;  // the input without its BOM, when it was valid UTF-8 already
    std::string owned;       // else the converted or repaired copy
    bool converted = false;
    std::string encoding;  // what it was read as, e.g. "windows-1252"
    std::string_view text() const { return converted ? std::string_view(owned) : input; }
};
// BOM, then the HTTP charset, then the XML declaration (RFC 3023 as feedparser applies it), then
// UTF-8. Invalid bytes become U+FFFD and are reported.
Utf8Text to_utf8(std::string_view bytes, std::string_view content_type, Problems& problems);
// The same for an HTML page: the charset it declares in its first 1 024 bytes (<meta charset> or
// <meta http-equiv="Content-Type" content="...; charset=...">) stands where a feed's XML
// declaration does, after the HTTP charset.
Utf8Text page_to_utf8(std::string_view bytes, std::string_view content_type, Problems& problems);
using text::append_utf8;
using text::find_invalid_utf8;

// ----- entities.cpp
// Where a piece of text lies, for reports: its element and the document it is in.
struct TextOrigin {
    std::string_view element;   // the element's qualified name
    std::string_view document;  // the parsed document, when `raw` text points into it
    // "<title> (line 5, column 12)" for a position in the text.
    std::string describe(const char* at) const;
};

// Decodes XML character data as it stands in the document (escapes not yet expanded): the five
// XML entities, numeric references and, as a repair, HTML5 named entities; a bare '&' stays.
// Control characters that XML forbids are dropped.
void decode_xml_text(std::string_view raw, std::string& out, Problems& problems, const TextOrigin& origin);

// ----- plain text (feedd_text's; these names say what the parser reads them for)
using text::collapse_space;
using text::decode_html_entities;
// HTML to one line of plain text: tags dropped, entities decoded, white space collapsed.
inline std::string html_to_plain(std::string_view html) {
    return text::html_to_text(html);
}
// Collapses white space in a string of our own, without a copy.
inline std::string collapse_space_in_place(std::string text) {
    return text::collapse_space(std::move(text));
}
// html_to_plain for a string of our own: text without markup or entities is only collapsed.
inline std::string plain_text(std::string text) {
    return text::html_to_text(std::move(text));
}

// ----- text.cpp
// `text` cut to at most `max_bytes` at a character boundary, ending in "…" when cut.
std::string cut_utf8(std::string text, std::size_t max_bytes);
// Escapes text so that HTML shows it as it is.
std::string escape_html(std::string_view text);
// The src of the first <img> in HTML, raw (entities decoded), or empty.
std::string first_image(std::string_view html);
// Makes href/src attributes of HTML absolute against `base`, in place; a fast scan, not a parser.
void absolutize_html(std::string& html, std::string_view base);
// The same, into a new string: the one copy of the HTML that the entry keeps.
std::string absolutized_html(std::string_view html, std::string_view base);

// ----- URLs (feedd_url's)
using url::has_scheme;
// `reference` made absolute against `base` (RFC 3986); unchanged when it cannot be.
inline std::string resolve_url(std::string_view base, std::string_view reference) {
    return url::resolve(base, reference);
}

// ----- dates.cpp
// RFC 822/2822 with their real-world variants, ISO 8601/RFC 3339/W3CDTF (also partial) and the
// common broken forms; nullopt when unreadable.
std::optional<TimePoint> parse_date(std::string_view text) noexcept;

// ----- xml_feed.cpp, json_feed.cpp, discover.cpp
// `text` is valid UTF-8. When `source` is given (the string `text` lies in, the caller's to give
// away), it is freed once the document is loaded and its reader found, and true is returned:
// `text` must not be read after that.
bool parse_xml_feed(std::string_view text, std::string_view base_url, ParsedFeed& feed, Problems& problems,
                    std::string* source = nullptr);
// When `source` is given (as for parse_xml_feed), it is freed once the JSON is parsed.
void parse_json_feed(std::string_view text, std::string_view base_url, ParsedFeed& feed, Problems& problems,
                     std::string* source = nullptr);
bool looks_like_html(std::string_view text) noexcept;

}  // namespace feedd::parse::detail
