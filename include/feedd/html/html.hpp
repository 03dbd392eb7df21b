// HTML that feedd serves (the API, the feeds of saved queries): the publisher's HTML made safe to
// show in a reader. The archive keeps what the publisher sent; this is the one place it is cleaned
// on the way out (docs/ARCHITECTURE.md, "Served HTML").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace feedd::html {

// `html` (a fragment, as feeds carry it) read as an HTML5 parser reads it (gumbo) and written back
// with only what an allowlist keeps:
// - elements of text and layout (p, a, img, lists, tables, figure, video, ...); script, style,
//   noscript, template, forms and their controls, object, embed, frames, svg, math and the
//   document's head (base, meta, link, title) go with their content; other elements are unwrapped
//   (their content stays);
// - attributes by element (href, src, srcset, alt, title, ...): no event handler, no style, no id
//   or class;
// - URLs (href, src, srcset, poster, cite) made absolute against `base_url` (url::resolve), and
//   kept only for http(s) (links also mailto, tel, ftp, magnet; img src also data:image/ of
//   raster types); `<a>` gets rel="noopener noreferrer";
// - iframes only with an https src on a known video host's embed path, with a sandbox.
// The result is well-formed (every element closed, attributes quoted, text escaped) and valid
// UTF-8, and sanitising it again changes nothing. Empty for HTML that keeps nothing.
// HTML deeper or larger than a reader needs (PageLimits below: more than 200 000 tags, 512 open
// elements or 64 attributes on one tag, which costs gumbo seconds to minutes) is served as its plain
// text, one <p> per paragraph.
[[nodiscard]] std::string sanitize(std::string_view html, std::string_view base_url);

// Text written into HTML, as element content or a quoted attribute value: & < > and, in an
// attribute, " escaped; NUL dropped. The one escaping of what feedd writes as HTML (the sanitiser's
// output and the web pages).
void append_escaped(std::string& out, std::string_view text, bool attribute);
// The same for a value that may land in either: & < > " and ' escaped.
[[nodiscard]] std::string escape(std::string_view text);

// How much of an HTML page an HTML5 parser (gumbo) is given. Like other HTML5 parsers, gumbo scans
// the stack of open elements for each tag and the attributes of a tag for each attribute: 100 000
// nested <div> or one tag with 50 000 attributes take it seconds, a 16 MiB page of them hours.
struct PageLimits {
    std::size_t max_bytes;
    std::size_t max_tags;
    std::size_t max_attributes;  // on one tag
    std::size_t max_depth;       // containers open at once, counted roughly (see bounded_page)
};

// The part of `html` within `limits`, up to the first point past one of them. A light scan, not a
// parser: it only decides the cut (discovery and extraction read the page up to it; the sanitiser
// reads no page that it would cut).
[[nodiscard]] std::string_view bounded_page(std::string_view html, const PageLimits& limits);

// True for an HTML void element (br, img, meta, ...: no content, no end tag), `name` in lower case.
// For writers of HTML: an end tag after one reads as a second, empty element.
[[nodiscard]] bool is_void_element(std::string_view name) noexcept;

}  // namespace feedd::html
