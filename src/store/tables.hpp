// The archive's tables as rows of values, for `Archive::copy` (copy.cpp): the one list of what an
// archive holds, and what each store does to read and write its tables whole.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace feedd::store::detail {

// A table of the archive. `packed`: its HTML columns, which SQLite keeps as zstd frames (pack.hpp),
// packed against the row's `text` column when `against_text`; PostgreSQL keeps them plain. A copy
// moves the text, never the frame.
// `marks_cjk`: its `cjk` column, which SQLite keeps as a mark and joins from title, author and
// text when read (text.hpp, cjk_joined; schema v11), PostgreSQL as the text. A copy moves the text.
// `link_keyed`: SQLite's table has a `link_key` column, its canonical link's key (text.hpp, link_key;
// schema v12), which PostgreSQL does not have: SQLite's copy leaves it out, and its insert computes it
// from the row's canonical_link.
struct ArchiveTable {
    std::string_view name;
    std::array<std::string_view, 2> packed = {};
    bool against_text = false;
    bool marks_cjk = false;
    bool link_keyed = false;
};

// Every table of the archive (both stores have the same tables and columns), in the order a copy
// fills them: a row's foreign keys point to tables above it. A new table of the archive is one
// line here; `copy_test` fails while a table of a new archive is missing from this list. Not
// listed: what each store derives itself (SQLite's FTS5 tables, PostgreSQL's derived_tables below
// and generated `search` columns) and its schema version (PRAGMA user_version, `feedd_schema`).
inline constexpr ArchiveTable archive_tables[] = {
    {"feeds"},
    {"feed_state"},
    {"gaps"},
    {"articles", {}, false, false, true},
    {"entries", {"summary", "content"}, true, true, true},
    {"enclosures"},
    {"revisions", {"summary", "content"}},
    {"tombstones"},
    {"tombstone_links"},
    {"read_marks"},
    {"read_flags"},
    {"stars"},
    {"pages", {"html"}, true},
    {"page_revisions", {"html"}, true},
};

// `name` as a quoted SQL identifier ("a""b"), for the statements that name a table or column of
// the list above (SQLite and PostgreSQL quote identifiers alike).
std::string identifier(std::string_view name);

// Tables of the PostgreSQL store that are not the archive: the nodes sharing it and their leases
// on feeds (docs/ARCHITECTURE.md, "Several nodes"), the state of the processes running now. A copy
// leaves them, as it leaves the schema version.
inline constexpr std::string_view cluster_tables[] = {"nodes", "feed_leases", "hosts"};

// Tables of the PostgreSQL store derived from the archive's rows, which it writes itself (as
// SQLite's FTS5 tables): the entries' search vectors (PostgreSQL schema v9). A copy leaves them.
inline constexpr std::string_view derived_tables[] = {"entry_search"};

// One value as text (integers in decimal), nothing for NULL.
using Value = std::optional<std::string>;

// One store's tables, read in one snapshot (the source of a copy) or written in one transaction
// (its target, which reads back what it wrote before committing). Rolled back unless committed.
class Tables {
  public:
    Tables() = default;
    Tables(const Tables&) = delete;
    Tables& operator=(const Tables&) = delete;
    virtual ~Tables() = default;

    // The table's columns a copy moves: all but generated and derived ones (SQLite's `link_key`),
    // in the table's order.
    virtual std::vector<std::string> columns(const ArchiveTable& table) = 0;
    virtual std::int64_t count(const ArchiveTable& table) = 0;
    // Every row, in no particular order, its values in the order of `columns`.
    virtual void read(const ArchiveTable& table, const std::vector<std::string>& columns,
                      const std::function<void(std::span<const Value>)>& row) = 0;
    virtual void write(const ArchiveTable& table, const std::vector<std::string>& columns,
                       std::span<const Value> row) = 0;
    // What the store derives from the rows (search indexes, the next ids), then COMMIT.
    virtual void commit() = 0;
};

}  // namespace feedd::store::detail
