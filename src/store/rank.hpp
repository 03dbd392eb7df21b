// The ranking function of the SQLite archive's searches (rank.cpp).
#pragma once

#include <sqlite3.h>

namespace feedd::store::detail {

// Registers the FTS5 auxiliary function `feedd_rank` on `db`: bm25 with the same arguments (the
// columns' weights), which leaves out the inverse document frequency when a search has one phrase
// (the same order, without visiting every row that holds it). Searches ask for it per query
// (`rank MATCH 'feedd_rank(…)'`); the tables' stored rank stays bm25 for plain sqlite3 users.
// SQLITE_OK, or the error of FTS5 (not compiled in, too old).
int register_rank(sqlite3* db);

}  // namespace feedd::store::detail
