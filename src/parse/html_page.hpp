// An HTML page read with gumbo (an HTML5 parser: real pages are not XML), for discovery and for
// the extraction of an article's main content. Private to src/parse.
#pragma once

#include <gumbo.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace feedd::parse::detail {

// How much of a page gumbo is given. Like other HTML5 parsers, gumbo scans the stack of open
// elements for each tag and the attributes of a tag for each attribute: 100 000 nested <div> or
// one tag with 50 000 attributes take it seconds, a 16 MiB page of them hours. The page is read up
// to the first point past one of these limits.
struct PageLimits {
    std::size_t max_bytes;
    std::size_t max_tags;
    std::size_t max_attributes;  // on one tag
    std::size_t max_depth;       // containers open at once, counted roughly (see bounded_page)
};

// The part of `html` within `limits`. A light scan, not a parser: it only decides the cut.
std::string_view bounded_page(std::string_view html, const PageLimits& limits);

// The one owner of a gumbo parse.
struct GumboOutputDeleter {
    void operator()(GumboOutput* output) const { gumbo_destroy_output(&kGumboDefaultOptions, output); }
};
using GumboDocument = std::unique_ptr<GumboOutput, GumboOutputDeleter>;

// Parses `page` (UTF-8, already bounded).
GumboDocument parse_html(std::string_view page);

}  // namespace feedd::parse::detail
