// HTML that feedd serves (the API, the feeds of saved queries): the publisher's HTML made safe to
// show in a reader. The archive keeps what the publisher sent; this is the one place it is cleaned
// on the way out (docs/ARCHITECTURE.md, "Served HTML").
#pragma once

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
[[nodiscard]] std::string sanitize(std::string_view html, std::string_view base_url);

}  // namespace feedd::html
