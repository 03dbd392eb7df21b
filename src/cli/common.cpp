#include "cli/common.hpp"

#include <cstdio>

#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::cli {

std::filesystem::path config_path(const Context& context) {
    return config::find_config(context.config);
}

config::Config load_config(const Context& context) {
    return config::load_config(config_path(context));
}

std::filesystem::path database_path(const Context& context) {
    if (context.db) return *context.db;
    return load_config(context).settings.database;
}

std::string shown(std::string_view text) {
    return text::printable(url::redact_userinfo_in(text));
}

std::string message(std::string_view text) {
    return text::escape_for_log(url::redact_userinfo_in(text));
}

void on_chosen(CLI::App* sub, Context& context, std::function<int()> body) {
    sub->callback([&context, body = std::move(body)] { context.action = body; });
}

namespace {

std::string escape_terminal_controls(const std::string& dumped) {
    std::string out;
    out.reserve(dumped.size());
    char escape[16];
    for (std::size_t i = 0; i < dumped.size(); ++i) {
        const auto byte = static_cast<unsigned char>(dumped[i]);
        const auto next = i + 1 < dumped.size() ? static_cast<unsigned char>(dumped[i + 1]) : 0;
        const auto third = i + 2 < dumped.size() ? static_cast<unsigned char>(dumped[i + 2]) : 0;
        if (byte == 0xC2 && next >= 0x80 && next <= 0x9F) {  // U+0080..U+009F
            std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(next));
            out += escape;
            i += 1;
        } else if (byte == 0xE2 && ((next == 0x80 && third >= 0xAA && third <= 0xAE) ||
                                    (next == 0x81 && third >= 0xA6 && third <= 0xA9))) {
            const unsigned code = 0x2000u + ((next & 0x3Fu) << 6) + (third & 0x3Fu);
            std::snprintf(escape, sizeof escape, "\\u%04X", code);
            out += escape;
            i += 2;
        } else {
            out += dumped[i];
        }
    }
    return out;
}

}  // namespace

std::string json_output(const nlohmann::json& value, int indent) {
    return escape_terminal_controls(value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string json_output(const nlohmann::ordered_json& value, int indent) {
    return escape_terminal_controls(
        value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace feedd::cli
