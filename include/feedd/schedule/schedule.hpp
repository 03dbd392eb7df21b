// When each feed and host is due. Pure: `now` is passed in, randomness is injected.
#pragma once

#include <cstdint>

#include "feedd/model/model.hpp"

namespace feedd::schedule {

struct Policy {
    Duration interval{std::chrono::hours(1)};
    Duration min_interval{std::chrono::minutes(15)};
    Duration max_interval{std::chrono::hours(24)};
    Duration backoff_cap{std::chrono::hours(24)};
};

// The next time a feed is due after a poll with `outcome` at `now`. `jitter` in [0, 1) spreads
// feeds apart (pass a random number; tests pass a constant).
TimePoint next_due(const Policy& policy, const FeedState& state, const RefreshOutcome& outcome,
                   TimePoint now, double jitter);

}  // namespace feedd::schedule
