// An HTML page read with gumbo (an HTML5 parser: real pages are not XML), for discovery and for
// the extraction of an article's main content. Private to src/parse.
#pragma once

#include <gumbo.h>

#include <cstddef>
#include <memory>
#include <string_view>

#include "feedd/html/html.hpp"

namespace feedd::parse::detail {

// How much of a page gumbo is given: the scan lives with the sanitiser, which bounds what it reads
// the same way.
using html::bounded_page;
using html::PageLimits;

// The one owner of a gumbo parse.
struct GumboOutputDeleter {
    void operator()(GumboOutput* output) const { gumbo_destroy_output(&kGumboDefaultOptions, output); }
};
using GumboDocument = std::unique_ptr<GumboOutput, GumboOutputDeleter>;

// Parses `page` (UTF-8, already bounded).
GumboDocument parse_html(std::string_view page);

}  // namespace feedd::parse::detail
