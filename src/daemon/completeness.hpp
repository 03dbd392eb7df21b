// The daemon's side of interval = "auto" and gap detection (docs/ARCHITECTURE.md, "Adaptive
// polling and gaps"): the rules are schedule's; this reads what the archive knows of a feed's
// publishing on the writer thread before a poll is written, and words the gap found once it is.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "feedd/config/config.hpp"
#include "feedd/schedule/schedule.hpp"
#include "feedd/store/store.hpp"

namespace feedd::daemon {

// Whether the feed's interval is chosen from its publishing: interval = "auto" for the feed, or
// globally when the feed gives no fixed interval.
[[nodiscard]] bool auto_interval(const FeedSource& feed, const config::Settings& settings);

// What the archive knows of a feed's publishing over the adaptive rule's history: when its
// entries arrived, where lost ones probably were (its gaps), and its last document's size.
[[nodiscard]] schedule::Publishing publishing_of(store::Archive& archive, const std::string& feed,
                                                 int document_items, TimePoint now);

// When a document's entries arrived: their publication time where plausible, else now.
[[nodiscard]] std::vector<TimePoint> document_arrivals(const ParsedFeed& parsed, TimePoint now);

// `publishing` with a poll's document: its entries newer than any known arrival, and before a
// feed's first document what probably came before it (schedule::earlier_arrivals).
[[nodiscard]] schedule::Publishing with_document(schedule::Publishing publishing,
                                                 const std::vector<TimePoint>& document);

// The archive's record of a gap, and the notice that says it once.
[[nodiscard]] store::GapRecord gap_record(const schedule::Gap& gap, TimePoint now);
[[nodiscard]] std::string gap_notice(const schedule::Gap& gap);

}  // namespace feedd::daemon
