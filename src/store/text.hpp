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

// An entry's plain text (`entries.text`): of its content, else of its summary.
inline std::string entry_text(const std::string& content, const std::string& summary) {
    return html_to_text(content.empty() ? summary : content);
}

// `entries.content_hash`, the `hash:` identity: collapsed title, published time (Unix seconds,
// "" when absent) and plain text. The ingest computes it from a feed's entry, the v4 migration
// from the stored columns; both must call this one function.
std::string content_hash(std::string_view title, std::string_view published, std::string_view text);

// `entries.cjk`: title, author and text again when they hold CJK script (the trigram index), else "".
inline std::string cjk_column(const std::string& title, const std::string& author, const std::string& text) {
    auto all = title + "\n" + author + "\n" + text;
    return has_cjk(all) ? all : std::string();
}

}  // namespace feedd::store::detail
