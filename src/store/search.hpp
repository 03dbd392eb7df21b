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

// Whether that tsquery asks for positions or weights (a phrase of several words, a word the index
// splits into several, such as "foo_bar", or a column filter): the GIN index only finds the entries
// holding all its words, and each must then be read to check the rest. Such a search can match far
// fewer entries than the planner expects from its words (src/store/README.md, "What bounds a
// search"). The search is taken as well formed (tsquery_text has read it).
bool tsquery_checks_positions(std::string_view search);

}  // namespace feedd::store::detail
