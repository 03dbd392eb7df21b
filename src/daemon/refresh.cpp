#include "daemon/refresh.hpp"

#include <algorithm>

#include "feedd/fetch/fetch.hpp"
#include "feedd/schedule/schedule.hpp"
#include "feedd/url/url.hpp"

namespace feedd::daemon {

bool credentials_withheld(const FeedSource& feed, std::string_view url) {
    const bool has_credentials = !feed.username.empty() || !feed.headers.empty();
    return has_credentials && !fetch::credentials_may_go_to(feed.url, url);
}

// Said wherever a moved feed's credentials are withheld (the log, `feeds list`).
std::string withheld_note(const FeedSource& feed, const std::string& url) {
    if (!credentials_withheld(feed, url)) return {};
    return " (credentials not sent to the new origin; set url in feeds.toml to send them there)";
}

schedule::Policy schedule_policy(const config::Settings& settings, std::optional<Duration> feed_interval) {
    schedule::Policy policy;
    policy.interval = feed_interval.value_or(settings.interval);
    policy.min_interval = settings.min_interval;
    policy.max_interval = settings.max_interval;
    policy.backoff_cap = settings.backoff_cap;
    return policy;
}

std::string effective_url(const FeedSource& source, const FeedState& state) {
    if (!state.moved_to.empty() && state.configured_url == source.url) return state.moved_to;
    return source.url;
}

FeedState reconcile_with_config(const FeedSource& source, FeedState state) {
    if (state.configured_url == source.url) return state;
    // A new URL in feeds.toml is the operator's word: it wins over everything learned for the old
    // one (a 410, a redirect, the validators of another resource).
    const bool had_history = !state.configured_url.empty();
    state.configured_url = source.url;
    if (had_history) {
        state.gone = false;
        state.moved_to.clear();
        state.redirect_candidate.clear();
        state.redirect_first_seen.reset();
        state.redirect_count = 0;
        state.etag.clear();
        state.last_modified.clear();
        state.consecutive_failures = 0;
    }
    return state;
}

namespace {

// Redirect bookkeeping is the scheduler's rule; the daemon only words the notice. The move is
// adopted also when the new URL is another origin: the feed is then polled there without its
// credentials (the fetcher keeps them to the configured origin), which the notice says once.
//
// A chain that leaves https for plain http is never adopted: polled at the http URL, a feed's every
// request would travel in clear from its first byte, and whoever sits on the path could answer it
// with a permanent redirect of their own and move the feed where they like. Polled at its https URL,
// the publisher's own (authenticated) answer keeps deciding where the feed is.
bool leaves_https(const std::vector<RedirectHop>& hops) {
    const auto scheme = [](const std::string& u) {
        auto parts = url::parse(u);
        return parts ? parts->scheme : std::string();
    };
    return !hops.empty() && scheme(hops.front().from) == "https" && scheme(hops.back().to) == "http";
}

void track_redirect(const FeedSource& source, FeedState& state, const FetchResult& result, TimePoint now,
                    std::string& notice) {
    if (leaves_https(result.redirects)) {
        schedule::track_redirects(state, {}, now);  // counts as no move: any candidate starts over
        return;
    }
    const auto first_seen = state.redirect_first_seen;
    const int count = state.redirect_count + 1;
    if (schedule::track_redirects(state, result.redirects, now)) {
        notice = "moved permanently to " + state.moved_to + " (seen " + std::to_string(count) +
                 " times since " + (first_seen ? format_utc(*first_seen) : std::string("now")) + ")" +
                 withheld_note(source, state.moved_to);
    }
}

void fail(Refresh& refresh, const std::string& message) {
    refresh.state.consecutive_failures += 1;
    refresh.state.last_error = message;
    refresh.outcome.kind = RefreshOutcome::Kind::failed;
    refresh.report.status = PollStatus::failed;
    refresh.report.error = message;
}

}  // namespace

Refresh apply_fetch(const FeedSource& source, FeedState state, const FetchResult& result,
                    std::optional<ParsedFeed> parsed, TimePoint now) {
    Refresh refresh;
    refresh.state = reconcile_with_config(source, std::move(state));
    auto& st = refresh.state;
    st.last_poll = now;
    st.last_status = result.status;
    st.retry_after.reset();

    auto& outcome = refresh.outcome;
    outcome.status = result.status;
    outcome.error = result.error;
    outcome.max_age = result.max_age;
    outcome.expires = result.expires;

    auto& report = refresh.report;
    report.feed = source.name;
    report.http_status = result.status;
    report.bytes = result.bytes_received;
    report.elapsed = result.elapsed;

    if (result.error != FetchErrorKind::none && result.error != FetchErrorKind::http) {
        fail(refresh, result.error_message.empty() ? to_string(result.error) : result.error_message);
        return refresh;
    }
    if (result.not_modified()) {
        if (!result.etag.empty()) st.etag = result.etag;
        if (!result.last_modified.empty()) st.last_modified = result.last_modified;
        st.last_success = now;
        st.consecutive_failures = 0;
        st.last_error.clear();
        outcome.kind = RefreshOutcome::Kind::not_modified;
        report.status = PollStatus::not_modified;
        track_redirect(source, st, result, now, refresh.notice);
        return refresh;
    }
    if (result.status == 410) {
        st.gone = true;
        st.last_error = "410 Gone: the publisher removed this feed; `feedd feeds enable " + source.name +
                        "` polls it again";
        outcome.kind = RefreshOutcome::Kind::gone;
        report.status = PollStatus::gone;
        report.error = "410 Gone";
        refresh.notice = "disabled: the server answered 410 Gone";
        return refresh;
    }
    if (!result.ok()) {
        std::string message = "HTTP " + std::to_string(result.status);
        if (!result.error_message.empty()) message = result.error_message;
        // A moved feed refused for want of the credentials it was not given: say why.
        if (result.status == 401 || result.status == 403)
            message += withheld_note(source, effective_url(source, st));
        if (result.status == 429 || result.status == 503) {
            outcome.retry_after = result.retry_after;
            st.retry_after = result.retry_after;
            if (result.retry_after) message += " (retry after " + format_utc(*result.retry_after) + ")";
        }
        fail(refresh, message);
        return refresh;
    }
    if (!parsed || !parsed->is_feed) {
        // The parser's error names its kind ("not a feed: an HTML page"): shown as it is, never
        // prefixed again.
        fail(refresh, parsed ? parsed->error : std::string("not a feed: no body"));
        return refresh;
    }
    // The body is a feed: validators are worth keeping only now that it was readable.
    st.etag = result.etag;
    st.last_modified = result.last_modified;
    st.last_success = now;
    st.consecutive_failures = 0;
    st.last_error.clear();
    track_redirect(source, st, result, now, refresh.notice);
    if (!parsed->wellformed && refresh.notice.empty()) refresh.notice = "feed repaired: " + parsed->error;
    outcome.kind = RefreshOutcome::Kind::updated;
    outcome.ttl_minutes = parsed->ttl_minutes;
    outcome.update_period_minutes = parsed->update_period_minutes;
    report.status = PollStatus::updated;
    refresh.parsed = std::move(parsed);
    return refresh;
}

}  // namespace feedd::daemon
