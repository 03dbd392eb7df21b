// When each feed and host is due. Pure: `now` is passed in, randomness is injected (a `jitter`
// in [0, 1): pass a random number, tests pass constants). Nothing here reads a clock, sleeps or
// touches the network; the daemon calls these and arms its own timers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "feedd/model/model.hpp"

namespace feedd::schedule {

// Millisecond-precision instants for the politeness gate, where gaps are shorter than a second
// in tests. A TimePoint (seconds) converts to it implicitly.
using Instant = std::chrono::sys_time<Duration>;

// "Never due": a far but printable date (9999-12-31), used for gone feeds.
inline constexpr TimePoint never_due =
    std::chrono::sys_days{std::chrono::year{9999} / std::chrono::December / 31};

// One feed's timing policy: the daemon fills it from [settings] and the feed's own `interval`.
struct Policy {
    Duration interval{std::chrono::hours(1)};  // the feed's configured interval (else the global one)
    Duration min_interval{std::chrono::minutes(15)};
    Duration max_interval{std::chrono::hours(24)};
    Duration backoff_cap{std::chrono::hours(24)};
    // During a network outage (see OutageDetector) failed feeds retry after this, so polling
    // resumes promptly once the network answers; jitter spreads them over up to twice as long.
    Duration outage_retry{std::chrono::minutes(1)};
};

// The polling interval after a successful poll: the configured interval, raised (never lowered)
// by the feed's ttl, sy:updatePeriod, Cache-Control max-age and Expires (taken relative to
// `now`, ignored when already past), then clamped to [min_interval, max_interval].
[[nodiscard]] Duration effective_interval(const Policy& policy, const RefreshOutcome& outcome, TimePoint now);

// The backoff before the next try after the `failures`-th consecutive failure (1 = first):
// interval (clamped to [min_interval, max_interval]) * 2^(failures-1), up to backoff_cap, with up
// to +10 % jitter below the cap.
[[nodiscard]] Duration backoff(const Policy& policy, int failures, double jitter);

// The next time a feed is due after a poll with `outcome` at `now`.
//  - updated / not_modified: now + effective_interval, plus up to 10 % jitter so feeds with one
//    interval drift apart (never beyond max_interval);
//  - gone (or state.gone): never_due;
//  - failed with 429 or 503 and a Retry-After: that time, but no sooner than now + min_interval
//    and no later than now + max(backoff_cap, max_interval) (a hostile Retry-After cannot
//    silence a feed forever);
//  - other failures: now + backoff(policy, state.consecutive_failures + 1, jitter).
// `state` is the feed's state BEFORE this outcome (its consecutive_failures does not count this
// one yet). The result is rounded up to whole seconds (TimePoint's precision).
[[nodiscard]] TimePoint next_due(const Policy& policy, const FeedState& state, const RefreshOutcome& outcome,
                                 TimePoint now, double jitter);

// The next try of a feed that failed during a network outage (its failure not counted):
// now + outage_retry * (1 + jitter).
[[nodiscard]] TimePoint outage_due(const Policy& policy, TimePoint now, double jitter);

// Spreads first polls (daemon start, import) over `window` instead of a stampede: feed `index`
// of `count` gets now + window * (index + jitter) / count. A feed whose persisted next_poll is
// still ahead keeps it (a restart does not poll everything at once); an overdue one is spread.
[[nodiscard]] TimePoint first_due(const FeedState& state, std::size_t index, std::size_t count, TimePoint now,
                                  Duration window, double jitter);

// The feeds' due times, earliest first: the daemon arms one timer for next_time() and pops what
// is due, instead of a global tick. Setting a feed again moves it; names are unique. Times are
// Instants (milliseconds), so first polls spread over a short window keep their order.
class DueQueue {
  public:
    void set(const std::string& feed, Instant due);
    void remove(const std::string& feed);
    void clear();
    [[nodiscard]] std::optional<Instant> due(const std::string& feed) const;
    // The earliest due time, if any feed is queued.
    [[nodiscard]] std::optional<Instant> next_time() const;
    // Removes and returns the feeds due at or before `now`, earliest first (at most `limit`).
    [[nodiscard]] std::vector<std::string> pop_due(Instant now, std::size_t limit = SIZE_MAX);
    [[nodiscard]] std::size_t size() const { return by_feed_.size(); }
    [[nodiscard]] bool empty() const { return by_feed_.empty(); }
    // Moves every due time by `by` (negative: earlier), keeping their order: after the wall clock
    // was set back, what was due in ten minutes is still due in ten minutes.
    void shift(Duration by);

  private:
    std::set<std::pair<Instant, std::string>> by_time_;
    std::map<std::string, Instant, std::less<>> by_feed_;
};

// ---------------------------------------------------------------------------------------------
// interval = "auto": how often a feed needs polling, from what the archive saw of it. A feed
// shows its last N items (its window); more than N new items between two polls and some are lost
// for good. The interval is chosen so that, judged by the feed's own history, no more than a
// fraction of the window arrives between two polls (docs/ARCHITECTURE.md, "Adaptive polling").

// A feed's recent publishing, as the archive saw it.
struct Publishing {
    // When its recent entries appeared (arrival_time), ascending. Older than AdaptiveRule::history
    // does not count, so the caller may pass more.
    std::vector<TimePoint> arrivals;
    // How many items the feed's document showed at the last successful poll (0: not known yet).
    std::size_t window = 0;
};

struct AdaptiveRule {
    Duration history{std::chrono::hours(24 * 28)};  // how far back arrivals count
    // Of the window, how much may arrive between two polls: a half leaves room for a burst that
    // comes faster than any seen before, and for the jitter next_due adds.
    double fill = 0.5;
    // The result is a deadline: it is shortened by the most next_due's jitter adds (10 %), so
    // that the jittered poll still comes before it.
    double jitter_room = 0.1;
    // How much earlier than on past days a feed's daily pattern may come (a morning burst at
    // nine one day, at a quarter to the next).
    Duration early{std::chrono::minutes(15)};
};

// When an entry appeared, for Publishing::arrivals: its publication time when that is plausible
// (not after feedd first saw it: a date ahead of the clock says nothing about when it came),
// else when it was first seen. Publication times give a burst its real shape even when the feed
// was polled once during it.
[[nodiscard]] TimePoint arrival_time(std::optional<TimePoint> published, TimePoint first_seen);

// The interval of a feed whose `interval` is "auto": the longest, up to policy.max_interval, such
// that no span of that length let more than fill × window entries through among
//  - the span that ends now (a burst under way shortens the interval at once, and it lengthens
//    again as the burst falls behind: a quiet feed drifts to max_interval);
//  - the spans that start at this time of day on each day of the history, reaching `early`
//    further ahead (a feed that publishes a burst at nine every morning is polled just after
//    nine, and often during its burst).
// Never below policy.min_interval. policy.interval while the window is not known. The publisher's
// hints (ttl, Cache-Control, Expires) still apply on top: pass the result as Policy::interval to
// next_due.
[[nodiscard]] Duration adaptive_interval(const Policy& policy, const Publishing& publishing, TimePoint now,
                                         const AdaptiveRule& rule = {});

// Items were probably lost between two polls: this poll's document held only entries never seen
// before, as many as the feed showed before, all of them newer than the newest seen before.
struct Gap {
    TimePoint after;            // the newest arrival seen before this poll
    TimePoint before;           // the oldest arrival in this poll's document
    std::size_t estimated = 1;  // items probably lost (at least 1)
    Duration pace{};            // between the document's items (zero when they carry no dates)
};

// Where the lost items probably were, to add to Publishing::arrivals: `estimated` arrivals at the
// document's pace just before it (a burst that began before the poll saw it), else spread over
// the gap. Without them a feed that outran its window would look quieter than it is, and the
// adaptive interval would keep arriving late.
[[nodiscard]] std::vector<TimePoint> lost_arrivals(const Gap& gap);

// What one poll saw, for detect_gap and earlier_arrivals.
struct PollWindow {
    std::vector<TimePoint> arrivals;  // of every item in the document (arrival_time), any order
    std::size_t seen_before = 0;      // how many of them the archive already had
};

// nullopt when the poll overlapped what was seen before (or the feed was never polled:
// previous.window == 0, previous.arrivals empty). The estimate is the smaller of the document's
// own pace over the gap and the feed's average pace over its history, the gap included (a burst
// after a quiet day must not count as a day of bursting); with a short history it is low.
[[nodiscard]] std::optional<Gap> detect_gap(const Publishing& previous, const PollWindow& poll);

// A feed's first document shows only the end of what it published: as many items again most
// likely came before it at the same pace. Added to the arrivals of a feed polled for the first
// time, they let the adaptive interval meet a burst that began before the part the first poll
// saw; for a steady feed they only repeat its real past. Empty for a document of fewer than two
// dated items.
[[nodiscard]] std::vector<TimePoint> earlier_arrivals(const PollWindow& first);

// What a poll's redirects mean for the feed's URL (docs/ARCHITECTURE.md: a permanent redirect seen on
// several consecutive polls over at least a day moves the feed; a temporary one never does).
struct RedirectRule {
    int confirmations = 3;                  // consecutive polls that saw it
    Duration over{std::chrono::hours(24)};  // from the first sighting to the move
};

// Updates state.redirect_candidate / redirect_first_seen / redirect_count / moved_to after a
// successful or not-modified poll whose hops were `redirects`. The chain counts as permanent
// only when every hop was 301 or 308; its last target is the candidate. Any temporary hop or
// no redirect clears the candidate. Returns true when the feed moved (state.moved_to set).
bool track_redirects(FeedState& state, const std::vector<RedirectHop>& redirects, TimePoint now,
                     const RedirectRule& rule = {});

// ---------------------------------------------------------------------------------------------
// Full text (docs/ARCHITECTURE.md, "Full text"): when an article's page is fetched again.

// After a fetch that gave the page: `refetch_after` later, doubled for each refetch in a row that
// found the text unchanged (`unchanged`), so a page that never changes costs a handful of fetches
// a year, not one a week forever; after `max_unchanged_refetches` such refetches, or with
// `refetch_after` zero, never again (nullopt).
inline constexpr int max_unchanged_refetches = 6;
[[nodiscard]] std::optional<TimePoint> page_refetch(Duration refetch_after, int unchanged, TimePoint now);

// After the `failures`-th failed fetch in a row (1 = first): min_interval, doubling, up to
// backoff_cap; after a 429/503 with Retry-After, that time as next_due takes it for a feed (no
// sooner than min_interval, no later than max(backoff_cap, max_interval)). After `max_page_failures`
// failures, never again (nullopt): a page that keeps failing is recorded with its reason and left.
inline constexpr int max_page_failures = 5;
[[nodiscard]] std::optional<TimePoint> page_retry(const Policy& policy, int failures,
                                                  std::optional<TimePoint> retry_after, TimePoint now);

// ---------------------------------------------------------------------------------------------
// Politeness per host, keyed by registered domain (fetch::registered_domain(url::host(url)), so
// *.tumblr.com share a key and *.github.io sites do not).

struct HostLimits {
    std::size_t concurrency = 32;                    // requests in flight overall
    std::size_t per_host = 1;                        // requests in flight per host
    Duration per_host_gap{std::chrono::seconds(1)};  // between request starts to one host
    // A host-wide pause: when `rate_limited_feeds` different feeds of one host got 429 within
    // `rate_limit_window`, the whole host waits until the latest Retry-After among them, or for
    // `rate_limit_pause` when none said.
    std::size_t rate_limited_feeds = 2;
    Duration rate_limit_window{std::chrono::minutes(1)};
    Duration rate_limit_pause{std::chrono::minutes(10)};
    // The longest host-wide pause, whatever Retry-After says: a server cannot stop every feed of
    // its registered domain for longer than one feed's retry may last (the daemon passes
    // max(backoff_cap, max_interval), the bound of next_due).
    Duration max_pause{std::chrono::hours(24)};
};

// Decides when a request may start. Single-threaded (the io_context's thread); pure bookkeeping.
// Use: ask earliest_start(); when it says now or earlier, call on_start() and fetch; on
// completion call on_finish(). A request that was never started must not be finished.
class HostGate {
  public:
    explicit HostGate(HostLimits limits = {});
    // New limits (a reload) for what starts from now on: requests in flight run on, gaps and
    // pauses already set stay.
    void set_limits(HostLimits limits);

    // The earliest instant a request to `host` may start: `now` when it may start at once, later
    // for the per-host gap or a host-wide pause, std::nullopt while the overall or the per-host
    // in-flight limit is reached (then wait for an on_finish).
    [[nodiscard]] std::optional<Instant> earliest_start(const std::string& host, Instant now) const;

    void on_start(const std::string& host, Instant now);
    // `status` is the HTTP status (0 for none); `feed` names the feed for the 429 rule.
    void on_finish(const std::string& host, Instant now, long status = 0,
                   std::optional<TimePoint> retry_after = std::nullopt, const std::string& feed = {});

    // Requests started and not yet finished, over all hosts.
    [[nodiscard]] std::size_t in_flight() const { return total_in_flight_; }
    [[nodiscard]] std::size_t in_flight(const std::string& host) const;

    // Several nodes (docs/ARCHITECTURE.md, "Several nodes"): a host passes from one node to
    // another with the earliest instant its next request may start (its last start plus the gap,
    // or the end of a pause), so the gap and the pause hold across the handover.
    // The earliest start of the next request to `host` as far as gaps and pauses go (in-flight
    // limits aside); nullopt when nothing holds it back.
    [[nodiscard]] std::optional<Instant> not_before(const std::string& host) const;
    // No request to `host` starts before `until` (what the host's previous node left).
    void hold(const std::string& host, Instant until);
    // Forgets idle hosts whose gap and pause are over (bounded memory over months).
    void prune(Instant now);
    // Moves the remembered request starts by `by`, as DueQueue::shift: a clock set back an hour
    // does not make a host wait out an hour-long "gap". Pauses (from Retry-After dates) stay.
    void shift(Duration by);
    // How many hosts the gate remembers: what prune bounds.
    [[nodiscard]] std::size_t tracked_hosts() const { return hosts_.size(); }

  private:
    struct Host {
        std::size_t in_flight = 0;
        std::optional<Instant> last_start;
        std::optional<Instant> paused_until;
        struct RateLimited {
            Instant at;
            std::string feed;
            std::optional<TimePoint> retry_after;
        };
        std::deque<RateLimited> rate_limited;
    };
    HostLimits limits_;
    std::map<std::string, Host, std::less<>> hosts_;
    std::size_t total_in_flight_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Outage: when every fetch since the last answer from anywhere failed at the network level (DNS,
// connect, timeout, reset) on more than one host, the fault is ours, not the feeds': their
// failures should not count (use outage_due instead of next_due) and polling should resume
// promptly when a fetch gets an answer. No window of recent fetches: with two feeds an outage is
// seen as surely as with two thousand (a fixed window of 8 never filled with fewer feeds).

class OutageDetector {
  public:
    enum class Change { none, began, ended };

    // An outage needs network-level failures on at least `min_hosts` different hosts since the
    // last answer (one dead host is that host's problem, not an outage). A host whose previous
    // fetch failed at the network level too is dead, not a witness: in a large feeds.toml some
    // hosts are always down, and two of them failing in a row must not stop the polling of all.
    explicit OutageDetector(std::size_t min_hosts = 2);

    // Records a finished fetch (cancelled ones are ignored); says whether an outage began or
    // ended. Any answer (a success, an HTTP error, a feed that does not parse) proves the network
    // works and starts the count again.
    Change record(const std::string& host, FetchErrorKind error, TimePoint now);
    bool in_outage() const { return since_.has_value(); }
    // When the outage began: the first network-level failure after the last answer.
    std::optional<TimePoint> since() const { return since_; }

    // Whether an error is a network-level one (the kind an outage produces).
    [[nodiscard]] static bool network_level(FetchErrorKind error);

  private:
    std::size_t min_hosts_;
    std::set<std::string> failed_hosts_;  // since the last answer, hosts that answered before
    std::set<std::string> dead_hosts_;    // whose latest fetch failed at the network level
    std::optional<TimePoint> first_failure_;
    std::optional<TimePoint> since_;
};

}  // namespace feedd::schedule
