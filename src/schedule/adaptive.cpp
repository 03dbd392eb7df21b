// interval = "auto" and gap detection (schedule.hpp). Pure, like the rest of schedule: the
// archive's arrivals and `now` come in, an interval or a gap goes out.
#include <algorithm>
#include <cmath>

#include "feedd/schedule/schedule.hpp"

namespace feedd::schedule {
namespace {

using std::chrono::seconds;

// Arrivals in (from, to], on a sorted vector.
std::size_t count_in(const std::vector<TimePoint>& sorted, TimePoint from, TimePoint to) {
    if (to <= from) return 0;
    const auto first = std::upper_bound(sorted.begin(), sorted.end(), from);
    const auto last = std::upper_bound(first, sorted.end(), to);
    return static_cast<std::size_t>(last - first);
}

}  // namespace

TimePoint arrival_time(std::optional<TimePoint> published, TimePoint first_seen) {
    if (published && *published <= first_seen) return *published;
    return first_seen;
}

Duration adaptive_interval(const Policy& policy, const Publishing& publishing, TimePoint now,
                           const AdaptiveRule& rule) {
    const Duration low = policy.min_interval;
    const Duration high = std::max(policy.min_interval, policy.max_interval);
    if (publishing.window == 0) return std::clamp(policy.interval, low, high);

    // Only the history counts, and only what had arrived by now (a clock set back must not make
    // the future look busy).
    const TimePoint oldest = now - std::chrono::ceil<seconds>(rule.history);
    std::vector<TimePoint> arrivals;
    for (const TimePoint at : publishing.arrivals)
        if (at > oldest && at <= now) arrivals.push_back(at);
    std::sort(arrivals.begin(), arrivals.end());

    const double fill = std::isfinite(rule.fill) ? std::clamp(rule.fill, 0.0, 1.0) : 0.5;
    const auto allowed = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::floor(fill * static_cast<double>(publishing.window))));
    const auto days = static_cast<int>(std::chrono::floor<std::chrono::days>(rule.history).count());

    const auto early = std::chrono::ceil<seconds>(std::max(Duration::zero(), rule.early));
    // The most entries any of the spans of `length` let through.
    const auto busiest = [&](seconds length) {
        std::size_t most = count_in(arrivals, now - length, now);
        for (int day = 1; day <= days && most <= allowed; ++day) {
            const TimePoint start = now - std::chrono::days(day);
            most = std::max(most, count_in(arrivals, start, start + length + early));
        }
        return most;
    };

    // busiest() only grows with the length: the longest that passes, to the second.
    auto pass = std::chrono::ceil<seconds>(low);
    auto fail = std::chrono::floor<seconds>(high) + seconds(1);
    const double jitter_room = std::isfinite(rule.jitter_room) ? std::clamp(rule.jitter_room, 0.0, 1.0) : 0.1;
    const auto room = [&](Duration deadline) {
        return Duration{
            static_cast<Duration::rep>(static_cast<double>(deadline.count()) / (1.0 + jitter_room))};
    };
    if (busiest(pass) > allowed) return low;
    // next_due never jitters beyond max_interval: no room needed there.
    if (busiest(fail - seconds(1)) <= allowed) return high;
    while (fail - pass > seconds(1)) {
        const auto mid = pass + (fail - pass) / 2;
        (busiest(mid) <= allowed ? pass : fail) = mid;
    }
    return std::clamp<Duration>(room(pass), low, high);
}

std::optional<Gap> detect_gap(const Publishing& previous, const PollWindow& poll) {
    if (previous.window == 0 || previous.arrivals.empty() || poll.arrivals.empty()) return std::nullopt;
    if (poll.seen_before > 0 || poll.arrivals.size() < previous.window) return std::nullopt;
    const TimePoint newest_before = *std::max_element(previous.arrivals.begin(), previous.arrivals.end());
    const auto [oldest_it, newest_it] = std::minmax_element(poll.arrivals.begin(), poll.arrivals.end());
    // Entries that reach back into what was seen are not a gap but the feed renaming its items
    // (new GUIDs for old stories).
    if (*oldest_it <= newest_before) return std::nullopt;

    Gap gap;
    gap.after = newest_before;
    gap.before = *oldest_it;
    const double unseen = static_cast<double>(Duration{gap.before - gap.after}.count());  // ms, as pace
    double estimate = unseen;  // in items, from the smaller of two paces
    // The document's pace: n items over its span, so about unseen / step - 1 items fell between
    // the newest seen and the oldest shown.
    const auto span = *newest_it - *oldest_it;
    if (poll.arrivals.size() > 1 && span.count() > 0) {
        gap.pace = span / static_cast<Duration::rep>(poll.arrivals.size() - 1);
        estimate = unseen / static_cast<double>(gap.pace.count()) - 1.0;
    }
    // The feed's average pace over everything known before the document, the gap included (it
    // holds quiet time as well as lost items): a burst after a quiet day counts as one burst.
    const TimePoint oldest_before = *std::min_element(previous.arrivals.begin(), previous.arrivals.end());
    const double history = static_cast<double>(Duration{gap.before - oldest_before}.count());
    if (history > 0)
        estimate = std::min(estimate, unseen * static_cast<double>(previous.arrivals.size()) / history);
    gap.estimated = static_cast<std::size_t>(std::max(1.0, std::round(estimate)));
    return gap;
}

std::vector<TimePoint> lost_arrivals(const Gap& gap) {
    std::vector<TimePoint> out;
    const auto unseen = gap.before - gap.after;
    if (unseen <= Duration::zero()) return out;
    const auto n = static_cast<Duration::rep>(gap.estimated);
    // At the document's pace when it fits in the gap, else evenly over it.
    const Duration step = gap.pace > Duration::zero() && gap.pace * n < unseen ? gap.pace : unseen / (n + 1);
    for (Duration::rep k = n; k >= 1; --k)
        out.push_back(std::chrono::floor<std::chrono::seconds>(gap.before - step * k));
    return out;
}

std::vector<TimePoint> earlier_arrivals(const PollWindow& first) {
    if (first.arrivals.size() < 2) return {};
    const auto [oldest, newest] = std::minmax_element(first.arrivals.begin(), first.arrivals.end());
    if (*newest == *oldest) return {};
    Gap before_first;
    before_first.before = *oldest;
    before_first.estimated = first.arrivals.size();
    before_first.pace = Duration{*newest - *oldest} / static_cast<Duration::rep>(first.arrivals.size() - 1);
    before_first.after = std::chrono::floor<std::chrono::seconds>(
        *oldest - before_first.pace * static_cast<Duration::rep>(first.arrivals.size() + 1));
    return lost_arrivals(before_first);
}

}  // namespace feedd::schedule
