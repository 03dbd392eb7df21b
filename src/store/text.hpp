// The text forms of the archive: plain text for the index, comparison forms, hashes. The text
// itself is feedd_text's, so the index reads HTML exactly as the parser does.
#pragma once

#include <cstdint>
#include <optional>
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

// The archive's hashes are feedd_text's (stable across versions: they are stored).
using text::hash_hex;
using text::Hasher;

// SQLite's `link_key` of articles and entries (schema v12): what their link indexes hold instead of
// the canonical link's text. The high 32 bits are those of text::hash_key of the link's origin
// (what precedes the first '/' after "://", e.g. "https://example.com"; the whole link when it has
// none), the low 32 bits those of text::hash_key of the whole link; none for no link. The origin
// first keeps the locality the text index had: a feed's links mostly share a host, and its new
// articles then land on one or two pages of the index instead of one page each (a hash of the whole
// link alone read and wrote a tenth more pages on a cold poll of 5 000 feeds). Every lookup by
// link compares the key and then the text: a collision (two links of one origin whose 32 bits
// agree) costs a row read, never a wrong match. In SQL, feedd_link_key(link) (pack.hpp), which
// migrations, copies and `db check` use and a plain sqlite3 gets from the extension.
inline std::optional<std::int64_t> link_key(std::string_view canonical) {
    if (canonical.empty()) return std::nullopt;
    auto origin = canonical;
    if (const auto scheme = canonical.find("://"); scheme != std::string_view::npos)
        origin = canonical.substr(0, canonical.find('/', scheme + 3));
    constexpr std::uint64_t low = 0xFFFFFFFFULL;
    const auto high_bits = static_cast<std::uint64_t>(text::hash_key(origin)) & ~low;
    const auto low_bits = static_cast<std::uint64_t>(text::hash_key(canonical)) & low;
    return static_cast<std::int64_t>(high_bits | low_bits);
}

// An entry's plain text (`entries.text`): of its content, else of its summary.
inline std::string entry_text(const std::string& content, const std::string& summary) {
    return html_to_text(content.empty() ? summary : content);
}

// `entries.content_hash`, the `hash:` identity: collapsed title, published time (Unix seconds,
// "" when absent) and plain text. The ingest computes it from a feed's entry, the v4 migration
// from the stored columns; both must call this one function.
std::string content_hash(std::string_view title, std::string_view published, std::string_view text);

// What the trigram indexes hold of an entry (entries_cjk) when its title, author or text holds CJK
// script: the three joined by newlines. Each is valid UTF-8, so the joined text holds CJK exactly
// when one of them does; only then is the text copied. PostgreSQL stores it in `entries.cjk`;
// SQLite (since v11) stores only `cjk_mark` there and its view entries_cjk_v joins the columns
// again (`cjk_joined_sql`), so the text is kept once.
inline std::string cjk_joined(const std::string& title, const std::string& author, const std::string& text) {
    std::string all;
    all.reserve(title.size() + author.size() + text.size() + 2);
    all.append(title).append(1, '\n').append(author).append(1, '\n').append(text);
    return all;
}
inline std::string cjk_column(const std::string& title, const std::string& author, const std::string& text) {
    if (!has_cjk(title) && !has_cjk(author) && !has_cjk(text)) return {};
    return cjk_joined(title, author, text);
}

// SQLite's `entries.cjk` since v11: this when the entry has CJK text (cjk_column is not empty),
// else ''.
inline constexpr std::string_view cjk_mark = "1";
// cjk_joined in SQL, over the columns of an `entries` row; `row` qualifies them ("old." in a
// trigger).
inline std::string cjk_joined_sql(std::string_view row = {}) {
    const std::string r(row);
    return r + "title || char(10) || " + r + "author || char(10) || " + r + "text";
}

}  // namespace feedd::store::detail
