// What tests of the daemon need beyond its public header: `poll_once` with a fetcher that maps
// host names to a loopback test server (fetch/options.hpp, private to fetch and its tests), so
// that the politeness rules are tested on the real Pipeline with several hosts. Not for
// production code: nothing outside tests includes this file.
#pragma once

#include <vector>

#include "feedd/daemon/daemon.hpp"
#include "feedd/fetch/fetch.hpp"

namespace feedd::daemon {

[[nodiscard]] std::vector<PollReport> poll_once(const RunOptions& options,
                                                const fetch::FetcherOptions& fetcher_options);

}  // namespace feedd::daemon
