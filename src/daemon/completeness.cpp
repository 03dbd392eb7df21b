#include "daemon/completeness.hpp"

#include <algorithm>

namespace feedd::daemon {

bool auto_interval(const FeedSource& feed, const config::Settings& settings) {
    if (feed.interval) return false;
    return feed.auto_interval || settings.auto_interval;
}

schedule::Publishing publishing_of(store::Archive& archive, const std::string& feed, int document_items,
                                   TimePoint now) {
    const TimePoint since = now - std::chrono::ceil<std::chrono::seconds>(schedule::AdaptiveRule{}.history);
    schedule::Publishing publishing;
    publishing.window = static_cast<std::size_t>(std::max(0, document_items));
    for (const auto& times : archive.entry_times(feed, since))
        publishing.arrivals.push_back(schedule::arrival_time(times.published, times.first_seen));
    for (const auto& record : archive.gaps(feed, since)) {
        schedule::Gap gap;
        gap.after = record.seen_until;
        gap.before = record.seen_again;
        gap.estimated = static_cast<std::size_t>(std::max<std::int64_t>(1, record.estimated));
        gap.pace = record.pace;
        const auto lost = schedule::lost_arrivals(gap);
        publishing.arrivals.insert(publishing.arrivals.end(), lost.begin(), lost.end());
    }
    std::sort(publishing.arrivals.begin(), publishing.arrivals.end());
    return publishing;
}

std::vector<TimePoint> document_arrivals(const ParsedFeed& parsed, TimePoint now) {
    std::vector<TimePoint> arrivals;
    arrivals.reserve(parsed.entries.size());
    for (const auto& entry : parsed.entries) arrivals.push_back(schedule::arrival_time(entry.published, now));
    return arrivals;
}

schedule::Publishing with_document(schedule::Publishing publishing, const std::vector<TimePoint>& document) {
    if (publishing.arrivals.empty()) {
        schedule::PollWindow first;
        first.arrivals = document;
        const auto earlier = schedule::earlier_arrivals(first);
        publishing.arrivals.insert(publishing.arrivals.end(), earlier.begin(), earlier.end());
        publishing.arrivals.insert(publishing.arrivals.end(), document.begin(), document.end());
    } else {
        // Entries the archive already had arrived no later than the newest it knew (an entry
        // dated earlier and new is rare, and leaving it out only lengthens the interval a little).
        const TimePoint newest = *std::max_element(publishing.arrivals.begin(), publishing.arrivals.end());
        for (const TimePoint at : document)
            if (at > newest) publishing.arrivals.push_back(at);
    }
    publishing.window = document.size();
    std::sort(publishing.arrivals.begin(), publishing.arrivals.end());
    return publishing;
}

store::GapRecord gap_record(const schedule::Gap& gap, TimePoint now) {
    return {now, gap.after, gap.before, static_cast<std::int64_t>(gap.estimated), gap.pace};
}

std::string gap_notice(const schedule::Gap& gap) {
    return "gap: about " + std::to_string(gap.estimated) + " item" + (gap.estimated == 1 ? "" : "s") +
           " published between " + format_utc(gap.after) + " and " + format_utc(gap.before) +
           " were gone from the feed before this poll; polling it sooner";
}

}  // namespace feedd::daemon
