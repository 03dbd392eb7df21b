#include <uriparser/Uri.h>

#include <nlohmann/json.hpp>

#include "api/json.hpp"
#include "api/request.hpp"
#include "feedd/api/api.hpp"
#include "feedd/text/text.hpp"

namespace feedd::api {
namespace {

struct Segment {
    std::string text;
    std::size_t at = 0;  // where it starts in the path
};

std::vector<Segment> split_path(std::string_view path) {
    std::vector<Segment> segments;
    std::size_t start = 1;  // past the leading '/'
    while (start <= path.size()) {
        const auto end = std::min(path.find('/', start), path.size());
        if (end > start) segments.push_back({std::string(path.substr(start, end - start)), start});
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

std::optional<std::string> Request::field(std::string_view name) const {
    auto value = first(query, name);
    return value ? value : first(form, name);
}

std::vector<std::string> Request::fields(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto* pairs : {&query, &form})
        for (const auto& [key, value] : *pairs)
            if (key == name) values.push_back(value);
    return values;
}

std::optional<std::string> Request::cookie(std::string_view name) const {
    // "a=1; b=2" (RFC 6265, 4.2.1); every Cookie header, as HTTP/2 proxies may split them.
    for (const auto& [key, value] : headers) {
        if (key != "cookie") continue;
        std::string_view rest = value;
        while (!rest.empty()) {
            const auto end = std::min(rest.find(';'), rest.size());
            const auto pair = text::trim(rest.substr(0, end));
            const auto equals = pair.find('=');
            if (equals != std::string_view::npos && text::trim(pair.substr(0, equals)) == name)
                return std::string(text::trim(pair.substr(equals + 1)));
            rest.remove_prefix(std::min(end + 1, rest.size()));
        }
    }
    return std::nullopt;
}

Response json_error(int status, std::string_view message) {
    // Through json_response: a message that quotes bytes of the request which are not UTF-8 is
    // still an answer, not an exception of the JSON writer.
    return json_response({{"error_message", message}}, status);
}

void Router::add(std::string method, std::string pattern, Handler handler, Access access, Refusal refusal) {
    std::vector<std::string> segments;
    for (auto& segment : split_path(pattern)) segments.push_back(std::move(segment.text));
    routes_.push_back(
        {std::move(method), std::move(pattern), std::move(segments), std::move(handler), access, refusal});
}

std::optional<Router::Match> Router::match(std::string_view method, std::string_view path) const {
    const auto segments = split_path(path);
    std::optional<Match> found;
    for (const auto& route : routes_) {
        const auto& last = route.segments.empty() ? std::string() : route.segments.back();
        const bool rest = last.size() > 3 && last.front() == '{' && last.ends_with("*}");
        if (rest ? segments.size() < route.segments.size() : segments.size() != route.segments.size())
            continue;
        std::map<std::string, std::string> params;
        bool same = true;
        for (std::size_t i = 0; i < route.segments.size() && same; ++i) {
            const auto& part = route.segments[i];
            if (rest && i + 1 == route.segments.size())
                params[part.substr(1, part.size() - 3)] = std::string(path.substr(segments[i].at));
            else if (part.size() > 2 && part.front() == '{' && part.back() == '}')
                params[part.substr(1, part.size() - 2)] = segments[i].text;
            else
                same = part == segments[i].text;
        }
        if (!same) continue;
        if (route.method == method)
            return Match{&route.handler, route.access, route.refusal, std::move(params), route.pattern};
        if (!found)
            found = Match{
                nullptr, Access::user, nullptr, {}, route.pattern};  // the path is known, not the method
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

std::vector<std::pair<std::string, std::string>> split_fields(std::string_view text) {
    std::vector<std::pair<std::string, std::string>> fields;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = std::min(text.find('&', start), text.size());
        const auto pair = text.substr(start, end - start);
        if (!pair.empty()) {
            const auto equals = pair.find('=');
            fields.emplace_back(percent_decode(pair.substr(0, equals), true),
                                equals == std::string_view::npos
                                    ? std::string()
                                    : percent_decode(pair.substr(equals + 1), true));
        }
        start = end + 1;
    }
    return fields;
}

void split_target(std::string_view target, Request& request) {
    const auto question = target.find('?');
    request.path = percent_decode(target.substr(0, question), false);
    if (question != std::string_view::npos) request.query = split_fields(target.substr(question + 1));
}

}  // namespace feedd::api
