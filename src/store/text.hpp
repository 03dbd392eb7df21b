// Text helpers of the archive: plain text for the index, comparison forms, hashes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace feedd::store::detail {

// HTML (as feeds carry it) to plain text: tags dropped (script/style with their content), entities
// decoded, white space collapsed, one paragraph (block element) per line.
std::string html_to_text(std::string_view html);

// Runs of white space (ASCII and U+00A0) become one space; ends trimmed.
std::string collapse_space(std::string_view text);

// True when the text holds Han, Hiragana, Katakana or Hangul: words are not separated by spaces.
bool has_cjk(std::string_view text);

// 128-bit non-cryptographic hash as 32 hex digits; stable across versions (it is stored).
std::string hash_hex(std::string_view data);

// Makes arbitrary bytes valid UTF-8 (bad sequences become U+FFFD).
std::string valid_utf8(std::string_view text);

}  // namespace feedd::store::detail
