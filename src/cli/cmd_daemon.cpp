#include <unistd.h>

#include <iostream>
#include <memory>

#include "cli/common.hpp"
#include "daemon/log.hpp"
#include "feedd/daemon/daemon.hpp"

namespace feedd::cli {
namespace {

daemon::RunOptions run_options(const Context& context) {
    daemon::RunOptions options;
    options.config_path = config_path(context);
    options.database = context.db;
    return options;
}

void apply_global_log_level(const Context& context) {
    if (context.log_level.empty()) return;
    try {
        daemon::Log::set_level(daemon::parse_log_level(context.log_level));
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
}

}  // namespace

void add_daemon_commands(CLI::App& app, Context& context) {
    auto* run = app.add_subcommand("run", "Poll the configured feeds until SIGINT/SIGTERM (SIGHUP reloads feeds.toml)");
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
    auto* poll = app.add_subcommand("poll", "Poll the feeds that are due once, print a summary line per feed, and exit");
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
        if (context.log_level.empty()) daemon::Log::set_level(daemon::LogLevel::warning);
        const auto reports = daemon::poll_once(options);
        int failed = 0;
        for (const auto& report : reports) {
            std::cout << daemon::escape_for_log(daemon::format_report(report)) << '\n';
            if (report.status == "failed") ++failed;
        }
        if (reports.empty()) std::cout << "nothing due (use --force to poll every feed)\n";
        return failed == 0 ? 0 : 1;
    });

    auto* status = app.add_subcommand("status", "Report the daemon's health (not finished yet)");
    on_chosen(status, context, [] {
        std::fputs("feedd status: not finished yet\n", stderr);
        return 1;
    });
}

}  // namespace feedd::cli
