// What tests of the archive need beyond its public header: limits that production never lowers,
// so that a test reaches SQLite's refusals without writing a gigabyte. Not for production code:
// nothing outside tests includes this file.
#pragma once

#include "feedd/store/store.hpp"

namespace feedd::store {

struct Testing {
    // Lowers SQLite's limit on the length of one value or row (sqlite3_limit with
    // SQLITE_LIMIT_LENGTH, 1e9 bytes unless lowered) on the archive's connection: a write over it
    // fails with SQLITE_TOOBIG, as a value over 1e9 bytes does in production.
    static void limit_value_length(Archive& archive, int bytes);
};

}  // namespace feedd::store
