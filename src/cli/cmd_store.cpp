#include "cli/common.hpp"

namespace feedd::cli {

void add_store_commands(CLI::App& app, Context& context) {
    for (auto [name, help] : {std::pair{"query", "List archived articles, newest first (not finished yet)"},
                              std::pair{"show", "Show one article in full (not finished yet)"},
                              std::pair{"db", "Archive maintenance: backup, check, vacuum (not finished yet)"}}) {
        auto* sub = app.add_subcommand(name, help);
        on_chosen(sub, context, [name] {
            std::fprintf(stderr, "feedd %s: not finished yet\n", name);
            return 1;
        });
    }
}

}  // namespace feedd::cli
