#include <cstdio>
#include <iostream>

#include "cli/common.hpp"

namespace feedd::cli {

namespace {

int check_config(const Context& context) {
    const config::Config config = load_config(context);
    std::size_t enabled = 0;
    for (const auto& feed : config.feeds) enabled += feed.enabled ? 1 : 0;
    std::cout << config.path.string() << ": OK, " << config.feeds.size() << " feed(s)";
    if (enabled != config.feeds.size()) std::cout << " (" << enabled << " enabled)";
    std::cout << "\narchive: " << (context.db ? *context.db : config.settings.database).string() << '\n';
    for (const auto& warning : config.warnings) std::cout << "warning: " << warning << '\n';
    return 0;
}

}  // namespace

void add_feeds_commands(CLI::App& app, Context& context) {
    auto* check =
        app.add_subcommand("check-config", "Validate feeds.toml: every problem with its line and column");
    on_chosen(check, context, [&context] { return check_config(context); });

    for (auto [name, help] :
         {std::pair{"feeds", "List, add and remove feeds (not finished yet)"},
          std::pair{"import-opml", "Add the feeds of an OPML file to feeds.toml (not finished yet)"},
          std::pair{"export-opml", "Print the feed list as OPML 2.0 (not finished yet)"}}) {
        auto* sub = app.add_subcommand(name, help);
        on_chosen(sub, context, [name] {
            std::fprintf(stderr, "feedd %s: not finished yet\n", name);
            return 1;
        });
    }
}

}  // namespace feedd::cli
