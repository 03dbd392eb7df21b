#include "cli/common.hpp"

namespace feedd::cli {

void add_parse_commands(CLI::App& app, Context& context) {
    auto* sub = app.add_subcommand("parse", "Parse feed files and print them as JSON (not finished yet)");
    on_chosen(sub, context, [] {
        std::fputs("feedd parse: not finished yet\n", stderr);
        return 1;
    });
}

}  // namespace feedd::cli
