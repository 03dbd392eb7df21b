// The Google Reader API routes (greader.cpp).
#pragma once

#include "feedd/api/api.hpp"

namespace feedd::api {

void add_greader_routes(Router& router);

}  // namespace feedd::api
