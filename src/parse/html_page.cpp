#include "parse/html_page.hpp"

namespace feedd::parse::detail {

GumboDocument parse_html(std::string_view page) {
    return GumboDocument(gumbo_parse_with_options(&kGumboDefaultOptions, page.data(), page.size()));
}

}  // namespace feedd::parse::detail
