#include <uriparser/Uri.h>

#include <nlohmann/json.hpp>

#include "api/json.hpp"
#include "api/request.hpp"
#include "feedd/api/api.hpp"
#include "feedd/text/text.hpp"

namespace feedd::api {
namespace {

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    std::size_t start = 1;  // past the leading '/'
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        if (end > start) segments.emplace_back(path.substr(start, end - start));
        start = end + 1;
    }
    return segments;
}

std::optional<std::string> first(const std::vector<std::pair<std::string, std::string>>& pairs,
                                 std::string_view name) {
    for (const auto& [key, value] : pairs)
        if (key == name) return value;
    return std::nullopt;
}

}  // namespace

std::optional<std::string> Request::query_value(std::string_view name) const {
    return first(query, name);
}

std::optional<std::string> Request::header(std::string_view name) const {
    return first(headers, text::to_lower(name));
}

Response json_error(int status, std::string_view message) {
    // Through json_response: a message that quotes bytes of the request which are not UTF-8 is
    // still an answer, not an exception of the JSON writer.
    return json_response({{"error_message", message}}, status);
}

void Router::add(std::string method, std::string pattern, Handler handler, Access access) {
    auto segments = split_path(pattern);
    routes_.push_back(
        {std::move(method), std::move(pattern), std::move(segments), std::move(handler), access});
}

std::optional<Router::Match> Router::match(std::string_view method, std::string_view path) const {
    const auto segments = split_path(path);
    std::optional<Match> found;
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        std::map<std::string, std::string> params;
        bool same = true;
        for (std::size_t i = 0; i < segments.size() && same; ++i) {
            const auto& part = route.segments[i];
            if (part.size() > 2 && part.front() == '{' && part.back() == '}')
                params[part.substr(1, part.size() - 2)] = segments[i];
            else
                same = part == segments[i];
        }
        if (!same) continue;
        if (route.method == method)
            return Match{&route.handler, route.access, std::move(params), route.pattern};
        if (!found)
            found = Match{nullptr, Access::user, {}, route.pattern};  // the path is known, not the method
    }
    return found;
}

std::string percent_decode(std::string_view text, bool plus_is_space) {
    std::string out(text);
    if (plus_is_space) std::replace(out.begin(), out.end(), '+', ' ');
    const char* end = uriUnescapeInPlaceExA(out.data(), URI_FALSE, URI_BR_DONT_TOUCH);
    out.resize(static_cast<std::size_t>(end - out.data()));
    return out;
}

void split_target(std::string_view target, Request& request) {
    const auto question = target.find('?');
    request.path = percent_decode(target.substr(0, question), false);
    if (question == std::string_view::npos) return;
    const auto query = target.substr(question + 1);
    std::size_t start = 0;
    while (start <= query.size()) {
        const auto end = std::min(query.find('&', start), query.size());
        const auto pair = query.substr(start, end - start);
        if (!pair.empty()) {
            const auto equals = pair.find('=');
            request.query.emplace_back(percent_decode(pair.substr(0, equals), true),
                                       equals == std::string_view::npos
                                           ? std::string()
                                           : percent_decode(pair.substr(equals + 1), true));
        }
        start = end + 1;
    }
}

}  // namespace feedd::api
