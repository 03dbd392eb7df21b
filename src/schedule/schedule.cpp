#include "feedd/schedule/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace feedd::schedule {
namespace {

using std::chrono::ceil;
using std::chrono::duration_cast;
using std::chrono::seconds;

double clamp_jitter(double jitter) {
    return std::isfinite(jitter) ? std::clamp(jitter, 0.0, 1.0) : 0.0;
}

Duration scaled(Duration duration, double factor) {
    return Duration{static_cast<Duration::rep>(std::llround(static_cast<double>(duration.count()) * factor))};
}

Duration clamp_interval(const Policy& policy, Duration interval) {
    const Duration low = policy.min_interval;
    const Duration high = std::max(policy.min_interval, policy.max_interval);
    return std::clamp(interval, low, high);
}

TimePoint round_up(Instant instant) {
    return ceil<seconds>(instant);
}

}  // namespace

Duration effective_interval(const Policy& policy, const RefreshOutcome& outcome, TimePoint now) {
    Duration interval = policy.interval;
    // Hints only ever ask for less often: a feed cannot make us poll faster than configured.
    if (outcome.ttl_minutes && *outcome.ttl_minutes > 0)
        interval = std::max<Duration>(interval, std::chrono::minutes(*outcome.ttl_minutes));
    if (outcome.update_period_minutes && *outcome.update_period_minutes > 0)
        interval = std::max<Duration>(interval, std::chrono::minutes(*outcome.update_period_minutes));
    if (outcome.max_age && outcome.max_age->count() > 0)
        interval = std::max<Duration>(interval, *outcome.max_age);
    if (outcome.expires && *outcome.expires > now)
        interval = std::max<Duration>(interval, *outcome.expires - now);
    return clamp_interval(policy, interval);
}

Duration backoff(const Policy& policy, int failures, double jitter) {
    const Duration base = clamp_interval(policy, policy.interval);
    const Duration cap = std::max(policy.backoff_cap, base);
    Duration delay = base;
    // Doubling stops at the cap, so no overflow however long a feed fails.
    for (int i = 1; i < failures && delay < cap; ++i) delay = std::min(cap, delay * 2);
    return std::min(cap, scaled(delay, 1.0 + 0.1 * clamp_jitter(jitter)));
}

TimePoint next_due(const Policy& policy, const FeedState& state, const RefreshOutcome& outcome, TimePoint now,
                   double jitter) {
    using Kind = RefreshOutcome::Kind;
    if (state.gone || outcome.kind == Kind::gone) return never_due;
    const Instant start = now;
    if (outcome.kind == Kind::updated || outcome.kind == Kind::not_modified) {
        const Duration interval = effective_interval(policy, outcome, now);
        const Duration high = std::max(policy.min_interval, policy.max_interval);
        const Duration spread = std::min(high, scaled(interval, 1.0 + 0.1 * clamp_jitter(jitter)));
        return round_up(start + std::max(interval, spread));
    }
    if ((outcome.status == 429 || outcome.status == 503) && outcome.retry_after) {
        const Instant earliest = start + policy.min_interval;
        const Instant latest = start + std::max(policy.backoff_cap, policy.max_interval);
        return round_up(std::clamp<Instant>(*outcome.retry_after, earliest, latest));
    }
    return round_up(start + backoff(policy, std::max(0, state.consecutive_failures) + 1, jitter));
}

TimePoint outage_due(const Policy& policy, TimePoint now, double jitter) {
    return round_up(Instant{now} + scaled(policy.outage_retry, 1.0 + clamp_jitter(jitter)));
}

TimePoint first_due(const FeedState& state, std::size_t index, std::size_t count, TimePoint now,
                    Duration window, double jitter) {
    if (state.next_poll && *state.next_poll > now) return *state.next_poll;
    if (count == 0 || window <= Duration::zero()) return now;
    const double slot =
        (static_cast<double>(std::min(index, count - 1)) + clamp_jitter(jitter)) / static_cast<double>(count);
    return std::chrono::floor<seconds>(Instant{now} + scaled(window, slot));
}

// ---------------------------------------------------------------------------------------------

void DueQueue::set(const std::string& feed, Instant due) {
    remove(feed);
    by_feed_.emplace(feed, due);
    by_time_.emplace(due, feed);
}

void DueQueue::remove(const std::string& feed) {
    auto it = by_feed_.find(feed);
    if (it == by_feed_.end()) return;
    by_time_.erase({it->second, feed});
    by_feed_.erase(it);
}

void DueQueue::shift(Duration by) {
    std::set<std::pair<Instant, std::string>> moved;
    for (auto& [feed, due] : by_feed_) {
        due += by;
        moved.emplace(due, feed);
    }
    by_time_ = std::move(moved);
}

void DueQueue::clear() {
    by_time_.clear();
    by_feed_.clear();
}

std::optional<Instant> DueQueue::due(const std::string& feed) const {
    auto it = by_feed_.find(feed);
    if (it == by_feed_.end()) return std::nullopt;
    return it->second;
}

std::optional<Instant> DueQueue::next_time() const {
    if (by_time_.empty()) return std::nullopt;
    return by_time_.begin()->first;
}

std::vector<std::string> DueQueue::pop_due(Instant now, std::size_t limit) {
    std::vector<std::string> due;
    while (!by_time_.empty() && due.size() < limit && by_time_.begin()->first <= now) {
        auto node = by_time_.extract(by_time_.begin());
        by_feed_.erase(node.value().second);
        due.push_back(std::move(node.value().second));
    }
    return due;
}

bool track_redirects(FeedState& state, const std::vector<RedirectHop>& redirects, TimePoint now,
                     const RedirectRule& rule) {
    const bool permanent =
        !redirects.empty() && std::all_of(redirects.begin(), redirects.end(), [](const RedirectHop& hop) {
            return hop.status == 301 || hop.status == 308;
        });
    if (!permanent) {
        state.redirect_candidate.clear();
        state.redirect_first_seen.reset();
        state.redirect_count = 0;
        return false;
    }
    const std::string& target = redirects.back().to;
    if (state.redirect_candidate != target || !state.redirect_first_seen) {
        state.redirect_candidate = target;
        state.redirect_first_seen = now;
        state.redirect_count = 0;
    }
    ++state.redirect_count;
    if (state.redirect_count < rule.confirmations || now - *state.redirect_first_seen < rule.over)
        return false;
    state.moved_to = target;
    state.redirect_candidate.clear();
    state.redirect_first_seen.reset();
    state.redirect_count = 0;
    return true;
}

// ---------------------------------------------------------------------------------------------

HostGate::HostGate(HostLimits limits) {
    set_limits(limits);
}

void HostGate::set_limits(HostLimits limits) {
    limits_ = limits;
    limits_.concurrency = std::max<std::size_t>(1, limits_.concurrency);
    limits_.per_host = std::max<std::size_t>(1, limits_.per_host);
}

std::optional<Instant> HostGate::earliest_start(const std::string& host, Instant now) const {
    if (total_in_flight_ >= limits_.concurrency) return std::nullopt;
    auto it = hosts_.find(host);
    if (it == hosts_.end()) return now;
    const Host& state = it->second;
    if (state.in_flight >= limits_.per_host) return std::nullopt;
    Instant earliest = now;
    if (state.last_start) earliest = std::max(earliest, *state.last_start + limits_.per_host_gap);
    if (state.paused_until) earliest = std::max(earliest, *state.paused_until);
    return earliest;
}

void HostGate::on_start(const std::string& host, Instant now) {
    Host& state = hosts_[host];
    ++state.in_flight;
    ++total_in_flight_;
    state.last_start = state.last_start ? std::max(*state.last_start, now) : now;
}

void HostGate::on_finish(const std::string& host, Instant now, long status,
                         std::optional<TimePoint> retry_after, const std::string& feed) {
    auto it = hosts_.find(host);
    if (it == hosts_.end() || it->second.in_flight == 0) return;  // never started: nothing to release
    Host& state = it->second;
    --state.in_flight;
    --total_in_flight_;
    if (status != 429) return;

    auto& recent = state.rate_limited;
    recent.push_back({now, feed, retry_after});
    while (!recent.empty() && recent.front().at + limits_.rate_limit_window < now) recent.pop_front();
    std::set<std::string> feeds;
    std::optional<TimePoint> latest_retry;
    for (const auto& entry : recent) {
        feeds.insert(entry.feed);
        if (entry.retry_after)
            latest_retry = latest_retry ? std::max(*latest_retry, *entry.retry_after) : entry.retry_after;
    }
    if (feeds.size() < limits_.rate_limited_feeds) return;
    Instant until = latest_retry && Instant{*latest_retry} > now ? Instant{*latest_retry}
                                                                 : now + limits_.rate_limit_pause;
    until = std::min(until, now + limits_.max_pause);
    state.paused_until = state.paused_until ? std::max(*state.paused_until, until) : until;
    recent.clear();
}

std::size_t HostGate::in_flight(const std::string& host) const {
    auto it = hosts_.find(host);
    return it == hosts_.end() ? 0 : it->second.in_flight;
}

std::optional<Instant> HostGate::not_before(const std::string& host) const {
    auto it = hosts_.find(host);
    if (it == hosts_.end()) return std::nullopt;
    const Host& state = it->second;
    std::optional<Instant> earliest;
    if (state.last_start) earliest = *state.last_start + limits_.per_host_gap;
    if (state.paused_until)
        earliest = earliest ? std::max(*earliest, *state.paused_until) : state.paused_until;
    return earliest;
}

void HostGate::hold(const std::string& host, Instant until) {
    Host& state = hosts_[host];
    state.paused_until = state.paused_until ? std::max(*state.paused_until, until) : until;
}

void HostGate::prune(Instant now) {
    std::erase_if(hosts_, [&](const auto& entry) {
        const Host& state = entry.second;
        if (state.in_flight > 0) return false;
        if (state.last_start && *state.last_start + limits_.per_host_gap > now) return false;
        if (state.paused_until && *state.paused_until > now) return false;
        if (!state.rate_limited.empty() && state.rate_limited.back().at + limits_.rate_limit_window >= now)
            return false;
        return true;
    });
}

void HostGate::shift(Duration by) {
    for (auto& [key, host] : hosts_) {
        if (host.last_start) *host.last_start += by;
        for (auto& entry : host.rate_limited) entry.at += by;
    }
}

// ---------------------------------------------------------------------------------------------

OutageDetector::OutageDetector(std::size_t min_hosts) : min_hosts_(std::max<std::size_t>(1, min_hosts)) {}

bool OutageDetector::network_level(FetchErrorKind error) {
    switch (error) {
        case FetchErrorKind::dns:
        case FetchErrorKind::connect:
        case FetchErrorKind::timeout:
        case FetchErrorKind::network: return true;
        default: return false;
    }
}

OutageDetector::Change OutageDetector::record(const std::string& host, FetchErrorKind error, TimePoint now) {
    if (error == FetchErrorKind::cancelled) return Change::none;
    if (!network_level(error)) {
        // Any answer from anywhere means the network works.
        dead_hosts_.erase(host);
        failed_hosts_.clear();
        first_failure_.reset();
        if (since_) {
            since_.reset();
            return Change::ended;
        }
        return Change::none;
    }
    // During an outage every host fails: none of them is known dead because of it.
    const bool was_dead = !since_ && !dead_hosts_.insert(host).second;
    if (was_dead) return Change::none;
    if (!first_failure_) first_failure_ = now;
    failed_hosts_.insert(host);
    if (since_ || failed_hosts_.size() < min_hosts_) return Change::none;
    since_ = first_failure_;
    return Change::began;
}

// ---------------------------------------------------------------------------------------------

std::optional<TimePoint> page_refetch(Duration refetch_after, int unchanged, TimePoint now) {
    if (refetch_after <= Duration::zero() || unchanged >= max_unchanged_refetches) return std::nullopt;
    const auto wait = refetch_after * (std::int64_t{1} << std::max(0, unchanged));
    return now + std::chrono::ceil<std::chrono::seconds>(wait);
}

std::optional<TimePoint> page_retry(const Policy& policy, int failures, std::optional<TimePoint> retry_after,
                                    TimePoint now) {
    if (failures >= max_page_failures) return std::nullopt;
    Duration wait = std::min<Duration>(
        policy.backoff_cap, policy.min_interval * (std::int64_t{1} << std::clamp(failures - 1, 0, 20)));
    if (retry_after) {
        // As next_due for a feed: the server's time, no sooner than min_interval, bounded.
        const Duration bound = std::max(policy.backoff_cap, policy.max_interval);
        wait = std::clamp<Duration>(*retry_after - now, policy.min_interval, bound);
    }
    return now + std::chrono::ceil<std::chrono::seconds>(wait);
}

}  // namespace feedd::schedule
