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

// Sets `link_key` (schema v12) of the articles and entries whose key is not their link's
// (feedd_link_key): the migration. Rewrites only the rows it changes.
inline constexpr std::string_view fill_link_keys = R"sql(
UPDATE articles SET link_key = feedd_link_key(canonical_link) WHERE link_key IS NOT feedd_link_key(canonical_link);
UPDATE entries SET link_key = feedd_link_key(canonical_link) WHERE link_key IS NOT feedd_link_key(canonical_link);
)sql";

// How many rows fill_link_keys would change: `db check` reports them (a row a plain sqlite3
// inserted without the key is not found by its link).
inline constexpr std::string_view stale_link_keys = R"sql(
SELECT (SELECT count(*) FROM articles WHERE link_key IS NOT feedd_link_key(canonical_link)) +
       (SELECT count(*) FROM entries WHERE link_key IS NOT feedd_link_key(canonical_link)))sql";

// migrations()[i] takes the schema from version i to i + 1.
const std::vector<Migration>& migrations();
inline int latest_schema_version() {
    return static_cast<int>(migrations().size());
}

// Applies the migrations above the current user_version up to `target`, each in its own
// transaction. Tests use `target` to build archives of an older version.
void migrate(SQLite::Database& db, int target);

}  // namespace feedd::store::detail
