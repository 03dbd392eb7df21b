// The search syntax `feedd query --search` documents (words, "a phrase", OR, AND, NOT, prefix*,
// parentheses, column:word) as a PostgreSQL tsquery, for the PostgreSQL store. SQLite's FTS5
// reads the same syntax itself.
#pragma once

#include <string>
#include <string_view>

namespace feedd::store::detail {

// The tsquery text for to_tsquery('simple', …): every word quoted (its quotes doubled, so nothing
// of the search is read as tsquery syntax), phrases as <->, prefixes as :*, title:/author:/text:
// as the weights A/B/C the index gives those columns. A search that is not well formed (an
// unterminated quote, an unbalanced parenthesis, an operator without its operands) throws
// QueryError, as FTS5 does on SQLite.
std::string tsquery_text(std::string_view search);

}  // namespace feedd::store::detail
