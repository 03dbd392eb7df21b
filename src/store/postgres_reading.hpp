// Reading state on PostgreSQL: the SQL of reading_sql.hpp, numbered for libpq. Called by
// PostgresStore (postgres.cpp) inside its `call`, which turns pg::Error into StoreError.
#pragma once

#include "feedd/store/reading.hpp"
#include "store/pg.hpp"

namespace feedd::store::detail {

// Lookups PostgresStore (postgres.cpp, where they live) and the reading state both make.
std::optional<std::int64_t> pg_feed_id(pg::Session& db, const std::string& name);
// An entry's enclosures in their order in the feed.
std::vector<Enclosure> pg_enclosures(pg::Session& db, std::int64_t entry_id);

}  // namespace feedd::store::detail

namespace feedd::store::detail::pg_reading {

EntryPage entries(pg::Session& db, const EntryFilter& filter);
std::vector<ReadCounts> counts(pg::Session& db, const std::string& user);
void set_read(pg::Session& db, const std::string& user, const std::vector<std::int64_t>& entry_ids,
              bool read);
void set_starred(pg::Session& db, const std::string& user, std::int64_t entry_id, bool starred);
void mark_feed_read(pg::Session& db, const std::string& user, const std::string& feed,
                    std::optional<TimePoint> seen_until);

}  // namespace feedd::store::detail::pg_reading
