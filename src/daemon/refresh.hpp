// What one fetch means for a feed: its new FeedState, the RefreshOutcome for the scheduler and the
// report line. Pure (now passed in), so every transition is tested without a network.
#pragma once

#include <optional>
#include <string>

#include "feedd/config/config.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/model/model.hpp"
#include "feedd/schedule/schedule.hpp"

namespace feedd::daemon {

// The schedule's bounds from the settings: a feed's polls pass its own interval, page retries
// none (they use only the bounds and the backoff cap).
[[nodiscard]] schedule::Policy schedule_policy(const config::Settings& settings,
                                               std::optional<Duration> feed_interval = std::nullopt);

// The URL to poll: the configured one, or where a confirmed permanent redirect moved it.
[[nodiscard]] std::string effective_url(const FeedSource& source, const FeedState& state);

// " (credentials not sent to the new origin; ...)" when credentials_withheld(feed, url), else "".
[[nodiscard]] std::string withheld_note(const FeedSource& feed, const std::string& url);

// Forgets what was learned at run time when the operator changed the feed's URL in feeds.toml.
[[nodiscard]] FeedState reconcile_with_config(const FeedSource& source, FeedState state);

struct Refresh {
    FeedState state;
    RefreshOutcome outcome;
    std::optional<ParsedFeed> parsed;  // set when there are entries to store
    PollReport report;
    std::string notice;  // something worth a log line of its own (moved, gone, repaired XML)
};

// `parsed` is the parse of result.body when the fetch returned 2xx (the caller parses, so that
// this stays free of the parser).
[[nodiscard]] Refresh apply_fetch(const FeedSource& source, FeedState state, const FetchResult& result,
                                  std::optional<ParsedFeed> parsed, TimePoint now);

}  // namespace feedd::daemon
