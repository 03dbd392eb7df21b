// The Miniflux API v1 routes (miniflux.cpp).
#pragma once

#include <memory>

#include "api/served_html.hpp"
#include "feedd/api/api.hpp"

namespace feedd::api {

// `served`: the sanitised HTML its entries carry, shared with the other APIs.
void add_miniflux_routes(Router& router, std::shared_ptr<ServedHtml> served);

}  // namespace feedd::api
