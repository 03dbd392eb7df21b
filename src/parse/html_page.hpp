// An HTML page read with gumbo (an HTML5 parser: real pages are not XML), for discovery. (The
// extractor reads pages with libxml2, for speed: extract.cpp.) Private to src/parse.
#pragma once

#include <gumbo.h>

#include <memory>
#include <string_view>

namespace feedd::parse::detail {

// The owner of a gumbo parse for discovery (the sanitiser in html has its own: a
// public header may not name gumbo's types). What gumbo is given of a page is html::bounded_page's.
struct GumboOutputDeleter {
    void operator()(GumboOutput* output) const { gumbo_destroy_output(&kGumboDefaultOptions, output); }
};
using GumboDocument = std::unique_ptr<GumboOutput, GumboOutputDeleter>;

// Parses `page` (UTF-8, already cut by html::bounded_page).
GumboDocument parse_html(std::string_view page);

}  // namespace feedd::parse::detail
