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

// hash_hex of pieces fed one after another, equal to hash_hex of their concatenation: an entry's
// hashes cover its whole text without a copy of it (a 100 MiB article is not concatenated again).
class Hasher {
  public:
    Hasher& add(std::string_view data) noexcept;
    Hasher& add(char c) noexcept { return add(std::string_view(&c, 1)); }
    std::string hex() const;

  private:
    std::uint64_t a_ = 14695981039346656037ULL, b_ = 0x9E3779B97F4A7C15ULL;
    std::uint64_t size_ = 0;
};

// An entry's plain text (`entries.text`): of its content, else of its summary.
inline std::string entry_text(const std::string& content, const std::string& summary) {
    return html_to_text(content.empty() ? summary : content);
}

// `entries.content_hash`, the `hash:` identity: collapsed title, published time (Unix seconds,
// "" when absent) and plain text. The ingest computes it from a feed's entry, the v4 migration
// from the stored columns; both must call this one function.
std::string content_hash(std::string_view title, std::string_view published, std::string_view text);

// `entries.cjk`: title, author and text again when they hold CJK script (the trigram index), else "".
// Each is valid UTF-8, so the joined text holds CJK exactly when one of them does; only then is
// the text copied.
inline std::string cjk_column(const std::string& title, const std::string& author, const std::string& text) {
    if (!has_cjk(title) && !has_cjk(author) && !has_cjk(text)) return {};
    std::string all;
    all.reserve(title.size() + author.size() + text.size() + 2);
    all.append(title).append(1, '\n').append(author).append(1, '\n').append(text);
    return all;
}

}  // namespace feedd::store::detail
