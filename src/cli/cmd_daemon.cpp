#include "cli/common.hpp"

namespace feedd::cli {

void add_daemon_commands(CLI::App& app, Context& context) {
    for (auto [name, help] : {std::pair{"run", "Poll the configured feeds until stopped (not finished yet)"},
                              std::pair{"poll", "Poll due feeds once and exit (not finished yet)"},
                              std::pair{"status", "Report the daemon's health (not finished yet)"}}) {
        auto* sub = app.add_subcommand(name, help);
        on_chosen(sub, context, [name] {
            std::fprintf(stderr, "feedd %s: not finished yet\n", name);
            return 1;
        });
    }
}

}  // namespace feedd::cli
