// Saved queries as feeds (docs/ARCHITECTURE.md, "Saved queries as feeds"): GET /feeds/atom and
// /feeds/json take the filters of `feedd query` as parameters and answer with the document
// `render` writes, with a validator so that a reader polling them costs one query and no body.
#include <algorithm>
#include <cctype>

#include "api/params.hpp"
#include "api/saved_queries.hpp"
#include "feedd/render/render.hpp"
#include "feedd/text/text.hpp"

namespace feedd::api {
namespace {

constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 500;  // a feed document, not an export: `feedd query` has no cap

TimePoint when_param(const Request& request, const std::string& name, TimePoint now) {
    const auto value = request.query_value(name);
    if (auto when = parse_when(*value, now)) return *when;
    throw BadRequest{json_error(400, "bad date '" + *value + "' for " + name + ": use " + when_forms)};
}

// A Host header as a URL's authority: a name, an IPv4 or a bracketed IPv6 address, a port.
bool plausible_host(std::string_view host) {
    return !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_';
    });
}

// Where the client reached this document (Atom's rel="self", JSON Feed's feed_url): the Host it
// sent, which a reverse proxy passes on, and https when the proxy says the client used it.
std::string self_url(const Request& request, const config::Config& config) {
    auto host = request.header("host").value_or("");
    if (!plausible_host(host))
        host = config.http.listen.find('/') == std::string::npos ? config.http.listen : "localhost";
    const bool https = text::to_lower(request.header("x-forwarded-proto").value_or("")) == "https";
    return (https ? "https://" : "http://") + host + request.target;
}

Response document(const Request& request, Context& context, bool json) {
    const auto query = query_of(request);
    std::vector<store::ArticleDetail> articles;
    try {
        articles = render::query_articles(context.archive, query);
    } catch (const store::QueryError& e) {
        return json_error(400, e.what());  // an unknown feed, a search syntax error
    }
    // The window as the reader wrote it ("30d"): resolved, it would change the title, and with it
    // the ETag, every second.
    const render::FeedMeta meta{render::query_title(query, request.query_value("since").value_or(""),
                                                    request.query_value("until").value_or("")),
                                self_url(request, context.config)};
    Response response;
    response.body = json ? render::json_feed(meta, articles) : render::atom(meta, articles);
    response.content_type =
        json ? "application/feed+json; charset=utf-8" : "application/atom+xml; charset=utf-8";
    const auto etag = render::etag(response.body);
    response.headers.emplace_back("ETag", etag);
    // Private: the document answers one user's credentials. A minute: readers poll every few
    // minutes at most, and If-None-Match makes the next poll cheap anyway.
    response.headers.emplace_back("Cache-Control", "private, max-age=60");
    if (const auto if_none_match = request.header("if-none-match");
        if_none_match && render::etag_matches(*if_none_match, etag)) {
        response.status = 304;
        response.body.clear();
    }
    return response;
}

}  // namespace

store::ArticleQuery query_of(const Request& request) {
    store::ArticleQuery query;
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    for (const auto& [name, value] : request.query) {
        if (name == "search")
            query.search = value;
        else if (name == "feed" && !value.empty())
            query.feeds.push_back(value);  // repeated: any of them, as `feedd query --feed a --feed b`
        else if (name == "category")
            query.category = value;
        else if ((name == "since" || name == "until") && !value.empty())
            (name == "since" ? query.since : query.until) = when_param(request, name, now);
    }
    const auto limit = number_param(request, "limit").value_or(kDefaultLimit);
    if (limit < 1 || limit > kMaxLimit)
        throw BadRequest{json_error(400, "limit must be between 1 and " + std::to_string(kMaxLimit))};
    query.limit = static_cast<int>(limit);
    return query;
}

void add_saved_query_routes(Router& router) {
    router.add("GET", "/feeds/atom", guarded([](const Request& request, Context& context) {
                   return document(request, context, false);
               }));
    router.add("GET", "/feeds/json", guarded([](const Request& request, Context& context) {
                   return document(request, context, true);
               }));
}

}  // namespace feedd::api
