// The archive's schema as an ordered list of migrations, tracked by PRAGMA user_version.
#pragma once

#include <string_view>
#include <vector>

namespace SQLite {
class Database;
}

namespace feedd::store::detail {

// The page size of a new archive, and the one `vacuum` moves an older archive to.
inline constexpr int page_size = 4096;

// 'feed' in ASCII: marks the file as a feedd archive (PRAGMA application_id).
inline constexpr int application_id = 0x66656564;

// One step of the schema: its SQL, then (when set) work that SQL alone cannot do, such as
// recomputing stored values with feedd's own code. Both run in the step's transaction.
struct Migration {
    std::string_view sql;
    void (*code)(SQLite::Database&) = nullptr;
};

// migrations()[i] takes the schema from version i to i + 1.
const std::vector<Migration>& migrations();
inline int latest_schema_version() {
    return static_cast<int>(migrations().size());
}

// Applies the migrations above the current user_version up to `target`, each in its own
// transaction. Tests use `target` to build archives of an older version.
void migrate(SQLite::Database& db, int target);

}  // namespace feedd::store::detail
