// JSON answers: nlohmann-json, invalid UTF-8 from the archive replaced rather than thrown on.
#pragma once

#include <nlohmann/json.hpp>

#include "feedd/api/api.hpp"

namespace feedd::api {

inline Response json_response(const nlohmann::json& value, int status = 200) {
    Response response;
    response.status = status;
    response.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return response;
}

}  // namespace feedd::api
