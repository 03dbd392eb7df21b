// Reading a request's parameters, for every API's handlers: a value that is not what the
// endpoint takes is a 400 answer (BadRequest, turned into that answer by `guarded`), never a 500.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "feedd/api/api.hpp"

namespace feedd::api {

// A whole decimal integer, or nothing.
inline std::optional<std::int64_t> number(const std::string& text) {
    std::int64_t value = 0;
    const auto* end = text.data() + text.size();
    const auto [at, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc() || at != end) return std::nullopt;
    return value;
}

// Thrown by a handler for a request it cannot take: the answer to send.
struct BadRequest {
    Response response;
};

// A query parameter that must be a number; absent or empty is nothing.
inline std::optional<std::int64_t> number_param(const Request& request, std::string_view name) {
    const auto value = request.query_value(name);
    if (!value || value->empty()) return std::nullopt;
    auto parsed = number(*value);
    if (!parsed) throw BadRequest{json_error(400, "invalid value for " + std::string(name) + ": " + *value)};
    return parsed;
}

// A positive id in the route's {name} part.
inline std::int64_t path_id(const Request& request, const std::string& name) {
    const auto it = request.params.find(name);
    auto parsed = it == request.params.end() ? std::nullopt : number(it->second);
    if (!parsed || *parsed <= 0) throw BadRequest{json_error(400, "invalid " + name)};
    return *parsed;
}

// A handler whose BadRequest becomes its answer.
template <class Body>
Handler guarded(Body body) {
    return [body](const Request& request, Context& context) -> Response {
        try {
            return body(request, context);
        } catch (const BadRequest& bad) {
            return bad.response;
        }
    };
}

}  // namespace feedd::api
