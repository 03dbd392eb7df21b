// GET /feeds/atom and /feeds/json: any `feedd query` as a feed (saved_queries.cpp).
#pragma once

#include "feedd/api/api.hpp"
#include "feedd/store/store.hpp"

namespace feedd::api {

void add_saved_query_routes(Router& router);

// The `feedd query` filters of a request (search, feed repeated, category, since, until, limit:
// 1 to 500, 50 when absent), as /feeds/atom, /feeds/json and the web page / take them; a bad
// value is a BadRequest.
[[nodiscard]] store::ArticleQuery query_of(const Request& request);

}  // namespace feedd::api
