// The web pages: /, /articles/{id}, /feeds, /status, the login form and logout (pages.cpp).
#pragma once

#include "feedd/api/api.hpp"

namespace feedd::api {

// `health` is /healthz's check: /status shows its document, /feeds the paused hosts in it.
void add_page_routes(Router& router, HealthCheck health);

}  // namespace feedd::api
