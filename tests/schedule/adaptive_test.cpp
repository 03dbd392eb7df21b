// interval = "auto" and gap detection, on publishing histories a feed really shows.
#include <doctest/doctest.h>

#include <algorithm>

#include "feedd/schedule/schedule.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;
using feedd::Duration;
using feedd::TimePoint;
using feedd::schedule::adaptive_interval;
using feedd::schedule::arrival_time;
using feedd::schedule::detect_gap;
using feedd::schedule::lost_arrivals;
using feedd::schedule::Policy;
using feedd::schedule::PollWindow;
using feedd::schedule::Publishing;

namespace {

const TimePoint midnight = sys_days{2026y / November / 28};

Policy policy(Duration min = 1min) {
    Policy p;
    p.interval = 1h;
    p.min_interval = min;
    p.max_interval = 24h;
    return p;
}

// `count` entries `every` apart, the first at `start`.
std::vector<TimePoint> series(TimePoint start, int count, seconds every) {
    std::vector<TimePoint> out;
    for (int i = 0; i < count; ++i) out.push_back(start + i * every);
    return out;
}

// A burst of 20 entries in ten minutes at nine every morning, for `days` days before `day`.
Publishing morning_bursts(TimePoint day, int days) {
    Publishing publishing;
    publishing.window = 10;
    for (int d = days; d >= 1; --d) {
        auto burst = series(day - std::chrono::days(d) + 9h, 20, 30s);
        publishing.arrivals.insert(publishing.arrivals.end(), burst.begin(), burst.end());
    }
    return publishing;
}

// The deadline itself: no room left for next_due's jitter, no allowance for a daily pattern that
// comes earlier than it did.
const feedd::schedule::AdaptiveRule deadline{.jitter_room = 0.0, .early = Duration::zero()};

}  // namespace

TEST_CASE("auto interval: a feed never seen yet keeps the configured interval") {
    CHECK(adaptive_interval(policy(), Publishing{}, midnight) == 1h);
}

TEST_CASE("auto interval: a dead feed drifts to max_interval, a daily one stays there") {
    Publishing dead;
    dead.window = 10;
    dead.arrivals = series(midnight - 200 * 24h, 10, 24h);  // nothing in the last four weeks
    CHECK(adaptive_interval(policy(), dead, midnight) == 24h);

    Publishing daily;
    daily.window = 10;
    daily.arrivals = series(midnight - 10 * 24h + 8h, 10, 24h);
    CHECK(adaptive_interval(policy(), daily, midnight + 12h) == 24h);
}

TEST_CASE("auto interval: an hourly feed with a window of 10 is polled about every five hours") {
    Publishing hourly;
    hourly.window = 10;
    hourly.arrivals = series(midnight - 28 * 24h, 28 * 24, 1h);
    const Duration interval = adaptive_interval(policy(), hourly, midnight + 30min, deadline);
    // At most five new entries between two polls: half the window.
    CHECK(interval >= 5h);
    CHECK(interval < 6h);

    hourly.window = 3;  // a window of three: no more than one new entry between two polls
    CHECK(adaptive_interval(policy(), hourly, midnight + 30min, deadline) < 90min);
}

TEST_CASE("auto interval: a morning burst is met by a poll just after it begins") {
    const auto publishing = morning_bursts(midnight + 24h, 7);
    // At half past eight the next poll comes before the sixth entry of the burst (09:02:30).
    const Duration before = adaptive_interval(policy(), publishing, midnight + 24h + 8h + 30min, deadline);
    CHECK(before >= 30min);
    CHECK(before < 32min + 30s);
    // In the afternoon nothing is due until the next morning's burst.
    const Duration afternoon = adaptive_interval(policy(), publishing, midnight + 24h + 15h, deadline);
    CHECK(afternoon >= 18h);
    CHECK(afternoon < 18h + 2min + 30s);

    // By default the burst is expected up to 15 minutes earlier than it came, and the interval
    // leaves room for next_due's jitter (up to +10 %): even the latest jittered poll comes
    // before the sixth entry of a burst that starts at a quarter to nine.
    const Duration with_room = adaptive_interval(policy(), publishing, midnight + 24h + 15h);
    CHECK(with_room * 11 / 10 <= afternoon - 15min);
    CHECK(with_room * 11 / 10 > afternoon - 15min - 1s);
}

TEST_CASE("auto interval: a burst under way shortens the interval, and it grows back as it falls behind") {
    Publishing quiet;
    quiet.window = 10;
    quiet.arrivals = series(midnight - 20 * 24h, 10, 48h);
    const TimePoint now = midnight + 12h;
    CHECK(adaptive_interval(policy(), quiet, now) == 24h);

    auto bursting = quiet;
    auto burst = series(now - 10min, 8, 75s);  // eight entries in the last ten minutes
    bursting.arrivals.insert(bursting.arrivals.end(), burst.begin(), burst.end());
    const Duration during = adaptive_interval(policy(), bursting, now, deadline);
    CHECK(during < 10min);
    CHECK(during >= 1min);
    CHECK(adaptive_interval(policy(15min), bursting, now) == 15min);  // never below min_interval

    const Duration after_an_hour = adaptive_interval(policy(), bursting, now + 1h, deadline);
    const Duration after_a_day = adaptive_interval(policy(), bursting, now + 30h, deadline);
    CHECK(after_an_hour > during);
    CHECK(after_a_day > after_an_hour);
}

TEST_CASE("auto interval: entries dated ahead of the clock do not make the future look busy") {
    Publishing ahead;
    ahead.window = 10;
    ahead.arrivals = series(midnight + 1h, 50, 1min);  // the clock was set back a day
    CHECK(adaptive_interval(policy(), ahead, midnight) == 24h);
}

TEST_CASE("arrival time: the publication date when it is plausible, else when first seen") {
    const TimePoint seen = midnight + 10h;
    CHECK(arrival_time(midnight + 9h, seen) == midnight + 9h);
    CHECK(arrival_time(midnight + 11h, seen) == seen);  // dated after it was seen
    CHECK(arrival_time(std::nullopt, seen) == seen);
}

TEST_CASE("gap: a full window of only new entries, all newer than the last seen, is a gap") {
    Publishing before;
    before.window = 3;
    before.arrivals = series(midnight - 97min, 100, 1min);  // seen: one a minute up to 00:02
    // Twenty more followed; the poll at 00:22 shows only the last three.
    PollWindow poll;
    poll.arrivals = series(midnight + 20min, 3, 1min);
    const auto gap = detect_gap(before, poll);
    REQUIRE(gap.has_value());
    CHECK(gap->after == midnight + 2min);
    CHECK(gap->before == midnight + 20min);
    CHECK(gap->pace == 1min);
    // 17 were lost (00:03 .. 00:19); the history's pace, the gap included, says 15.
    CHECK(gap->estimated >= 15);
    CHECK(gap->estimated <= 17);

    SUBCASE("an overlap with what was seen is no gap") {
        poll.seen_before = 1;
        CHECK_FALSE(detect_gap(before, poll));
    }
    SUBCASE("a document shorter than the window is no gap") {
        poll.arrivals.pop_back();
        CHECK_FALSE(detect_gap(before, poll));
    }
    SUBCASE("new identities for old stories are no gap") {
        poll.arrivals = series(midnight, 3, 1min);
        CHECK_FALSE(detect_gap(before, poll));
    }
    SUBCASE("a first poll is no gap") {
        CHECK_FALSE(detect_gap(Publishing{}, poll));
    }
    SUBCASE("entries without their own dates still count one lost item at least") {
        poll.arrivals.assign(3, midnight + 22min);
        const auto undated = detect_gap(before, poll);
        REQUIRE(undated.has_value());
        CHECK(undated->estimated >= 1);
        CHECK(undated->pace == Duration::zero());
    }
}

TEST_CASE("gap: a burst after a quiet day is estimated from the feed's day, not the burst's pace") {
    Publishing before;
    before.window = 10;
    before.arrivals = series(midnight + 9h, 10, 30s);  // yesterday's burst, seen in part
    PollWindow poll;
    poll.arrivals = series(midnight + 24h + 9h + 5min, 10, 30s);
    const auto gap = detect_gap(before, poll);
    REQUIRE(gap.has_value());
    CHECK(gap->estimated >= 5);  // not the thousands the burst's pace over a day would say
    CHECK(gap->estimated <= 20);

    // The lost items are placed at the burst's pace just before the document, so the adaptive
    // interval learns that the burst begins earlier than it saw.
    const auto lost = lost_arrivals(*gap);
    REQUIRE(lost.size() == gap->estimated);
    CHECK(lost.back() == poll.arrivals.front() - 30s);
    CHECK(lost.front() == poll.arrivals.front() - 30s * static_cast<int>(lost.size()));
    CHECK(std::is_sorted(lost.begin(), lost.end()));
}
