// Reading a request target: the path and the query, percent-decoded.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "feedd/api/api.hpp"

namespace feedd::api {

// %XX decoded (uriparser); with `plus_is_space`, '+' is a space as in a form's query.
[[nodiscard]] std::string percent_decode(std::string_view text, bool plus_is_space);
// "a=1&b=x+y": the fields of a query or of a form body, decoded, in order.
[[nodiscard]] std::vector<std::pair<std::string, std::string>> split_fields(std::string_view text);
// Sets request.path and request.query from `target` ("/v1/entries?status=unread&limit=10").
void split_target(std::string_view target, Request& request);

}  // namespace feedd::api
