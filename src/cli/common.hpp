// What the subcommands share: global options, finding the config and the archive, errors.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "feedd/config/config.hpp"
#include "feedd/store/store.hpp"

namespace feedd::cli {

struct Context {
    std::optional<std::filesystem::path> config;  // --config
    std::optional<std::filesystem::path> db;      // --db
    std::string log_level;                        // --log-level
    std::function<int()> action;                  // set by the chosen subcommand
};

// A command-line mistake the user can fix: one line, exit status 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

std::filesystem::path config_path(const Context& context);
config::Config load_config(const Context& context);
// --db, else the config's `database`; for a PostgreSQL database, with the configuration's
// `database_password_…` (a --db URI without a configuration: libpq's own ways).
store::Location database_location(const Context& context);
// The same, with the configuration already loaded.
store::Location database_location(const Context& context, const config::Config& config);

// Text from the web, a file or the archive on its way to the terminal (docs/ARCHITECTURE.md,
// "Errors"): `shown` for a table cell or a listing (controls dropped, text::printable), `message`
// for one line of an error (controls escaped, text::escape_for_log); both without the credentials
// of any URL in it (url::redact_userinfo_in).
std::string shown(std::string_view text);
std::string message(std::string_view text);

// The bytes of FILE, or of standard input for "-". Throws std::runtime_error("cannot read FILE").
std::string read_input(const std::string& file);

// A JSON document as the commands print it (indent -1: one line): invalid UTF-8 replaced, and the
// characters a terminal acts on that JSON itself leaves raw (C1 controls, bidirectional
// overrides and isolates) written as \uXXXX escapes, so the data read back is the same.
std::string json_output(const nlohmann::json& value, int indent = -1);
std::string json_output(const nlohmann::ordered_json& value, int indent = -1);

// Registers `sub` to run `body` when chosen.
void on_chosen(CLI::App* sub, Context& context, std::function<int()> body);

// Subcommands, grouped by the module they front.
void add_parse_commands(CLI::App& app, Context& context);   // parse
void add_store_commands(CLI::App& app, Context& context);   // query, show, db
void add_feeds_commands(CLI::App& app, Context& context);   // feeds, import-opml, export-opml, check-config
void add_daemon_commands(CLI::App& app, Context& context);  // run, poll, status

}  // namespace feedd::cli
