// The schedule policy as pure functions with an injected clock.
#include <doctest/doctest.h>

#include <algorithm>

#include "feedd/schedule/schedule.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using feedd::FeedState;
using feedd::FetchErrorKind;
using feedd::RefreshOutcome;
using feedd::TimePoint;
using feedd::schedule::HostGate;
using feedd::schedule::HostLimits;
using feedd::schedule::Instant;
using feedd::schedule::OutageDetector;
using feedd::schedule::Policy;
using namespace feedd::schedule;

namespace {

const TimePoint t0 = sys_days{2026y / November / 28} + 12h;

RefreshOutcome success() {
    RefreshOutcome outcome;
    outcome.kind = RefreshOutcome::Kind::updated;
    outcome.status = 200;
    return outcome;
}

RefreshOutcome failure(long status = 0, FetchErrorKind error = FetchErrorKind::connect) {
    RefreshOutcome outcome;
    outcome.kind = RefreshOutcome::Kind::failed;
    outcome.status = status;
    outcome.error = status != 0 ? FetchErrorKind::http : error;
    return outcome;
}

FeedState failed_times(int count) {
    FeedState state;
    state.consecutive_failures = count;
    return state;
}

}  // namespace

TEST_CASE("a successful poll is due again after the interval, jitter adding at most 10 %") {
    Policy policy;  // 1 h
    CHECK(next_due(policy, {}, success(), t0, 0.0) == t0 + 1h);
    CHECK(next_due(policy, {}, success(), t0, 0.999) <= t0 + 66min);
    CHECK(next_due(policy, {}, success(), t0, 0.5) == t0 + 63min);
    auto not_modified = success();
    not_modified.kind = RefreshOutcome::Kind::not_modified;
    CHECK(next_due(policy, {}, not_modified, t0, 0.0) == t0 + 1h);
}

TEST_CASE("ttl, sy:updatePeriod, max-age and Expires raise the interval, never lower it") {
    Policy policy;
    auto outcome = success();
    outcome.ttl_minutes = 120;
    CHECK(effective_interval(policy, outcome, t0) == 2h);
    outcome.ttl_minutes = 5;  // asks for more often: ignored
    CHECK(effective_interval(policy, outcome, t0) == 1h);

    outcome = success();
    outcome.update_period_minutes = 24 * 60;
    CHECK(effective_interval(policy, outcome, t0) == 24h);

    outcome = success();
    outcome.max_age = seconds(3 * 3600);
    CHECK(effective_interval(policy, outcome, t0) == 3h);

    outcome = success();
    outcome.expires = t0 + 90min;
    CHECK(effective_interval(policy, outcome, t0) == 90min);
    outcome.expires = t0 - 1h;  // already expired: no hint
    CHECK(effective_interval(policy, outcome, t0) == 1h);

    outcome = success();
    outcome.ttl_minutes = 90;
    outcome.max_age = seconds(7200);
    CHECK(effective_interval(policy, outcome, t0) == 2h);  // the largest wins
}

TEST_CASE("the interval is clamped to [min_interval, max_interval]") {
    Policy policy;
    policy.interval = 1min;
    CHECK(effective_interval(policy, success(), t0) == 15min);
    auto outcome = success();
    outcome.ttl_minutes = 7 * 24 * 60;
    policy.interval = 1h;
    CHECK(effective_interval(policy, outcome, t0) == 24h);
    CHECK(next_due(policy, {}, outcome, t0, 0.99) == t0 + 24h);  // jitter never passes the maximum
}

TEST_CASE("failures back off exponentially from the interval up to the cap") {
    Policy policy;
    policy.interval = 1h;
    policy.backoff_cap = 24h;
    CHECK(next_due(policy, failed_times(0), failure(), t0, 0.0) == t0 + 1h);
    CHECK(next_due(policy, failed_times(1), failure(), t0, 0.0) == t0 + 2h);
    CHECK(next_due(policy, failed_times(2), failure(500), t0, 0.0) == t0 + 4h);
    CHECK(next_due(policy, failed_times(4), failure(), t0, 0.0) == t0 + 16h);
    CHECK(next_due(policy, failed_times(5), failure(), t0, 0.0) == t0 + 24h);
    CHECK(next_due(policy, failed_times(100000), failure(), t0, 0.9) == t0 + 24h);
    // Jitter spreads feeds that failed together.
    CHECK(next_due(policy, failed_times(1), failure(), t0, 0.5) == t0 + 2h + 6min);
    CHECK(next_due(policy, failed_times(1), failure(), t0, 0.5) !=
          next_due(policy, failed_times(1), failure(), t0, 0.1));
}

TEST_CASE("429 and 503 with Retry-After are honoured, within bounds") {
    Policy policy;
    auto limited = failure(429);
    limited.retry_after = t0 + 3h;
    CHECK(next_due(policy, failed_times(0), limited, t0, 0.7) == t0 + 3h);
    auto unavailable = failure(503);
    unavailable.retry_after = t0 + 40min;
    CHECK(next_due(policy, failed_times(3), unavailable, t0, 0.0) == t0 + 40min);
    // Too soon: not more often than min_interval.
    unavailable.retry_after = t0 + 5s;
    CHECK(next_due(policy, {}, unavailable, t0, 0.0) == t0 + 15min);
    // A Retry-After of years cannot silence the feed.
    limited.retry_after = t0 + hours(24 * 365 * 10);
    CHECK(next_due(policy, {}, limited, t0, 0.0) == t0 + 24h);
    // 503 without Retry-After backs off like any failure.
    CHECK(next_due(policy, failed_times(1), failure(503), t0, 0.0) == t0 + 2h);
    // Retry-After on another status is not a rate limit.
    auto other = failure(500);
    other.retry_after = t0 + 10h;
    CHECK(next_due(policy, failed_times(0), other, t0, 0.0) == t0 + 1h);
}

TEST_CASE("a gone feed is never due") {
    RefreshOutcome gone;
    gone.kind = RefreshOutcome::Kind::gone;
    gone.status = 410;
    CHECK(next_due(Policy{}, {}, gone, t0, 0.0) == feedd::schedule::never_due);
    FeedState state;
    state.gone = true;
    CHECK(next_due(Policy{}, state, success(), t0, 0.0) == feedd::schedule::never_due);
    CHECK(feedd::format_utc(feedd::schedule::never_due) == "9999-12-31T00:00:00Z");
}

TEST_CASE("millisecond policies stay usable: due times round up to the next second") {
    Policy policy{.interval = 200ms, .min_interval = 100ms, .max_interval = 1s, .backoff_cap = 800ms};
    CHECK(next_due(policy, {}, success(), t0, 0.0) == t0 + 1s);
    CHECK(backoff(policy, 1, 0.0) == 200ms);
    CHECK(backoff(policy, 2, 0.0) == 400ms);
    CHECK(backoff(policy, 3, 0.0) == 800ms);
    CHECK(backoff(policy, 4, 0.0) == 800ms);
}

TEST_CASE("first polls are spread over the window, a persisted future due time is kept") {
    const auto window = duration_cast<feedd::Duration>(10min);
    std::vector<TimePoint> due;
    for (std::size_t i = 0; i < 10; ++i) due.push_back(first_due({}, i, 10, t0, window, 0.0));
    CHECK(due.front() == t0);
    CHECK(due[1] == t0 + 1min);
    CHECK(due.back() == t0 + 9min);
    CHECK(std::is_sorted(due.begin(), due.end()));
    CHECK(first_due({}, 3, 10, t0, window, 0.5) == t0 + 3min + 30s);

    FeedState planned;
    planned.next_poll = t0 + 5h;
    CHECK(first_due(planned, 0, 10, t0, window, 0.0) == t0 + 5h);
    FeedState overdue;
    overdue.next_poll = t0 - 5h;  // the daemon was down: spread, do not stampede
    CHECK(first_due(overdue, 5, 10, t0, window, 0.0) == t0 + 5min);
    CHECK(first_due({}, 0, 0, t0, window, 0.3) == t0);
}

TEST_CASE("HostGate: per-host limit and the gap between starts") {
    HostGate gate({.concurrency = 32, .per_host = 1, .per_host_gap = 1s});
    const Instant now = t0;
    CHECK(gate.earliest_start("example.com", now) == now);
    gate.on_start("example.com", now);
    CHECK_FALSE(gate.earliest_start("example.com", now).has_value());  // one in flight
    CHECK(gate.earliest_start("other.org", now) == now);               // other hosts are free
    gate.on_finish("example.com", now + 300ms);
    CHECK(gate.earliest_start("example.com", now + 300ms) == now + 1s);  // the gap runs from the start
    CHECK(gate.earliest_start("example.com", now + 999ms) == now + 1s);
    CHECK(gate.earliest_start("example.com", now + 1s) == now + 1s);
    gate.on_finish("example.com", now + 2s);  // finishing what never started changes nothing
    CHECK(gate.earliest_start("example.com", now + 2s) == now + 2s);
    CHECK(gate.in_flight() == 0);
}

TEST_CASE("HostGate: per_host above one and the overall limit") {
    HostGate gate({.concurrency = 3, .per_host = 2, .per_host_gap = 0ms});
    const Instant now = t0;
    gate.on_start("a.com", now);
    CHECK(gate.earliest_start("a.com", now) == now);
    gate.on_start("a.com", now);
    CHECK_FALSE(gate.earliest_start("a.com", now).has_value());
    gate.on_start("b.com", now);
    CHECK_FALSE(gate.earliest_start("c.com", now).has_value());  // 3 in flight overall
    gate.on_finish("b.com", now);
    CHECK(gate.earliest_start("c.com", now) == now);
    CHECK(gate.in_flight() == 2);
}

TEST_CASE("HostGate: several feeds of one host rate-limited within a minute pause the whole host") {
    HostGate gate({.concurrency = 32, .per_host = 4, .per_host_gap = 0ms});
    const Instant now = t0;
    gate.on_start("host.com", now);
    gate.on_start("host.com", now);
    gate.on_start("host.com", now);
    gate.on_finish("host.com", now, 429, t0 + 30min, "feed-a");
    CHECK(gate.earliest_start("host.com", now) == now);  // one feed: that feed's business
    gate.on_finish("host.com", now + 10s, 429, t0 + 30min, "feed-a");
    CHECK(gate.earliest_start("host.com", now + 10s) == now + 10s);  // the same feed again
    gate.on_finish("host.com", now + 20s, 429, t0 + 45min, "feed-b");
    CHECK(gate.earliest_start("host.com", now + 20s) == Instant{t0 + 45min});
    CHECK(gate.earliest_start("host.com", now + 1min) == Instant{t0 + 45min});
    CHECK(gate.earliest_start("elsewhere.com", now + 1min) == now + 1min);
    CHECK(gate.earliest_start("host.com", t0 + 45min) == Instant{t0 + 45min});
}

TEST_CASE(
    "HostGate: 429s spread over more than the window do not pause, and no Retry-After uses the default "
    "pause") {
    HostGate gate({.per_host = 4, .per_host_gap = 0ms, .rate_limit_pause = 10min});
    const Instant now = t0;
    for (int i = 0; i < 3; ++i) gate.on_start("h.com", now);
    gate.on_finish("h.com", now, 429, std::nullopt, "a");
    gate.on_finish("h.com", now + 2min, 429, std::nullopt, "b");
    CHECK(gate.earliest_start("h.com", now + 2min) == now + 2min);
    gate.on_finish("h.com", now + 2min + 5s, 429, std::nullopt, "c");
    CHECK(gate.earliest_start("h.com", now + 2min + 5s) == now + 12min + 5s);
}

TEST_CASE("HostGate: a host-wide pause is capped at max_pause, however far Retry-After points") {
    HostGate gate({.per_host = 4, .per_host_gap = 0ms, .max_pause = 24h});
    const Instant now = t0;
    for (int i = 0; i < 2; ++i) gate.on_start("h.com", now);
    gate.on_finish("h.com", now, 429, t0 + 24h * 365, "a");
    gate.on_finish("h.com", now + 1s, 429, t0 + 24h * 365, "b");
    REQUIRE(gate.earliest_start("h.com", now + 1s).has_value());
    CHECK(*gate.earliest_start("h.com", now + 1s) == now + 1s + 24h);
    CHECK(*gate.earliest_start("h.com", now + 1s + 24h) <= now + 1s + 24h);
    // The same bound as one feed's own retry (next_due): neither outlasts the other.
    Policy policy;
    auto limited = failure(429);
    limited.retry_after = t0 + 24h * 365;
    const auto due = next_due(policy, FeedState{}, limited, t0, 0.0);
    CHECK(due <= t0 + std::max(policy.backoff_cap, policy.max_interval));
}

TEST_CASE("HostGate: prune forgets idle hosts only") {
    HostGate gate({.per_host = 1, .per_host_gap = 1s});
    const Instant now = t0;
    gate.on_start("busy.com", now);
    gate.on_start("idle.com", now);
    gate.on_finish("idle.com", now);
    gate.prune(now + 500ms);
    CHECK(gate.tracked_hosts() == 2);  // idle.com's gap still runs
    gate.prune(now + 2s);
    CHECK(gate.tracked_hosts() == 1);
    CHECK_FALSE(gate.earliest_start("busy.com", now + 2s).has_value());  // still in flight
    CHECK(gate.in_flight() == 1);
}

TEST_CASE("OutageDetector: network-level failures on two hosts since the last answer are an outage") {
    OutageDetector detector;
    using Change = OutageDetector::Change;
    CHECK(detector.record("a.com", FetchErrorKind::dns, t0) == Change::none);
    CHECK(detector.record("a.com", FetchErrorKind::connect, t0 + 1s) == Change::none);
    CHECK_FALSE(detector.in_outage());
    // Two feeds are enough: no window to fill.
    CHECK(detector.record("b.com", FetchErrorKind::timeout, t0 + 2s) == Change::began);
    CHECK(detector.in_outage());
    CHECK(detector.since() == t0);  // the first failure after the last answer
    CHECK(detector.record("c.com", FetchErrorKind::dns, t0 + 3s) == Change::none);
    CHECK(detector.record("e.com", FetchErrorKind::cancelled, t0 + 3s) == Change::none);
    CHECK(detector.in_outage());
    // Any answer, even an HTTP error, proves the network is back.
    CHECK(detector.record("b.com", FetchErrorKind::http, t0 + 4s) == Change::ended);
    CHECK_FALSE(detector.in_outage());
    CHECK_FALSE(detector.since().has_value());
    // The count starts again. a.com has failed since before the outage: a dead host, no witness.
    CHECK(detector.record("a.com", FetchErrorKind::dns, t0 + 5s) == Change::none);
    CHECK(detector.record("b.com", FetchErrorKind::dns, t0 + 6s) == Change::none);
    CHECK(detector.record("c.com", FetchErrorKind::dns, t0 + 7s) == Change::began);
    CHECK(detector.since() == t0 + 6s);
}

TEST_CASE("OutageDetector: hosts that were failing already do not make an outage by failing together") {
    // A large feeds.toml always has dead hosts; two of them failing in a row between answers
    // must not stop the polling of every feed.
    OutageDetector detector;
    using Change = OutageDetector::Change;
    detector.record("dead1.com", FetchErrorKind::connect, t0);
    detector.record("up.com", FetchErrorKind::none, t0 + 1s);
    detector.record("dead2.com", FetchErrorKind::dns, t0 + 2s);
    detector.record("up.com", FetchErrorKind::none, t0 + 3s);
    CHECK(detector.record("dead1.com", FetchErrorKind::connect, t0 + 4s) == Change::none);
    CHECK(detector.record("dead2.com", FetchErrorKind::dns, t0 + 5s) == Change::none);
    CHECK_FALSE(detector.in_outage());
    // A host that answers is alive again, and its next failure testifies.
    detector.record("dead1.com", FetchErrorKind::none, t0 + 6s);
    CHECK(detector.record("dead1.com", FetchErrorKind::connect, t0 + 7s) == Change::none);
    CHECK(detector.record("up.com", FetchErrorKind::timeout, t0 + 8s) == Change::began);
}

TEST_CASE("OutageDetector: one dead host, or failures between answers, is no outage") {
    OutageDetector detector;
    for (int i = 0; i < 10; ++i) detector.record("dead.com", FetchErrorKind::connect, t0);
    CHECK_FALSE(detector.in_outage());
    // dead.com and gone.org fail, but an answer came between them: the network works.
    OutageDetector mixed;
    mixed.record("dead.com", FetchErrorKind::dns, t0);
    mixed.record("up.com", FetchErrorKind::none, t0);
    CHECK(mixed.record("gone.org", FetchErrorKind::dns, t0) == OutageDetector::Change::none);
    mixed.record("up.com", FetchErrorKind::http, t0);  // a 500 is an answer too
    CHECK(mixed.record("dead.com", FetchErrorKind::dns, t0) == OutageDetector::Change::none);
    // A stricter detector needs more hosts.
    OutageDetector strict(3);
    strict.record("a.com", FetchErrorKind::dns, t0);
    CHECK(strict.record("b.com", FetchErrorKind::dns, t0) == OutageDetector::Change::none);
    CHECK(strict.record("c.com", FetchErrorKind::dns, t0) == OutageDetector::Change::began);
}

TEST_CASE("DueQueue and HostGate shift with a clock set back, keeping order and gaps") {
    DueQueue queue;
    queue.set("a", t0 + 10min);
    queue.set("b", t0 + 5min);
    queue.shift(-1h);
    CHECK(queue.due("a") == t0 - 50min);
    CHECK(queue.next_time() == t0 - 55min);
    CHECK(queue.pop_due(t0 - 55min) == std::vector<std::string>{"b"});

    HostGate gate;  // 1 s between starts to one host
    gate.on_start("a.com", t0);
    gate.on_finish("a.com", t0);
    CHECK(gate.earliest_start("a.com", t0 - 1h) == Instant{t0 + 1s});  // an hour's wait
    gate.shift(-1h);
    CHECK(gate.earliest_start("a.com", t0 - 1h) == Instant{t0 - 1h + 1s});
}

TEST_CASE("during an outage a failed feed retries soon, spread by jitter") {
    Policy policy;
    CHECK(outage_due(policy, t0, 0.0) == t0 + 1min);
    CHECK(outage_due(policy, t0, 0.5) == t0 + 90s);
}

TEST_CASE("DueQueue: earliest first, moving a feed replaces its time") {
    DueQueue queue;
    CHECK_FALSE(queue.next_time().has_value());
    queue.set("b", t0 + 2min);
    queue.set("a", t0 + 1min);
    queue.set("c", t0 + 3min);
    CHECK(queue.next_time() == t0 + 1min);
    queue.set("a", t0 + 10min);  // polled: moved later
    CHECK(queue.size() == 3);
    CHECK(queue.next_time() == t0 + 2min);
    CHECK(queue.pop_due(t0 + 1min).empty());
    CHECK(queue.pop_due(t0 + 5min) == std::vector<std::string>{"b", "c"});
    CHECK(queue.due("a") == t0 + 10min);
    queue.set("d", t0);
    queue.set("e", t0);
    CHECK(queue.pop_due(t0 + 1h, 1).size() == 1);  // a limit leaves the rest queued
    queue.remove("a");
    CHECK(queue.size() == 1);
    CHECK_FALSE(queue.due("a").has_value());
}

TEST_CASE("a permanent redirect moves the feed after several polls over a day, a temporary one never") {
    using feedd::RedirectHop;
    const std::vector<RedirectHop> permanent{{"http://old/feed", "https://new/feed", 301}};
    FeedState state;
    CHECK_FALSE(track_redirects(state, permanent, t0));
    CHECK(state.redirect_candidate == "https://new/feed");
    CHECK_FALSE(track_redirects(state, permanent, t0 + 1h));
    CHECK_FALSE(track_redirects(state, permanent, t0 + 2h));  // three polls, but not a day yet
    CHECK(state.moved_to.empty());
    CHECK(track_redirects(state, permanent, t0 + 25h));
    CHECK(state.moved_to == "https://new/feed");
    CHECK(state.redirect_candidate.empty());

    FeedState other;
    const std::vector<RedirectHop> mixed{{"a", "b", 308}, {"b", "c", 302}};
    for (int i = 0; i < 10; ++i) CHECK_FALSE(track_redirects(other, mixed, t0 + hours(24 * i)));
    CHECK(other.moved_to.empty());
    CHECK(other.redirect_candidate.empty());

    FeedState interrupted;
    track_redirects(interrupted, permanent, t0);
    track_redirects(interrupted, permanent, t0 + 12h);
    track_redirects(interrupted, {}, t0 + 13h);  // a poll without the redirect starts over
    CHECK(interrupted.redirect_count == 0);
    CHECK_FALSE(track_redirects(interrupted, permanent, t0 + 30h));
    CHECK(interrupted.redirect_first_seen == t0 + 30h);
}

TEST_CASE(
    "schedule: an article's page is refetched after refetch_pages_after, doubling while unchanged, then "
    "not") {
    using feedd::schedule::page_refetch;
    const feedd::Duration week = 7 * 24h;
    CHECK(page_refetch(week, 0, t0) == t0 + 7 * 24h);
    CHECK(page_refetch(week, 1, t0) == t0 + 14 * 24h);
    CHECK(page_refetch(week, 5, t0) == t0 + 7 * 24h * 32);
    CHECK_FALSE(page_refetch(week, feedd::schedule::max_unchanged_refetches, t0));
    CHECK_FALSE(page_refetch(feedd::Duration::zero(), 0, t0));  // "0": never again
}

TEST_CASE(
    "schedule: a failed page retries after min_interval, doubling up to backoff_cap, or at Retry-After, then "
    "gives up") {
    using feedd::schedule::page_retry;
    feedd::schedule::Policy policy;  // min 15 min, max 24 h, cap 24 h
    CHECK(page_retry(policy, 1, std::nullopt, t0) == t0 + 15min);
    CHECK(page_retry(policy, 2, std::nullopt, t0) == t0 + 30min);
    CHECK(page_retry(policy, 4, std::nullopt, t0) == t0 + 2h);
    CHECK(page_retry(policy, 1, t0 + 2h, t0) == t0 + 2h);          // Retry-After, as for a feed
    CHECK(page_retry(policy, 1, t0 + 1min, t0) == t0 + 15min);     // no sooner than min_interval
    CHECK(page_retry(policy, 1, t0 + 24h * 365, t0) == t0 + 24h);  // bounded
    CHECK_FALSE(page_retry(policy, feedd::schedule::max_page_failures, std::nullopt, t0));
}
