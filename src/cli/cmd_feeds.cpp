#include "cli/common.hpp"

namespace feedd::cli {

void add_feeds_commands(CLI::App& app, Context& context) {
    for (auto [name, help] :
         {std::pair{"feeds", "List, add and remove feeds (not finished yet)"},
          std::pair{"import-opml", "Add the feeds of an OPML file to feeds.toml (not finished yet)"},
          std::pair{"export-opml", "Print the feed list as OPML 2.0 (not finished yet)"},
          std::pair{"check-config", "Validate feeds.toml (not finished yet)"}}) {
        auto* sub = app.add_subcommand(name, help);
        on_chosen(sub, context, [name] {
            std::fprintf(stderr, "feedd %s: not finished yet\n", name);
            return 1;
        });
    }
}

}  // namespace feedd::cli
