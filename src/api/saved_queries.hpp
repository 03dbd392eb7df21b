// GET /feeds/atom and /feeds/json: any `feedd query` as a feed (saved_queries.cpp).
#pragma once

#include "feedd/api/api.hpp"

namespace feedd::api {

void add_saved_query_routes(Router& router);

}  // namespace feedd::api
