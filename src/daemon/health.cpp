// `feedd status` and /healthz: the daemon's health, read from the archive only.
#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "feedd/daemon/daemon.hpp"
#include "feedd/fetch/fetch.hpp"
#include "feedd/schedule/schedule.hpp"
#include "feedd/store/store.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::daemon {
namespace {

// One line of a message: controls escaped, no URL credentials.
std::string message(std::string_view text) {
    return text::escape_for_log(url::redact_userinfo_in(text));
}

nlohmann::json date_or_null(const std::optional<TimePoint>& t) {
    return t ? nlohmann::json(format_utc(*t)) : nlohmann::json();
}

// The nodes sharing the archive: each should run the same feeds.toml, and a node that went silent
// should have nothing left that others wait for.
void assess_nodes(store::Archive& archive, TimePoint now, Health& health) {
    std::map<std::string, std::vector<std::string>> by_digest;  // live nodes only
    for (const auto& status : archive.nodes(now)) {
        NodeHealth node{status.id,           status.node.host,          status.node.pid,
                        status.node.version, status.node.config_digest, status.started,
                        status.heartbeat,    status.feeds_held,         status.silent(now)};
        const auto who =
            "node " + std::to_string(node.id) + " (" + node.host + ", pid " + std::to_string(node.pid) + ")";
        if (node.silent && status.leases > 0)
            health.node_problems.push_back(
                message(who + " stopped heartbeating at " + format_utc(node.heartbeat) + " still holding " +
                        std::to_string(status.leases) + " leases (other nodes take them once they run out)"));
        if (!node.silent) by_digest[node.config_digest].push_back(who);
        health.nodes.push_back(std::move(node));
    }
    if (by_digest.size() > 1) {
        const auto groups = text::join(by_digest, "; ", [](const auto& group) {
            return group.first.substr(0, 12) + ": " + text::join(group.second, ", ");
        });
        health.node_problems.push_back(message("nodes run different configurations: " + groups));
    }
}

void assess(store::Archive& archive, Duration threshold, TimePoint now, Health& health,
            std::optional<TimePoint>& latest_poll) {
    // Feeds that keep outrunning their polls: some of their items are lost for good.
    constexpr std::int64_t kKeepsGapping = 3;  // gaps in the last 30 days
    // Registered domains where several feeds are waiting out a 429: the daemon pauses the whole
    // domain then (schedule::HostGate), until the latest of their retries, each already capped.
    std::map<std::string, PausedHost> rate_limited;
    // No per-feed counts: a scrape or a status costs the number of feeds, not of entries.
    for (const auto& summary : archive.feed_summaries(store::SummaryDetail::state)) {
        if (!summary.configured) continue;
        ++health.feeds;
        const auto& state = summary.state;
        if (state.last_status == 429 && state.next_poll && *state.next_poll > now) {
            const auto& url = state.moved_to.empty() ? summary.url : state.moved_to;
            const auto domain = fetch::registered_domain(url::host(url));
            auto& paused = rate_limited[domain];
            paused.host = domain;
            paused.feeds.push_back(summary.name);
            paused.until = std::max(paused.until, *state.next_poll);
        }
        if (state.last_success && (!health.last_success || *state.last_success > *health.last_success))
            health.last_success = state.last_success;
        // The daemon notes an outage in the last_error of each feed that failed during it; the feed
        // polled last tells whether it still lasts (a poll after the outage clears the note).
        if (state.last_poll && (!latest_poll || *state.last_poll > *latest_poll)) {
            latest_poll = state.last_poll;
            health.offline_since = offline_since_in(state.last_error);
        }
        const bool failing_now = state.gone || state.consecutive_failures > 0;
        ++health.feeds_by_state[state.gone        ? "gone"
                                : failing_now     ? "failing"
                                : state.last_poll ? "ok"
                                                  : "new"];
        // The archive keeps no "failing since" for a feed that never worked: three failed polls
        // in a row stand for "long" there.
        const bool for_long = state.last_success ? now - *state.last_success > threshold
                                                 : threshold.count() == 0 || state.consecutive_failures >= 3;
        if (failing_now && for_long && state.last_poll)
            health.failing.push_back(message(summary.name + ": " + state.last_error));
        if (summary.recent_gaps >= kKeepsGapping)
            health.gapping.push_back(message(summary.name + ": " + std::to_string(summary.recent_gaps) +
                                             " gaps in 30 days, about " +
                                             std::to_string(summary.recent_gap_items) + " items lost"));
    }
    for (auto& [host, paused] : rate_limited) {
        if (paused.feeds.size() >= schedule::HostLimits{}.rate_limited_feeds)
            health.paused_hosts.push_back(std::move(paused));
    }
    health.articles = archive.article_count();
    health.archive_bytes = archive.stored_bytes();
    assess_nodes(archive, now, health);
}

}  // namespace

Health assess_health(const store::Location& database, Duration threshold, bool running,
                     store::Archive* archive) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    Health health;
    health.archive = store::shown_location(database.path.native());
    health.exists = archive || store::Archive::exists(database);
    health.running = running;
    std::optional<TimePoint> latest_poll;
    if (health.exists) {
        if (archive) {
            assess(*archive, threshold, now, health, latest_poll);
        } else {
            auto opened = store::Archive::open(database, store::OpenMode::read_only);
            assess(opened, threshold, now, health, latest_poll);
        }
    }
    if (!running) health.offline_since.reset();  // what a stopped daemon last saw is no news
    const bool sound = health.failing.empty() && health.gapping.empty() && health.node_problems.empty();
    health.exit_code = !running ? 2 : sound && !health.offline_since ? 0 : 1;
    health.word = !running               ? "not running"
                  : health.offline_since ? "offline"
                  : sound                ? "healthy"
                                         : "degraded";
    // What an article costs on disk, search indexes included: how people size a disk for years.
    health.bytes_per_article = health.articles > 0 ? health.archive_bytes / health.articles : 0;
    return health;
}

std::pair<int, std::string> running_health(const store::Location& database, store::Archive& archive) {
    // The daemon answers for itself: it runs (it holds the archive's lock).
    const auto health = assess_health(database, std::chrono::hours(24), /*running=*/true, &archive);
    return {health.exit_code == 0 ? 200 : 503, health_json(health)};
}

std::string health_json(const Health& health) {
    nlohmann::json report = {{"running", health.running}, {"archive", health.archive}};
    report["health"] = health.word;
    report["feeds"] = health.feeds;
    report["failing_feeds"] = health.failing;
    report["gapping_feeds"] = health.gapping;
    report["offline_since"] = health.offline_since ? nlohmann::json(*health.offline_since) : nlohmann::json();
    report["last_successful_poll"] = date_or_null(health.last_success);
    nlohmann::json paused_hosts = nlohmann::json::array();
    for (const auto& paused : health.paused_hosts)
        paused_hosts.push_back(
            {{"host", paused.host}, {"until", format_utc(paused.until)}, {"feeds", paused.feeds}});
    report["paused_hosts"] = paused_hosts;
    report["articles"] = health.articles;
    report["archive_bytes"] = health.archive_bytes;
    report["bytes_per_article"] = health.bytes_per_article;
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& node : health.nodes)
        nodes.push_back({{"id", node.id},
                         {"host", node.host},
                         {"pid", node.pid},
                         {"version", node.version},
                         {"config_digest", node.config_digest},
                         {"started", format_utc(node.started)},
                         {"heartbeat", format_utc(node.heartbeat)},
                         {"feeds_held", node.feeds_held},
                         {"silent", node.silent}});
    report["nodes"] = nodes;
    report["node_problems"] = health.node_problems;
    return text::escape_for_json(report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace feedd::daemon
