// The pipeline (fetch -> parse -> store, paced by schedule), signals, sd_notify, logging, reload.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "feedd/config/config.hpp"
#include "feedd/model/model.hpp"

namespace feedd::store {
class Archive;
struct Location;
}  // namespace feedd::store

namespace feedd::daemon {

// How one poll of one feed ended.
enum class PollStatus { updated, not_modified, failed, gone };
// Its word in summary lines and the log: "updated", "not-modified", "failed", "gone".
[[nodiscard]] std::string_view to_string(PollStatus status);

// What one poll of one feed did, for the summary line and the log.
struct PollReport {
    std::string feed;
    PollStatus status = PollStatus::failed;  // a poll that never got a verdict did not succeed
    long http_status = 0;
    int new_entries = 0;  // also counts entries that joined an article of another feed
    int updated_entries = 0;
    std::int64_t bytes = 0;
    Duration elapsed{0};
    std::string error;
};

struct RunOptions {
    std::filesystem::path config_path;
    std::optional<std::filesystem::path> database;  // --db
    std::vector<std::string> only_feeds;            // poll --feed NAME
    bool force = false;                             // poll --force: everything, due or not
    bool once = false;                              // poll --once
    bool progress = false;                          // live progress on a terminal
    std::string log_level;  // --log-level: wins over feeds.toml's log_level, at start and on reload
    std::function<void(const PollReport&)> on_report;
};

// `feedd poll --once`: polls what is due (or everything with `force`) and returns one report
// per feed polled. Throws on start-up failures (config, archive, lock).
[[nodiscard]] std::vector<PollReport> poll_once(const RunOptions& options);

// `feedd run`: polls until SIGINT/SIGTERM; SIGHUP reloads feeds.toml. Returns the exit status.
[[nodiscard]] int run(const RunOptions& options);

[[nodiscard]] std::string format_report(const PollReport& report);

// What one walk through a feed's history did (docs/ARCHITECTURE.md, "History").
struct BackfillReport {
    std::string feed;
    int pages = 0;           // earlier pages fetched (the feed's own document not counted)
    int new_items = 0;       // entries the archive did not have
    int known_items = 0;     // entries it had already
    std::int64_t bytes = 0;  // decoded bytes of the pages fetched
    std::string stopped;     // why the walk ended: "the earliest archive page", "page bound (10)"
    bool failed = false;     // it ended on an error (a fetch, a page that is no feed, a write)
};
// "alpha: history: 2 earlier pages, 20 new items, 0 already archived, 5120 bytes; stopped: the
// earliest archive page"
[[nodiscard]] std::string format_report(const BackfillReport& report);

// `feedd feeds backfill NAME [--pages N]`: walks the feed's history now, from its document, through
// the same fetch path and limits as polls, and writes what it finds; the feed's own state (its
// validators, next poll) is left as it is. `pages` defaults to `backfill_pages` (10 when that is 0).
// Throws on start-up failures (config, archive, lock; store::ArchiveBusy while the daemon runs).
[[nodiscard]] BackfillReport backfill(const RunOptions& options, const std::string& feed,
                                      std::optional<int> pages);

// What `feedd fetch-page ID` did (docs/ARCHITECTURE.md, "Full text").
struct FetchedPage {
    std::string line;  // the log's line about it: words and method, or why it failed
    bool failed = false;
    std::string title;
    std::string text;
    std::size_t words = 0;
};
// `feedd fetch-page ID`: fetches the article's page now, through the same request (guard, caps,
// robots.txt) and extraction as the daemon, and archives it. Throws on start-up failures (config,
// archive, lock; store::ArchiveBusy while the daemon runs) and for an unknown article or one
// without a link (std::invalid_argument).
[[nodiscard]] FetchedPage fetch_article_page(const RunOptions& options, std::int64_t article_id);

// What a poll that failed during a network outage leaves at the head of the feed's last_error
// ("offline since 2026-11-30T07:12:03Z"), and the date read back from such an error: how
// `feedd status`, reading the archive, knows the daemon is offline.
[[nodiscard]] std::string offline_note(TimePoint since);
[[nodiscard]] std::optional<std::string> offline_since_in(std::string_view last_error);

// `feedd status` and the API's /healthz: the daemon's health as the archive shows it.
struct PausedHost {
    std::string host;  // registered domain
    TimePoint until{};
    std::vector<std::string> feeds;
};
// A node of a shared archive (docs/ARCHITECTURE.md, "Several nodes"), as `feedd status` lists it.
struct NodeHealth {
    std::int64_t id = 0;
    std::string host;
    std::int64_t pid = 0;
    std::string version;
    std::string config_digest;
    TimePoint started{};
    TimePoint heartbeat{};
    std::int64_t feeds_held = 0;
    bool silent = false;  // no heartbeat for longer than its lease
};

struct Health {
    bool running = false;
    bool exists = false;  // the archive exists
    std::string archive;  // shown_location
    std::string word;     // "healthy", "degraded", "offline", "not running"
    int exit_code = 2;    // 0 healthy, 1 degraded or offline, 2 not running
    std::size_t feeds = 0;
    // Configured feeds by state: "ok", "failing" (the last poll failed), "gone" (410 or given up),
    // "new" (never polled).
    std::map<std::string, std::int64_t> feeds_by_state{{"ok", 0}, {"failing", 0}, {"gone", 0}, {"new", 0}};
    std::vector<std::string> failing;  // "name: last error", escaped for one line
    std::vector<std::string> gapping;  // "name: N gaps in 30 days, about M items lost"
    std::optional<std::string> offline_since;
    std::optional<TimePoint> last_success;
    std::vector<PausedHost> paused_hosts;
    std::int64_t articles = 0;
    std::int64_t archive_bytes = 0;
    std::int64_t bytes_per_article = 0;
    // Several nodes on one archive (none on SQLite). A problem degrades health: nodes running
    // different configurations, or a node that stopped heartbeating still holding leases.
    std::vector<NodeHealth> nodes;
    std::vector<std::string> node_problems;
};
// Reads the archive at `database` (through `archive` when given, the caller's open connection;
// else it opens one read-only when it exists). `running`: whether the daemon runs, which a caller
// outside it learns from the archive's lock. A feed failing longer than `threshold` degrades health.
[[nodiscard]] Health assess_health(const store::Location& database, Duration threshold, bool running,
                                   store::Archive* archive = nullptr);
// The one-line JSON document of `feedd status --format json`.
[[nodiscard]] std::string health_json(const Health& health);
// /healthz of the running daemon (api::HealthCheck), read through the API reader's connection
// `archive`: 200 when healthy, else 503, and health_json's document.
[[nodiscard]] std::pair<int, std::string> running_health(const store::Location& database,
                                                         store::Archive& archive);

// Whether `feed` has credentials (username and password, or headers) that are not sent to `url`
// because it is not their origin: another host or port than the configured URL's, or http after
// https. A feed moved there by a permanent redirect is polled without them.
[[nodiscard]] bool credentials_withheld(const FeedSource& feed, std::string_view url);

// How much the daemon logs on stderr, by name: "error", "warning" (or "warn"), "info", "debug".
// Throws std::invalid_argument for another name. (run and poll_once set it again when they start,
// and run on each reload: RunOptions::log_level when given, else feeds.toml's log_level.)
void set_log_level(std::string_view name);

}  // namespace feedd::daemon

namespace feedd::daemon {

// What `feedd feeds add URL` found behind a URL.
struct Discovery {
    bool is_feed = false;  // the URL itself serves a feed
    std::string feed_url;  // then: where it ended up (after redirects)
    std::string feed_title;
    std::vector<FeedLink> candidates;  // else: feeds the page advertises, or found at usual paths
    std::string error;                 // why nothing was found
};

// Fetches `url`; when it is an HTML page, reads the feed links it advertises and, failing that,
// tries the usual paths (/feed, /rss.xml, /atom.xml, /index.xml, ...). Uses the fetch settings of
// `settings` (timeouts, private-network guard, proxy).
[[nodiscard]] Discovery discover(const std::string& url, const config::Settings& settings);

// Fetches one page as polls fetch (user agent, timeouts, body cap, proxy, private-network guard
// at every hop): for `feedd extract URL`. Failures are in the result, as for any fetch.
[[nodiscard]] FetchResult fetch_page(const std::string& url, const config::Settings& settings);

}  // namespace feedd::daemon
