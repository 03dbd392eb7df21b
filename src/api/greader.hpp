// The Google Reader API routes (greader.cpp).
#pragma once

#include <memory>

#include "api/served_html.hpp"
#include "feedd/api/api.hpp"

namespace feedd::api {

// `served`: the sanitised HTML its items carry, shared with the other APIs.
void add_greader_routes(Router& router, std::shared_ptr<ServedHtml> served);

}  // namespace feedd::api
