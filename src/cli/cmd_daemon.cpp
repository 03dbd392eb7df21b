#include <unistd.h>

#include <iostream>
#include <memory>
#include <vector>

#include "cli/common.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/store/store.hpp"
#include "feedd/text/text.hpp"

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

// `feedd status`: for people and monitors. Reads the archive only; "running" is the writer lock.
int print_status(const store::Location& database, Duration threshold, bool json) {
    // The writer's lock is held only on an archive that exists: no separate look for it (on
    // PostgreSQL each look is a connection).
    const bool running = store::Archive::is_locked(database);
    const auto health = daemon::assess_health(database, threshold, running);
    if (json) {
        std::cout << daemon::health_json(health) << '\n';
        return health.exit_code;
    }
    const auto last_success = health.last_success ? format_utc(*health.last_success) : std::string("never");
    std::cout << "feedd: " << health.word
              << (health.offline_since ? " since " + *health.offline_since : std::string())
              << (health.exists ? "" : " (no archive yet)") << '\n'
              << "archive: " << health.archive << ", " << health.articles << " articles, "
              << health.archive_bytes / (1024 * 1024) << " MiB (" << health.bytes_per_article
              << " bytes per article)\n"
              << "feeds: " << health.feeds << ", last successful poll " << last_success << '\n';
    for (const auto& line : health.failing) std::cout << "failing longer than threshold: " << line << '\n';
    for (const auto& line : health.gapping) std::cout << "losing items (polled too late): " << line << '\n';
    for (const auto& paused : health.paused_hosts) {
        std::cout << "paused host: "
                  << message(paused.host + " until " + format_utc(paused.until) + " (429 on " +
                             text::join(paused.feeds, ", ") + ")")
                  << '\n';
    }
    for (const auto& node : health.nodes)
        std::cout << "node " << node.id << ": " << message(node.host) << ", pid " << node.pid << ", feedd "
                  << message(node.version) << ", " << node.feeds_held << " feeds held, heartbeat "
                  << format_utc(node.heartbeat) << (node.silent ? " (silent)" : "") << ", config "
                  << node.config_digest.substr(0, 12) << '\n';
    for (const auto& problem : health.node_problems) std::cout << "nodes: " << problem << '\n';
    return health.exit_code;
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
        return print_status(database_location(context), *threshold, status_flags->format == "json");
    });
}

}  // namespace feedd::cli
