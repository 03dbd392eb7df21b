// The text forms of the archive: plain text for the index, comparison forms, hashes. The text
// itself is feedd_text's, so the index reads HTML exactly as the parser does.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "feedd/text/text.hpp"

namespace feedd::store::detail {

// The archive's plain text of HTML: one paragraph per line.
inline std::string html_to_text(std::string_view html) {
    return text::html_to_text(html, text::Breaks::paragraphs);
}
using text::collapse_space;
using text::has_cjk;

// 128-bit non-cryptographic hash as 32 hex digits; stable across versions (it is stored).
std::string hash_hex(std::string_view data);

}  // namespace feedd::store::detail
