#include "cli/common.hpp"

#include <fstream>
#include <iostream>

#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::cli {

std::filesystem::path config_path(const Context& context) {
    return config::find_config(context.config);
}

config::Config load_config(const Context& context) {
    return config::load_config(config_path(context));
}

store::Location database_location(const Context& context, const config::Config& config) {
    store::Location location{context.db ? *context.db : config.settings.database, {}};
    location.password = config::database_password(config.settings, location.path);
    return location;
}

store::Location database_location(const Context& context) {
    if (!context.db) return database_location(context, load_config(context));
    // An SQLite file needs no configuration; nor does a URI when there is none.
    if (!is_database_url(context.db->native())) return {*context.db, {}};
    std::filesystem::path config;
    try {
        config = config_path(context);
    } catch (const std::runtime_error&) {
        return {*context.db, {}};
    }
    return database_location(context, config::load_config(config));
}

std::string shown(std::string_view text) {
    return text::printable(url::redact_userinfo_in(text));
}

std::string message(std::string_view text) {
    return text::escape_for_log(url::redact_userinfo_in(text));
}

namespace {

// Whole blocks at a time: an istreambuf_iterator copy goes byte by byte, at a tenth of the
// parser's speed.
bool read_all(std::istream& in, std::string& out) {
    char block[1 << 16];
    while (in.read(block, sizeof block) || in.gcount() > 0)
        out.append(block, static_cast<std::size_t>(in.gcount()));
    return !in.bad();
}

}  // namespace

std::string read_input(const std::string& file) {
    std::string bytes;
    bool read = false;
    if (file == "-") {
        read = read_all(std::cin, bytes);
    } else {
        std::ifstream in(file, std::ios::binary);
        read = in && read_all(in, bytes);
    }
    if (!read) throw std::runtime_error("cannot read " + file);
    return bytes;
}

void on_chosen(CLI::App* sub, Context& context, std::function<int()> body) {
    sub->callback([&context, body = std::move(body)] { context.action = body; });
}

std::string json_output(const nlohmann::json& value, int indent) {
    return text::escape_for_json(value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string json_output(const nlohmann::ordered_json& value, int indent) {
    return text::escape_for_json(
        value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace feedd::cli
