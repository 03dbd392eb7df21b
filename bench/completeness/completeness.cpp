// Completeness benchmark: simulated publishers on an injected clock (no sleeping, no network),
// polled for 30 simulated days by three schedulers, counting the items each one missed and the
// requests it made:
//   fixed    every hour;
//   miniflux Miniflux's entry_frequency rule: interval = one week / the weekly entry count, the
//            count from the average gap between the entries published in the last week, within
//            5 min .. 24 h (its defaults; 24 h when it counts none);
//   feedd    interval = "auto": schedule::adaptive_interval fed with what feedd would have
//            archived (schedule::arrival_time), through the daemon's own schedule::next_due with
//            its jitter; schedule::detect_gap after every poll.
// A feed's document shows its last `window` items. An item is missed when a scheduler never saw
// it in a document. Publishers start 30 days before the subscription so the first document is
// realistic; only items published after it count.
//
//   build/bench/completeness/bench_completeness [--days 30] [--seed 1]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "feedd/schedule/schedule.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using feedd::Duration;
using feedd::FeedState;
using feedd::RefreshOutcome;
using feedd::TimePoint;
namespace schedule = feedd::schedule;

namespace {

const TimePoint subscribed = sys_days{2026y / November / 1};

struct Publisher {
    std::string name;
    std::size_t window = 10;
    std::vector<TimePoint> items;  // publication times, ascending
};

// Items from 30 days before the subscription to `days` after it.
Publisher steady(int days, std::mt19937& rng) {
    Publisher p{"steady (1/hour)", 10, {}};
    std::uniform_int_distribution<int> minute(0, 59);
    for (auto hour = subscribed - 30 * 24h; hour < subscribed + days * 24h; hour += 1h)
        p.items.push_back(hour + minutes(minute(rng)));
    return p;
}

Publisher bursty(int days, std::mt19937& rng, std::size_t window, std::string name) {
    Publisher p{std::move(name), window, {}};
    std::uniform_int_distribution<int> onset(-15, 15);  // the burst starts at 09:00 +- 15 min
    for (auto day = subscribed - 30 * 24h; day < subscribed + days * 24h; day += 24h) {
        const TimePoint start = day + 9h + minutes(onset(rng));
        for (int i = 0; i < 20; ++i) p.items.push_back(start + i * 30s);  // 20 items in 10 minutes
    }
    return p;
}

Publisher daily(int days, std::mt19937& rng) {
    Publisher p{"daily", 10, {}};
    std::uniform_int_distribution<int> minute(-60, 60);
    for (auto day = subscribed - 30 * 24h; day < subscribed + days * 24h; day += 24h)
        p.items.push_back(day + 8h + minutes(minute(rng)));
    return p;
}

Publisher dead() {
    Publisher p{"dead", 10, {}};
    for (int i = 0; i < 10; ++i) p.items.push_back(subscribed - 90 * 24h + i * 24h);
    return p;
}

// The publisher's document at `now`: indexes of its last `window` items published by then.
std::pair<std::size_t, std::size_t> document(const Publisher& p, TimePoint now) {
    const auto end =
        static_cast<std::size_t>(std::upper_bound(p.items.begin(), p.items.end(), now) - p.items.begin());
    return {end > p.window ? end - p.window : 0, end};
}

std::size_t count_published(const Publisher& p, TimePoint after, TimePoint until) {
    return static_cast<std::size_t>(std::upper_bound(p.items.begin(), p.items.end(), until) -
                                    std::upper_bound(p.items.begin(), p.items.end(), after));
}

struct Result {
    std::size_t requests = 0;
    std::size_t missed = 0;
    std::size_t gaps = 0;            // feedd only: gaps reported
    std::size_t gap_estimate = 0;    // feedd only: items the gaps estimated
    std::size_t lossy_polls = 0;     // polls before which items were lost
    std::size_t lossy_reported = 0;  // feedd only: of those, the ones that reported a gap
};

enum class Scheduler { fixed, miniflux, feedd };

// Miniflux's entry_frequency (internal/model/feed.go, storage WeeklyFeedEntryCount).
Duration miniflux_interval(const std::vector<TimePoint>& published, TimePoint now) {
    std::vector<TimePoint> week;
    for (auto at : published)
        if (at >= now - 7 * 24h) week.push_back(at);
    std::size_t weekly = 0;
    if (week.size() > 1) {
        const auto [lo, hi] = std::minmax_element(week.begin(), week.end());
        const double gap = static_cast<double>((*hi - *lo).count()) / static_cast<double>(week.size() - 1);
        if (gap > 0) weekly = static_cast<std::size_t>(std::ceil(604800.0 / gap));
    }
    if (weekly == 0) return 24h;
    return std::clamp<Duration>(duration_cast<Duration>(minutes(10080) / static_cast<double>(weekly)), 5min,
                                24h);
}

Result simulate(const Publisher& p, Scheduler scheduler, int days, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    schedule::Policy policy;
    policy.interval = 1h;
    policy.min_interval = 2min;
    policy.max_interval = 24h;

    std::vector<bool> seen(p.items.size(), false);
    std::vector<TimePoint> seen_published;  // what Miniflux has in its entries table
    schedule::Publishing publishing;        // what feedd has in its archive
    FeedState state;
    Result result;
    const TimePoint end = subscribed + days * 24h;
    TimePoint now = subscribed;
    TimePoint previous_poll = now;
    while (now < end) {
        ++result.requests;
        const auto [first, last] = document(p, now);
        // Items published since the previous poll that this document no longer shows are lost.
        const bool lossy = result.requests > 1 && first > 0 && !seen[first - 1] &&
                           count_published(p, previous_poll, now) > last - first;
        result.lossy_polls += lossy;
        schedule::PollWindow poll;
        std::vector<TimePoint> fresh;  // arrivals of the items new to this scheduler
        for (std::size_t i = first; i < last; ++i) {
            poll.arrivals.push_back(schedule::arrival_time(p.items[i], now));
            if (seen[i]) {
                ++poll.seen_before;
                continue;
            }
            seen[i] = true;
            seen_published.push_back(p.items[i]);
            fresh.push_back(poll.arrivals.back());
        }
        Duration interval = 1h;
        if (scheduler == Scheduler::miniflux) {
            interval = miniflux_interval(seen_published, now);
        } else if (scheduler == Scheduler::feedd) {
            if (auto gap = schedule::detect_gap(publishing, poll)) {
                ++result.gaps;
                result.lossy_reported += lossy;
                result.gap_estimate += gap->estimated;
                const auto lost = schedule::lost_arrivals(*gap);
                publishing.arrivals.insert(publishing.arrivals.end(), lost.begin(), lost.end());
            }
            if (result.requests == 1) {
                const auto earlier = schedule::earlier_arrivals(poll);
                publishing.arrivals.insert(publishing.arrivals.end(), earlier.begin(), earlier.end());
            }
            publishing.arrivals.insert(publishing.arrivals.end(), fresh.begin(), fresh.end());
            publishing.window = last - first;
            auto adaptive = policy;
            adaptive.interval = schedule::adaptive_interval(policy, publishing, now);
            RefreshOutcome outcome;
            outcome.kind = RefreshOutcome::Kind::updated;
            outcome.status = 200;
            interval = schedule::next_due(adaptive, state, outcome, now, jitter(rng)) - now;
        }
        previous_poll = now;
        now += ceil<seconds>(interval);
    }
    // The last day is grace: an item published then may wait for a poll up to max_interval.
    for (std::size_t i = 0; i < p.items.size(); ++i)
        if (p.items[i] > subscribed && p.items[i] <= end - 24h && !seen[i]) ++result.missed;
    return result;
}

}  // namespace

int main(int argc, char** argv) {
    int days = 30;
    unsigned seed = 1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--days"))
            days = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--seed"))
            seed = static_cast<unsigned>(std::atoi(argv[i + 1]));
        else {
            std::fprintf(stderr, "usage: %s [--days N] [--seed N]\n", argv[0]);
            return 2;
        }
    }
    std::mt19937 rng(seed);
    std::vector<Publisher> publishers{steady(days, rng), bursty(days, rng, 10, "bursty (20 in 10 min a day)"),
                                      daily(days, rng), dead()};
    const Publisher short_window = bursty(days, rng, 3, "bursty, window of 3 (misses on purpose)");

    std::printf(
        "%d simulated days, window 10 unless said. Per scheduler: requests / items missed. feedd's "
        "gaps: reported (items estimated); lossy polls (items lost just before them) that reported "
        "one; items published\n\n",
        days);
    std::printf("%-42s %16s %16s %16s %11s %12s %6s\n", "publisher", "fixed 1 h", "miniflux", "feedd auto",
                "gaps (est.)", "lossy polls", "items");
    Result total[3];
    auto row = [&](const Publisher& p, bool count) {
        std::size_t published = 0;
        for (auto at : p.items) published += at > subscribed && at <= subscribed + (days - 1) * 24h;
        Result r[3];
        for (int s = 0; s < 3; ++s) {
            r[s] = simulate(p, static_cast<Scheduler>(s), days, seed);
            if (count) {
                total[s].requests += r[s].requests;
                total[s].missed += r[s].missed;
            }
        }
        std::printf("%-42s %8zu / %-5zu %8zu / %-5zu %8zu / %-5zu %4zu (%4zu) %4zu of %-4zu %6zu\n",
                    p.name.c_str(), r[0].requests, r[0].missed, r[1].requests, r[1].missed, r[2].requests,
                    r[2].missed, r[2].gaps, r[2].gap_estimate, r[2].lossy_reported, r[2].lossy_polls,
                    published);
    };
    for (const auto& p : publishers) row(p, true);
    std::printf("%-42s %8zu / %-5zu %8zu / %-5zu %8zu / %-5zu\n", "total (window 10)", total[0].requests,
                total[0].missed, total[1].requests, total[1].missed, total[2].requests, total[2].missed);
    row(short_window, false);
    std::printf("\nreproduce: build/bench/completeness/bench_completeness --days %d --seed %u\n", days, seed);
    return 0;
}
