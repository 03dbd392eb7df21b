// Differences between two versions of a text, word by word: what the web page shows of an
// article's edits.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::text {

// One piece of a word diff: text both versions hold, or only the later (added) or the earlier
// (removed) one.
struct DiffPart {
    enum class Kind { same, added, removed };
    Kind kind = Kind::same;
    std::string text;
    bool operator==(const DiffPart&) const = default;
};

// What changed from `before` to `after`, word by word (a word keeps the white space after it):
// the longest common subsequence of words, neighbouring pieces of one kind joined, a removal
// before the addition that replaces it. Texts too different to compare cheaply (more than
// `max_cells` word pairs left after their common start and end) are one removal and one addition.
std::vector<DiffPart> diff_words(std::string_view before, std::string_view after,
                                 std::size_t max_cells = 4'000'000);

}  // namespace feedd::text
