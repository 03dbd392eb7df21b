// libFuzzer target: the search syntax's mapping onto a tsquery either throws QueryError or returns
// a tsquery in which every character of the search sits inside a quoted lexeme: outside quotes
// there are only the operators the mapping writes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "feedd/store/store.hpp"
#include "store/search.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string tsquery;
    try {
        tsquery =
            feedd::store::detail::tsquery_text(std::string_view(reinterpret_cast<const char*>(data), size));
    } catch (const feedd::store::QueryError&) {
        return 0;
    }
    bool quoted = false;
    for (std::size_t i = 0; i < tsquery.size(); ++i) {
        const char c = tsquery[i];
        if (quoted) {
            if (c == '\\') {
                ++i;  // the escaped character
            } else if (c == '\'') {
                if (i + 1 < tsquery.size() && tsquery[i + 1] == '\'')
                    ++i;  // a doubled quote
                else
                    quoted = false;
            }
            continue;
        }
        if (c == '\'') {
            quoted = true;
            continue;
        }
        if (std::string_view("()&|! :*ABC").find(c) == std::string_view::npos) std::abort();
    }
    if (quoted) std::abort();
    return 0;
}
