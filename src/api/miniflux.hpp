// The Miniflux API v1 routes (miniflux.cpp).
#pragma once

#include "feedd/api/api.hpp"

namespace feedd::api {

void add_miniflux_routes(Router& router);

}  // namespace feedd::api
