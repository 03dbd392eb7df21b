#include <unistd.h>

#include <iostream>
#include <map>
#include <memory>
#include <vector>

#include "cli/common.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/fetch/fetch.hpp"
#include "feedd/schedule/schedule.hpp"
#include "feedd/store/store.hpp"
#include "feedd/url/url.hpp"

#include <nlohmann/json.hpp>

namespace feedd::cli {
namespace {

daemon::RunOptions run_options(const Context& context) {
    daemon::RunOptions options;
    options.config_path = config_path(context);
    options.database = context.db;
    options.log_level = context.log_level;
    return options;
}

void apply_global_log_level(const Context& context) {
    if (context.log_level.empty()) return;
    try {
        daemon::set_log_level(context.log_level);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
}

std::optional<std::string> date_or_null(const std::optional<TimePoint>& t) {
    if (!t) return std::nullopt;
    return format_utc(*t);
}

// `feedd status`: for people and monitors. Reads the archive only; "running" is the writer lock.
int print_status(const std::filesystem::path& database, Duration threshold, bool json) {
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const bool exists = store::Archive::exists(database);
    const bool running = exists && store::Archive::is_locked(database);
    nlohmann::json report = {{"running", running}, {"archive", store::shown_location(database.native())}};
    std::vector<std::string> failing;
    // Feeds that keep outrunning their polls: some of their items are lost for good.
    constexpr std::int64_t kKeepsGapping = 3;  // gaps in the last 30 days
    std::vector<std::string> gapping;
    std::optional<TimePoint> last_success;
    std::int64_t articles = 0, size = 0;
    std::size_t feeds = 0;
    // Registered domains where several feeds are waiting out a 429: the daemon pauses the whole
    // domain then (schedule::HostGate), until the latest of their retries, each already capped.
    struct Paused {
        std::vector<std::string> feeds;
        TimePoint until;
    };
    std::map<std::string, Paused> rate_limited;
    // The daemon notes an outage in the last_error of each feed that failed during it; the feed
    // polled last tells whether it still lasts (a poll after the outage clears the note).
    std::optional<TimePoint> latest_poll;
    std::optional<std::string> offline_since;
    if (exists) {
        auto archive = store::Archive::open(database, store::OpenMode::read_only);
        for (const auto& summary : archive.feed_summaries()) {
            if (!summary.configured) continue;
            ++feeds;
            const auto& state = summary.state;
            if (state.last_status == 429 && state.next_poll && *state.next_poll > now) {
                const auto& url = state.moved_to.empty() ? summary.url : state.moved_to;
                auto& paused = rate_limited[fetch::registered_domain(url::host(url))];
                paused.feeds.push_back(summary.name);
                paused.until = std::max(paused.until, *state.next_poll);
            }
            if (state.last_success && (!last_success || *state.last_success > *last_success))
                last_success = state.last_success;
            if (state.last_poll && (!latest_poll || *state.last_poll > *latest_poll)) {
                latest_poll = state.last_poll;
                offline_since = daemon::offline_since_in(state.last_error);
            }
            const bool failing_now = state.gone || state.consecutive_failures > 0;
            // The archive keeps no "failing since" for a feed that never worked: three failed polls
            // in a row stand for "long" there.
            const bool for_long = state.last_success
                                      ? now - *state.last_success > threshold
                                      : threshold.count() == 0 || state.consecutive_failures >= 3;
            if (failing_now && for_long && state.last_poll)
                failing.push_back(message(summary.name + ": " + state.last_error));
            if (summary.recent_gaps >= kKeepsGapping)
                gapping.push_back(message(summary.name + ": " + std::to_string(summary.recent_gaps) +
                                          " gaps in 30 days, about " +
                                          std::to_string(summary.recent_gap_items) + " items lost"));
        }
        articles = archive.article_count();
        for (const char* suffix : {"", "-wal"}) {
            std::error_code ignored;
            const auto bytes = std::filesystem::file_size(database.string() + suffix, ignored);
            if (!ignored) size += static_cast<std::int64_t>(bytes);
        }
    }
    if (!running) offline_since.reset();  // what a stopped daemon last saw is no news
    const bool sound = failing.empty() && gapping.empty();
    const int exit_code = !running ? 2 : sound && !offline_since ? 0 : 1;
    const char* health = !running        ? "not running"
                         : offline_since ? "offline"
                         : sound         ? "healthy"
                                         : "degraded";
    report["health"] = health;
    report["feeds"] = feeds;
    report["failing_feeds"] = failing;
    report["gapping_feeds"] = gapping;
    report["offline_since"] = offline_since ? nlohmann::json(*offline_since) : nlohmann::json();
    report["last_successful_poll"] =
        date_or_null(last_success) ? nlohmann::json(*date_or_null(last_success)) : nlohmann::json();
    nlohmann::json paused_hosts = nlohmann::json::array();
    std::vector<std::string> paused_lines;
    for (const auto& [host, paused] : rate_limited) {
        if (paused.feeds.size() < schedule::HostLimits{}.rate_limited_feeds) continue;
        paused_hosts.push_back(
            {{"host", host}, {"until", format_utc(paused.until)}, {"feeds", paused.feeds}});
        std::string names;
        for (const auto& name : paused.feeds) names += (names.empty() ? "" : ", ") + name;
        paused_lines.push_back(
            message(host + " until " + format_utc(paused.until) + " (429 on " + names + ")"));
    }
    report["paused_hosts"] = paused_hosts;
    report["articles"] = articles;
    report["archive_bytes"] = size;
    // What an article costs on disk, search indexes included: how people size a disk for years.
    const std::int64_t per_article = articles > 0 ? size / articles : 0;
    report["bytes_per_article"] = per_article;
    if (json) {
        std::cout << json_output(report) << '\n';
        return exit_code;
    }
    std::cout << "feedd: " << health << (offline_since ? " since " + *offline_since : std::string())
              << (exists ? "" : " (no archive yet)") << '\n'
              << "archive: " << store::shown_location(database.native()) << ", " << articles << " articles, "
              << size / (1024 * 1024) << " MiB (" << per_article << " bytes per article)\n"
              << "feeds: " << feeds << ", last successful poll "
              << date_or_null(last_success).value_or("never") << '\n';
    for (const auto& line : failing) std::cout << "failing longer than threshold: " << line << '\n';
    for (const auto& line : gapping) std::cout << "losing items (polled too late): " << line << '\n';
    for (const auto& line : paused_lines) std::cout << "paused host: " << line << '\n';
    return exit_code;
}

}  // namespace

void add_daemon_commands(CLI::App& app, Context& context) {
    auto* run = app.add_subcommand(
        "run", "Poll the configured feeds until SIGINT/SIGTERM (SIGHUP reloads feeds.toml)");
    on_chosen(run, context, [&context] {
        apply_global_log_level(context);
        return daemon::run(run_options(context));
    });

    struct PollFlags {
        bool once = false;
        bool force = false;
        std::vector<std::string> feeds;
    };
    auto flags = std::make_shared<PollFlags>();
    auto* poll = app.add_subcommand(
        "poll", "Poll the feeds that are due once, print a summary line per feed, and exit");
    poll->add_flag("--once", flags->once, "poll once and exit (the only mode; kept for scripts)");
    poll->add_flag("--force", flags->force, "poll every feed, due or not");
    poll->add_option("--feed", flags->feeds, "poll only this feed (repeatable)");
    on_chosen(poll, context, [&context, flags] {
        apply_global_log_level(context);
        auto options = run_options(context);
        options.once = true;
        options.force = flags->force;
        options.only_feeds = flags->feeds;
        options.progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO) ? false : isatty(STDERR_FILENO);
        // The summary goes to stdout; per-poll log lines would repeat it.
        if (context.log_level.empty()) daemon::set_log_level("warning");
        const auto reports = daemon::poll_once(options);
        int failed = 0;
        for (const auto& report : reports) {
            std::cout << message(daemon::format_report(report)) << '\n';
            if (report.status == daemon::PollStatus::failed) ++failed;
        }
        if (reports.empty()) std::cout << "nothing due (use --force to poll every feed)\n";
        return failed == 0 ? 0 : 1;
    });

    struct StatusFlags {
        std::string format = "table";
        std::string threshold = "1d";
    };
    auto status_flags = std::make_shared<StatusFlags>();
    auto* status = app.add_subcommand("status",
                                      "Report the daemon's health: exit 0 healthy, 1 degraded (feeds failing "
                                      "too long or losing items) or offline, 2 not running");
    status->add_option("--format", status_flags->format, "table or json")
        ->check(CLI::IsMember({"table", "json"}));
    status->add_option("--threshold", status_flags->threshold,
                       "a feed failing for longer than this degrades health");
    on_chosen(status, context, [&context, status_flags] {
        const auto threshold = config::parse_duration(status_flags->threshold);
        if (!threshold) throw UsageError("--threshold: not a duration: " + status_flags->threshold);
        return print_status(database_path(context), *threshold, status_flags->format == "json");
    });
}

}  // namespace feedd::cli
