#include "daemon/scrape.hpp"

#include <chrono>

namespace feedd::daemon {

void write_metrics(metrics::Exposition& out, const Pipeline::Totals& totals, const Health& health) {
    for (const auto status :
         {PollStatus::updated, PollStatus::not_modified, PollStatus::failed, PollStatus::gone})
        out.counter("feedd_polls_total", "Feed polls since start, by outcome",
                    static_cast<double>(totals.by_status[static_cast<std::size_t>(status)].value()),
                    {{"outcome", std::string(to_string(status))}});
    out.counter("feedd_new_entries_total", "Entries archived for the first time since start",
                static_cast<double>(totals.new_entries.value()));
    out.counter("feedd_updated_entries_total", "Entries whose content changed, since start",
                static_cast<double>(totals.updated_entries.value()));
    out.counter("feedd_fetched_bytes_total", "Bytes fetched on the wire since start",
                static_cast<double>(totals.bytes.value()));
    out.histogram("feedd_fetch_duration_seconds", "Time from request to the last byte of a feed",
                  totals.fetch_seconds.snapshot());
    out.gauge("feedd_writer_backlog_polls", "Polls fetched and waiting for the archive's writer",
              static_cast<double>(totals.backlog_polls.value()));
    out.gauge("feedd_writer_backlog_bytes", "What those waiting polls hold in memory",
              static_cast<double>(totals.backlog_bytes.value()));

    for (const auto& [state, count] : health.feeds_by_state)
        out.gauge("feedd_feeds", "Configured feeds by state (ok, failing, gone, new: never polled)",
                  static_cast<double>(count), {{"state", state}});
    out.gauge("feedd_paused_hosts", "Registered domains paused after rate limiting (429) of several feeds",
              static_cast<double>(health.paused_hosts.size()));
    out.gauge("feedd_articles", "Articles in the archive, each once", static_cast<double>(health.articles));
    out.gauge("feedd_archive_bytes", "What the archive takes on disk, search indexes included",
              static_cast<double>(health.archive_bytes));
    if (health.last_success) {
        const auto seconds =
            std::chrono::duration_cast<std::chrono::seconds>(health.last_success->time_since_epoch());
        out.gauge("feedd_last_successful_poll_timestamp_seconds", "When a feed was last polled without error",
                  static_cast<double>(seconds.count()));
    }
    out.gauge("feedd_healthy", "1 when `feedd status` would say healthy", health.exit_code == 0 ? 1 : 0);
}

}  // namespace feedd::daemon
