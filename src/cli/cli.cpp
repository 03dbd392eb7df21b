#include "feedd/cli/cli.hpp"
#include <cstdio>
#include <iostream>

#include "cli/common.hpp"
#include "feedd/config/config.hpp"
#include "feedd/store/store.hpp"

namespace feedd::cli {

int run_cli(int argc, char** argv) {
    CLI::App app{"feedd: an RSS/Atom/JSON feed archiver daemon", "feedd"};
    app.set_version_flag("--version", "feedd " FEEDD_VERSION);
    app.require_subcommand(1);
    Context context;
    app.add_option("--config", context.config,
                   "feeds.toml to use (else $FEEDD_CONFIG, ./feeds.toml, /etc/feedd/feeds.toml)");
    app.add_option("--db", context.db, "archive to use instead of the config's `database`");
    app.add_option("--log-level", context.log_level, "error, warning, info or debug");

    add_daemon_commands(app, context);
    add_parse_commands(app, context);
    add_store_commands(app, context);
    add_feeds_commands(app, context);

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "feedd: " << message(e.what()) << " (see 'feedd --help')\n";
        return 2;
    }
    try {
        return context.action ? context.action() : 2;
    } catch (const UsageError& e) {
        std::cerr << "feedd: " << message(e.what()) << " (see 'feedd --help')\n";
        return 2;
    } catch (const config::ConfigError& e) {
        for (const auto& problem : e.problems()) std::cerr << message(problem) << '\n';
        std::cerr << "feedd: " << e.problems().size() << " problem(s) in the configuration\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "feedd: " << message(e.what()) << '\n';
        return 1;
    }
}

}  // namespace feedd::cli
