// Every route feedd serves, in one table: a method and a path pattern to a handler.
#include <algorithm>

#include "api/greader.hpp"
#include "api/json.hpp"
#include "api/miniflux.hpp"
#include "api/pages.hpp"
#include "api/saved_queries.hpp"
#include "feedd/api/api.hpp"

namespace feedd::api {
namespace {

// GET /v1/me: the caller, in Miniflux's shape (settings feedd has no use for at their defaults).
Response me(const Request&, Context& context) {
    return json_response({{"id", context.user->id},
                          {"username", context.user->name},
                          {"is_admin", false},
                          {"theme", "system_serif"},
                          {"language", "en_US"},
                          {"timezone", "UTC"},
                          {"entry_sorting_direction", "desc"},
                          {"entry_sorting_order", "published_at"},
                          {"entries_per_page", 100},
                          {"keyboard_shortcuts", true},
                          {"show_reading_time", true},
                          {"entry_swipe", true},
                          {"stylesheet", ""},
                          {"google_id", ""},
                          {"openid_connect_id", ""},
                          {"last_login_at", nullptr}});
}

}  // namespace

std::vector<opml::ExportFeed> export_feeds(const config::Config& config,
                                           const std::vector<store::FeedSummary>& archived) {
    std::vector<opml::ExportFeed> feeds;
    for (const auto& source : config.feeds) {
        opml::ExportFeed feed;
        feed.source = source;
        const auto summary = std::find_if(archived.begin(), archived.end(),
                                          [&](const store::FeedSummary& s) { return s.name == source.name; });
        if (summary != archived.end()) {
            feed.feed_title = summary->title;
            feed.site_link = summary->site_link;
        }
        feed.disabled = !source.enabled || (summary != archived.end() && summary->state.gone);
        feeds.push_back(std::move(feed));
    }
    return feeds;
}

FeedStatus feed_status(const FeedSource& feed, const FeedState* state) {
    if (!feed.enabled) return FeedStatus::disabled;
    if (state && state->gone) return FeedStatus::gone;
    if (!state || !state->last_poll) return FeedStatus::unpolled;
    if (state->consecutive_failures > 0) return FeedStatus::failing;
    return FeedStatus::ok;
}

std::string_view to_string(FeedStatus status) {
    switch (status) {
        case FeedStatus::unpolled: return "new";
        case FeedStatus::ok: return "ok";
        case FeedStatus::failing: return "failing";
        case FeedStatus::gone: return "gone";
        case FeedStatus::disabled: return "disabled";
        case FeedStatus::removed: return "removed";
    }
    return "new";
}

Router routes(HealthCheck health, MetricsSource metrics) {
    Router router;
    add_page_routes(router, health);
    // Like `feedd status --format json`; no authentication, so that a monitor needs no secret.
    router.add(
        "GET", "/healthz",
        [health = std::move(health)](const Request&, Context& context) {
            auto [status, body] = health(context.archive);
            Response response;
            response.status = status;
            response.body = std::move(body);
            response.headers.emplace_back("Cache-Control", "no-store");
            return response;
        },
        Router::Access::open);
    // Prometheus scrapes with basic_auth or a token (X-Auth-Token, or `Authorization: Bearer`).
    router.add("GET", "/metrics", [metrics = std::move(metrics)](const Request&, Context& context) {
        metrics::Exposition exposition;
        if (metrics) metrics(exposition, context.archive);
        if (context.requests)
            exposition.counters("feedd_http_requests_total",
                                "HTTP requests answered, by route and status code", *context.requests);
        Response response;
        response.content_type = metrics::Exposition::content_type;
        response.body = exposition.text();
        response.headers.emplace_back("Cache-Control", "no-store");
        return response;
    });
    router.add("GET", "/v1/me", me);
    // One store of sanitised HTML for both APIs: a client of each reads the same newest entries.
    auto served = std::make_shared<ServedHtml>();
    add_miniflux_routes(router, served);
    add_greader_routes(router, served);
    add_saved_query_routes(router);
    return router;
}

}  // namespace feedd::api
