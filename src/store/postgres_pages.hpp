// Full text on PostgreSQL: the SQL of pages_sql.hpp, numbered for libpq. Called by PostgresStore
// (postgres.cpp) inside its `call`, which turns pg::Error into StoreError.
#pragma once

#include "feedd/store/store.hpp"
#include "store/pg.hpp"

namespace feedd::store::detail::pg_pages {

void request(pg::Session& db, const std::vector<PageRequest>& requests, TimePoint now);
std::vector<PageTask> claim(pg::Session& db, TimePoint now, TimePoint lease_until, int limit,
                            const std::vector<std::string>& feeds);
std::optional<TimePoint> next_due(pg::Session& db, const std::vector<std::string>& feeds);
// Schema v8: `pages.cjk` of the pages fetched before it (pages_sql.hpp, cjk_postgres).
void fill_cjk(pg::Session& db);
bool record(pg::Session& db, const PageFetch& fetch);
std::optional<PageDetail> read(pg::Session& db, std::int64_t article_id);

}  // namespace feedd::store::detail::pg_pages
