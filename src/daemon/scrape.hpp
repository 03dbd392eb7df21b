// What `feedd run` answers /metrics with (docs/ARCHITECTURE.md, "Metrics").
#pragma once

#include "daemon/pipeline.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/metrics/metrics.hpp"

namespace feedd::daemon {

// The pipeline's figures since start, and what the archive knows (`health`, read at scrape time
// as `feedd status` reads it).
void write_metrics(metrics::Exposition& out, const Pipeline::Totals& totals, const Health& health);

}  // namespace feedd::daemon
