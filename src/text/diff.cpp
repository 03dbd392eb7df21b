// A word diff of two versions of a text: what the article page shows of an edit.
#include <algorithm>
#include <cstdint>

#include "feedd/text/diff.hpp"

namespace feedd::text {
namespace {

// Words with the white space after them; leading white space is a word of its own.
std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
    while (start < text.size()) {
        std::size_t end = start;
        while (end < text.size() && !space(text[end])) ++end;
        while (end < text.size() && space(text[end])) ++end;
        out.push_back(text.substr(start, end - start));
        start = end;
    }
    return out;
}

void append(std::vector<DiffPart>& parts, DiffPart::Kind kind, std::string_view text) {
    if (text.empty()) return;
    if (!parts.empty() && parts.back().kind == kind)
        parts.back().text += text;
    else
        parts.push_back({kind, std::string(text)});
}

// Words compare without their trailing white space: a word that moved to the end of a line is
// the same word.
std::string_view bare(std::string_view word) {
    while (!word.empty() &&
           (word.back() == ' ' || word.back() == '\n' || word.back() == '\t' || word.back() == '\r'))
        word.remove_suffix(1);
    return word;
}

}  // namespace

std::vector<DiffPart> diff_words(std::string_view before, std::string_view after, std::size_t max_cells) {
    const auto a = words(before), b = words(after);
    std::size_t head = 0;
    while (head < a.size() && head < b.size() && bare(a[head]) == bare(b[head])) ++head;
    std::size_t tail = 0;
    while (tail < a.size() - head && tail < b.size() - head &&
           bare(a[a.size() - 1 - tail]) == bare(b[b.size() - 1 - tail]))
        ++tail;
    std::vector<DiffPart> parts;
    for (std::size_t i = 0; i < head; ++i) append(parts, DiffPart::Kind::same, b[i]);
    const std::size_t n = a.size() - head - tail, m = b.size() - head - tail;
    if (n > 0 && m > 0 && n * m <= max_cells) {
        // lcs[i][j]: the longest common subsequence of a's middle from i and b's from j.
        std::vector<std::uint32_t> lcs((n + 1) * (m + 1), 0);
        const auto at = [&](std::size_t i, std::size_t j) -> std::uint32_t& { return lcs[i * (m + 1) + j]; };
        for (std::size_t i = n; i-- > 0;)
            for (std::size_t j = m; j-- > 0;)
                at(i, j) = bare(a[head + i]) == bare(b[head + j]) ? at(i + 1, j + 1) + 1
                                                                  : std::max(at(i + 1, j), at(i, j + 1));
        std::size_t i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && bare(a[head + i]) == bare(b[head + j])) {
                append(parts, DiffPart::Kind::same, b[head + j]);
                ++i, ++j;
            } else if (i < n && (j == m || at(i + 1, j) >= at(i, j + 1))) {
                append(parts, DiffPart::Kind::removed, a[head + i++]);
            } else {
                append(parts, DiffPart::Kind::added, b[head + j++]);
            }
        }
    } else {
        for (std::size_t i = 0; i < n; ++i) append(parts, DiffPart::Kind::removed, a[head + i]);
        for (std::size_t j = 0; j < m; ++j) append(parts, DiffPart::Kind::added, b[head + j]);
    }
    for (std::size_t i = b.size() - tail; i < b.size(); ++i) append(parts, DiffPart::Kind::same, b[i]);
    return parts;
}

}  // namespace feedd::text
