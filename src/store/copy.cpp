// `Archive::copy`: a whole archive into an empty one, SQLite and PostgreSQL either way, through
// each store's `Tables` (tables.hpp) and the one list of the archive's tables.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "feedd/text/text.hpp"
#include "store/backend.hpp"
#include "store/text.hpp"

namespace feedd::store {

namespace {

// A checksum of a table's rows that does not depend on their order (the two stores return rows
// in their own orders, and sort text differently): the sum of the rows' hashes, each over its
// values with their lengths, NULL apart from the empty string.
class TableChecksum {
  public:
    void add(std::span<const detail::Value> row) {
        detail::Hasher hasher;
        for (const auto& value : row) {
            if (!value) {
                hasher.add('\x01');
                continue;
            }
            hasher.add(std::to_string(value->size())).add(':').add(*value);
        }
        const auto hex = hasher.hex();  // 32 hex digits: two 64-bit halves
        high_ += std::strtoull(hex.substr(0, 16).c_str(), nullptr, 16);
        low_ += std::strtoull(hex.substr(16).c_str(), nullptr, 16);
    }
    std::string hex() const {
        char buffer[33];
        std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(high_),
                      static_cast<unsigned long long>(low_));
        return buffer;
    }

  private:
    std::uint64_t high_ = 0, low_ = 0;
};

// Progress every this many rows of a table (and at its end), not per row: a line every few seconds
// (SQLite) to half a minute (PostgreSQL's entries, indexed as they are inserted).
constexpr std::int64_t progress_every = 10000;

}  // namespace

CopyReport Archive::copy(const Location& from, const Location& to, const CopyProgress& progress) {
    const auto source_name = shown_location(from.path.native());
    const auto target_name = shown_location(to.path.native());
    auto refuse_unless_empty = [&](const std::vector<std::string>& held) {
        if (!held.empty())
            throw StoreError("refusing to copy into " + target_name + ": it is not empty (" +
                             text::join(held, ", ") + " rows); copy into a new archive or an empty database");
    };
    auto source = open(from, OpenMode::read_only);
    // Before opening the target for writing, which would migrate an archive of an older schema
    // (and, on SQLite, leave a backup of it beside it) only to refuse it.
    refuse_unless_empty(is_database_url(to.path.native())
                            ? detail::postgres_held_rows(to.path.native(), to.password)
                            : detail::sqlite_held_rows(to.path));
    auto target = open(to, OpenMode::read_write);

    auto reader = source.impl_->backend->tables(false);
    auto writer = target.impl_->backend->tables(true);

    // Again inside the target's transaction: something may have written in between.
    std::vector<std::string> held;
    for (const auto& table : detail::archive_tables) {
        if (const auto rows = writer->count(table); rows > 0)
            held.push_back(std::string(table.name) + ": " + std::to_string(rows));
    }
    refuse_unless_empty(held);

    CopyReport report;
    std::vector<std::vector<std::string>> columns;
    for (const auto& table : detail::archive_tables) {
        auto names = reader->columns(table);
        auto theirs = writer->columns(table);
        auto sorted = names, sorted_theirs = theirs;
        std::sort(sorted.begin(), sorted.end());
        std::sort(sorted_theirs.begin(), sorted_theirs.end());
        if (sorted != sorted_theirs)
            throw StoreError("cannot copy " + source_name + " to " + target_name + ": table " +
                             std::string(table.name) + " has the columns (" + text::join(names, ", ") +
                             ") there and (" + text::join(theirs, ", ") + ") here");
        columns.push_back(std::move(names));
    }

    for (std::size_t t = 0; t < std::size(detail::archive_tables); ++t) {
        const auto& table = detail::archive_tables[t];
        CopiedTable copied;
        copied.name = table.name;
        const auto total = reader->count(table);
        TableChecksum checksum;
        std::int64_t done = 0;
        if (progress) progress(copied.name, 0, total);
        reader->read(table, columns[t], [&](std::span<const detail::Value> row) {
            checksum.add(row);
            writer->write(table, columns[t], row);
            if (++done % progress_every == 0 && progress) progress(copied.name, done, total);
        });
        if (progress && done % progress_every != 0) progress(copied.name, done, total);
        copied.source_rows = done;
        copied.source_checksum = checksum.hex();
        report.tables.push_back(std::move(copied));
    }

    // Read back from the target, in its transaction: what it would commit, as its store reads it.
    bool same = true;
    for (std::size_t t = 0; t < std::size(detail::archive_tables); ++t) {
        const auto& table = detail::archive_tables[t];
        auto& copied = report.tables[t];
        TableChecksum checksum;
        writer->read(table, columns[t], [&](std::span<const detail::Value> row) {
            checksum.add(row);
            ++copied.target_rows;
        });
        copied.target_checksum = checksum.hex();
        same = same && copied.same();
    }
    if (same) {
        writer->commit();
        report.committed = true;
    }
    return report;
}

}  // namespace feedd::store
