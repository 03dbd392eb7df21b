// Reading and validating feeds.toml. Every problem is collected with its position, so that one
// run of `feedd check-config` shows all of them.
#include "feedd/config/config.hpp"
#include "feedd/model/location.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <toml++/toml.h>

#include "config/private.hpp"
#include "feedd/parse/parse.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::config {

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(problems.empty() ? "invalid configuration" : problems.front()),
      problems_(std::move(problems)) {}

namespace {

namespace fs = std::filesystem;

struct Problem {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
    std::string message;
};

// Values that are shown on terminals and written into feeds.toml by commands hold no character a
// terminal would act on (text::is_printable).
const std::string control_characters = "contains control characters or bidirectional overrides";
// Titles, categories and tags may hold tabs and line breaks (a multi-line TOML string): shown as
// spaces. Every other control is refused.
bool safe_text(const std::string& value) {
    return text::is_printable(text::collapse_space(value));
}

const std::vector<std::string> top_level_keys{"settings", "feed", "site", "http", "user"};
const std::vector<std::string> site_keys{"host", "content", "remove"};
const std::vector<std::string> http_keys{"listen",     "max_connections", "request_timeout",
                                         "max_header", "max_body",        "anonymous_read"};
const std::vector<std::string> user_keys{
    "name",       "password_file", "password_env",    "password_credential",
    "token_file", "token_env",     "token_credential"};
// clang-format off
const std::vector<std::string> settings_keys{
    "database",       "interval",           "min_interval",   "max_interval",
    "backoff_cap",    "concurrency",        "per_host",       "per_host_gap",
    "timeout",        "max_body",           "keep_days",      "allow_private_networks",
    "proxy",          "user_agent",         "log_level",      "on_new",
    "on_new_timeout", "shutdown_grace",     "backfill_pages", "backfill_bytes",
    "full_text",      "refetch_pages_after", "lease",
    "database_password_file", "database_password_env", "database_password_credential"};
// clang-format on
const std::vector<std::string> feed_keys{"name",       "url",           "title",        "category",
                                         "tags",       "enabled",       "interval",     "identity",
                                         "user_agent", "headers",       "ca_file",      "keep_days",
                                         "username",   "password_file", "password_env", "password_credential",
                                         "backfill",   "full_text"};

// Edit distance with transpositions, for "did you mean".
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    }
    return d[a.size()][b.size()];
}

std::string suggestion(std::string_view key, const std::vector<std::string>& known) {
    std::string best;
    std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
    for (const auto& candidate : known) {
        const std::size_t d = distance(key, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

bool contains(const std::vector<std::string>& list, std::string_view key) {
    return std::find(list.begin(), list.end(), key) != list.end();
}

fs::path resolve_relative(const fs::path& base_folder, const std::string& value) {
    fs::path p(value);
    if (p.is_relative()) p = base_folder / p;
    return p.lexically_normal();
}

// An XDG base directory: the variable when it holds an absolute path (the specification ignores a
// relative one), else $HOME/`fallback`; nothing without either.
std::optional<fs::path> xdg_dir(const char* variable, const char* fallback) {
    if (const char* value = std::getenv(variable); value && *value && fs::path(value).is_absolute())
        return fs::path(value).lexically_normal();
    if (const char* home = std::getenv("HOME"); home && *home && fs::path(home).is_absolute())
        return (fs::path(home) / fallback).lexically_normal();
    return std::nullopt;
}

// The archive when feeds.toml names none. A user's own config ($XDG_CONFIG_HOME/feedd/) keeps it
// in $XDG_DATA_HOME/feedd/, where per-user data belongs; any other config (./feeds.toml,
// /etc/feedd/feeds.toml, --config FILE) keeps it beside itself, as before, so `make run` and the
// system service (whose feeds.toml names /var/lib/feedd/feedd.db) are unchanged.
fs::path default_database(const fs::path& config_path) {
    if (is_user_config(config_path)) {
        if (const auto data = user_data_dir()) return *data / "feedd.db";
    }
    return "feedd.db";
}

const char* type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

// Walks one parsed document and records every problem with its position.
class Validator {
  public:
    Validator(const fs::path& path, bool after_syntax_errors)
        : folder_(path.parent_path()), after_syntax_errors_(after_syntax_errors) {}

    std::vector<Problem> problems;
    std::vector<std::string> warnings;

    void run(const toml::table& root, Config& config) {
        for (auto&& [key, node] : root) {
            if (key.str().starts_with(recovery_table_prefix)) continue;
            if (!contains(top_level_keys, key.str())) unknown_key(key, node, "", top_level_keys);
        }
        if (const auto* settings = root.get("settings")) {
            if (const auto* table = settings->as_table()) {
                read_settings(*table, config.settings);
            } else {
                add(*settings,
                    "`settings` must be a table ([settings]), not " + std::string(type_name(*settings)));
            }
        }
        // Not set: beside the config file, except for a user's own config (see default_database).
        if (config.settings.database.empty()) config.settings.database = default_database(config.path);
        if (!is_database_url(config.settings.database.native()))
            config.settings.database = resolve_relative(folder_, config.settings.database.string());

        each_table(root, "feed", [&](const toml::table& table) { read_feed(table, config); });
        check_feed_intervals(config.settings);
        name_feeds(config);

        each_table(root, "site", [&](const toml::table& table) { read_site(table, config); });
        if (const auto* http = root.get("http")) {
            if (const auto* table = http->as_table())
                read_http(*table, config.http);
            else
                add(*http, "`http` must be a table ([http]), not " + std::string(type_name(*http)));
        }
        each_table(root, "user", [&](const toml::table& table) { read_user(table, config); });
        if (!config.http.listen.empty() && config.users.empty())
            warnings.push_back("[http] listens on " + config.http.listen +
                               " but there is no [[user]]: every endpoint but /healthz answers 401");
    }

  private:
    fs::path folder_;
    bool after_syntax_errors_;
    // Per feed, in file order: whether the file names it, and where its name and URL are.
    std::vector<bool> feed_named_;
    std::vector<toml::source_position> name_positions_;
    std::vector<toml::source_position> url_positions_;
    std::vector<std::pair<const toml::node*, std::string>> deferred_interval_checks_;

    // [[name]] blocks: each table to `read`, anything else an error at its place.
    template <class Read>
    void each_table(const toml::table& root, const std::string& name, Read&& read) {
        const auto* node = root.get(name);
        if (!node) return;
        const auto* array = node->as_array();
        if (!array) {
            add(*node, "`" + name + "` must be written as [[" + name + "]] blocks (an array of tables)");
            return;
        }
        for (const auto& element : *array) {
            if (const auto* table = element.as_table())
                read(*table);
            else
                add(element,
                    "each " + name + " must be a table ([[" + name + "]]), not " + type_name(element));
        }
    }

    void add(const toml::source_position& at, std::string message) {
        problems.push_back({at.line, at.column, std::move(message)});
    }
    void add(const toml::node& node, std::string message) { add(node.source().begin, std::move(message)); }

    void unknown_key(const toml::key& key, const toml::node& node, std::string_view section,
                     const std::vector<std::string>& known) {
        std::string message = "unknown key `" + std::string(key.str()) + "`";
        if (!section.empty()) message += " in " + std::string(section);
        if (key.str() == "password" || key.str() == "database_password") {
            const std::string prefix = key.str() == "password" ? "" : "database_";
            message = "`" + prefix + "password` is never written in feeds.toml: use `" + prefix +
                      "password_file`, `" + prefix + "password_env` or `" + prefix +
                      "password_credential` (a systemd credential)";
        } else if (std::string guess = suggestion(key.str(), known); !guess.empty()) {
            message += "; did you mean `" + guess + "`?";
        } else if (section == "[[feed]]" && contains(settings_keys, key.str())) {
            message += "; it is a setting: put it under [settings]";
        } else if (section == "[settings]" && contains(feed_keys, key.str())) {
            message += "; it belongs to a [[feed]]";
        } else {
            message += " (known: " + text::join(known, ", ") + ")";
        }
        const auto& at = key.source().begin.line ? key.source().begin : node.source().begin;
        add(at, std::move(message));
    }

    std::optional<std::string> get_string(const toml::table& table, std::string_view key) {
        const auto* node = table.get(key);
        if (!node) return std::nullopt;
        if (const auto* value = node->as_string()) return value->get();
        add(*node, "`" + std::string(key) + "` must be a string, not " + type_name(*node));
        return std::nullopt;
    }

    // Why `value` cannot go into a request line or header, "" when it can. A line break would end
    // the line and start a header of the file's choosing; other control characters (tab aside,
    // which HTTP allows in values) are refused by servers or split by proxies.
    static std::string request_text_problem(std::string_view value) {
        if (value.find_first_of("\r\n") != std::string_view::npos) return "contains a line break";
        for (const char c : value) {
            const auto byte = static_cast<unsigned char>(c);
            if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
                char code[8];
                std::snprintf(code, sizeof code, "U+%04X", byte);
                return std::string("contains a control character (") + code + ")";
            }
        }
        return {};
    }

    // A string that becomes part of a request (user_agent, username, proxy): refused with its
    // position when it holds a control character.
    std::optional<std::string> get_request_string(const toml::table& table, std::string_view key) {
        auto value = get_string(table, key);
        if (!value) return std::nullopt;
        if (std::string why = request_text_problem(*value); !why.empty()) {
            add(*table.get(key),
                "`" + std::string(key) + "` " + why + "; it would be sent in a request header");
            return std::nullopt;
        }
        return value;
    }

    std::optional<bool> get_bool(const toml::table& table, std::string_view key) {
        const auto* node = table.get(key);
        if (!node) return std::nullopt;
        if (const auto* value = node->as_boolean()) return value->get();
        add(*node, "`" + std::string(key) + "` must be true or false, not " + type_name(*node));
        return std::nullopt;
    }

    std::optional<std::int64_t> get_int(const toml::table& table, std::string_view key, std::int64_t low,
                                        std::int64_t high) {
        const auto* node = table.get(key);
        if (!node) return std::nullopt;
        const auto* value = node->as_integer();
        if (!value) {
            add(*node, "`" + std::string(key) + "` must be an integer, not " + type_name(*node));
            return std::nullopt;
        }
        if (value->get() < low || value->get() > high) {
            add(*node, "`" + std::string(key) + "` is " + std::to_string(value->get()) +
                           "; it must be from " + std::to_string(low) + " to " + std::to_string(high));
            return std::nullopt;
        }
        return value->get();
    }

    // `word`: a value the key takes beside durations ("auto"), named in the errors.
    std::optional<Duration> get_duration(const toml::table& table, std::string_view key, Duration low,
                                         Duration high, std::string_view word = {}) {
        const auto* node = table.get(key);
        if (!node) return std::nullopt;
        const std::string or_word = word.empty() ? std::string() : " or \"" + std::string(word) + "\"";
        const auto* value = node->as_string();
        if (!value) {
            std::string message = "`" + std::string(key) + "` must be a duration string such as \"30s\", " +
                                  "\"15m\" or \"1h\"" + or_word;
            if (node->is_integer()) message += " (a bare number has no unit)";
            add(*node, message);
            return std::nullopt;
        }
        const auto duration = parse_duration(value->get());
        if (!duration) {
            add(*node, "`" + std::string(key) + "` = \"" + value->get() +
                           "\" is not a duration; use a number and a unit: ms, s, m, h, d (\"500ms\", "
                           "\"30m\", \"1h\")" +
                           or_word);
            return std::nullopt;
        }
        if (*duration < low || *duration > high) {
            add(*node, "`" + std::string(key) + "` = \"" + value->get() +
                           "\" is out of range; it must be from " + format_duration(low) + " to " +
                           format_duration(high));
            return std::nullopt;
        }
        return duration;
    }

    // `interval`: "auto" (true), a fixed duration (false, and `fixed` set), or absent or wrong
    // (nullopt; wrong is reported).
    std::optional<bool> get_interval(const toml::table& table, Duration& fixed) {
        using namespace std::chrono_literals;
        const auto* node = table.get("interval");
        if (!node) return std::nullopt;
        if (const auto* text = node->as_string(); text && text->get() == "auto") return true;
        auto duration = get_duration(table, "interval", 1s, 366 * 24h, "auto");
        if (!duration) return std::nullopt;
        fixed = *duration;
        return false;
    }

    // `full_text`: "off", "auto" or "always"; absent or wrong (reported) is nullopt.
    std::optional<FullText> get_full_text(const toml::table& table) {
        auto v = get_string(table, "full_text");
        if (!v) return std::nullopt;
        if (auto mode = full_text_from_string(*v)) return mode;
        add(*table.get("full_text"), "`full_text` = \"" + *v + "\"; use off, auto or always");
        return std::nullopt;
    }

    void read_settings(const toml::table& table, Settings& settings) {
        for (auto&& [key, node] : table) {
            if (!contains(settings_keys, key.str())) unknown_key(key, node, "[settings]", settings_keys);
        }
        using namespace std::chrono_literals;
        if (auto v = get_string(table, "database")) {
            if (v->empty())
                add(*table.get("database"), "`database` is empty; give the archive's path");
            else if (shown_location(*v) != *v)
                add(*table.get("database"),
                    "`database` carries a password, which is never written in feeds.toml: use "
                    "`database_password_file`, `database_password_env` or `database_password_credential` "
                    "(or libpq's PGPASSFILE, or peer authentication over the Unix socket)");
            else
                settings.database = *v;
        }
        // A PostgreSQL database's password, as a feed's (the URI carries none).
        if (auto passwords = read_secrets(table, "database_password", "[settings]", /*several=*/false);
            !passwords.empty())
            settings.database_password = passwords.front();
        if (auto automatic = get_interval(table, settings.interval)) settings.auto_interval = *automatic;
        if (auto v = get_duration(table, "min_interval", 1s, 366 * 24h)) settings.min_interval = *v;
        if (auto v = get_duration(table, "max_interval", 1s, 366 * 24h)) settings.max_interval = *v;
        if (auto v = get_duration(table, "backoff_cap", 1s, 366 * 24h)) settings.backoff_cap = *v;
        if (auto v = get_int(table, "concurrency", 1, 1000)) settings.concurrency = static_cast<int>(*v);
        if (auto v = get_int(table, "per_host", 1, 100)) settings.per_host = static_cast<int>(*v);
        if (auto v = get_duration(table, "per_host_gap", 0ms, 1h)) settings.per_host_gap = *v;
        if (auto v = get_duration(table, "timeout", 100ms, 1h)) settings.timeout = *v;
        if (const auto* node = table.get("max_body")) {
            std::optional<std::int64_t> size;
            if (const auto* text = node->as_string())
                size = parse_size(text->get());
            else if (const auto* number = node->as_integer())
                size = number->get();
            if (!size) {
                add(*node, "`max_body` must be a size such as \"16MiB\", \"512KiB\" or a number of bytes");
            } else if (*size < 1024 || *size > max_storable_body) {
                // The archive stores no larger entry (model.hpp); a larger body would be fetched
                // only to be refused.
                add(*node, "`max_body` must be from 1KiB to 256MiB (the largest entry the archive stores)");
            } else {
                settings.max_body = *size;
            }
        }
        if (auto v = get_int(table, "keep_days", 0, 365 * 1000)) settings.keep_days = static_cast<int>(*v);
        if (auto v = get_bool(table, "allow_private_networks")) settings.allow_private_networks = *v;
        if (auto v = get_request_string(table, "proxy")) {
            if (!v->empty() && v->find("://") == std::string::npos) {
                add(*table.get("proxy"),
                    "`proxy` must be a URL such as \"http://proxy:3128\" or \"socks5h://host:1080\"");
            } else {
                settings.proxy = *v;
            }
        }
        if (auto v = get_request_string(table, "user_agent")) settings.user_agent = *v;
        if (auto v = get_string(table, "log_level")) {
            std::string level = *v;
            if (level == "warn") level = "warning";
            if (level != "error" && level != "warning" && level != "info" && level != "debug") {
                add(*table.get("log_level"),
                    "`log_level` = \"" + *v + "\"; use error, warning, info or debug");
            } else {
                settings.log_level = level;
            }
        }
        if (auto v = get_string(table, "on_new")) settings.on_new = *v;
        if (auto v = get_duration(table, "on_new_timeout", 100ms, 24h)) settings.on_new_timeout = *v;
        if (auto v = get_duration(table, "shutdown_grace", 0ms, 1h)) settings.shutdown_grace = *v;
        // Below 2 s a heartbeat (a third of it) is a round trip a few hundred milliseconds apart.
        if (auto v = get_duration(table, "lease", 2s, 1h)) settings.lease = *v;
        if (auto v = get_int(table, "backfill_pages", 0, 10000))
            settings.backfill_pages = static_cast<int>(*v);
        if (const auto* node = table.get("backfill_bytes")) {
            std::optional<std::int64_t> size;
            if (const auto* text = node->as_string())
                size = parse_size(text->get());
            else if (const auto* number = node->as_integer())
                size = number->get();
            if (!size || *size < 1024 || *size > (std::int64_t{16} << 30))
                add(*node, "`backfill_bytes` must be a size from 1KiB to 16GiB, such as \"64MiB\"");
            else
                settings.backfill_bytes = *size;
        }
        if (auto v = get_full_text(table)) settings.full_text = *v;
        if (auto v = get_duration(table, "refetch_pages_after", 0ms, 3660 * 24h))
            settings.refetch_pages_after = *v;

        const auto at = [&](std::string_view key) {
            const auto* node = table.get(key);
            return node ? node->source().begin : table.source().begin;
        };
        if (settings.min_interval > settings.max_interval) {
            add(at("min_interval"), "`min_interval` (" + format_duration(settings.min_interval) +
                                        ") is longer than `max_interval` (" +
                                        format_duration(settings.max_interval) + ")");
        } else if (settings.interval < settings.min_interval || settings.interval > settings.max_interval) {
            add(at("interval"), "`interval` (" + format_duration(settings.interval) +
                                    ") is outside min_interval..max_interval (" +
                                    format_duration(settings.min_interval) + ".." +
                                    format_duration(settings.max_interval) + ")");
        }
    }

    void check_feed_intervals(const Settings& settings) {
        if (settings.min_interval > settings.max_interval) return;  // already reported
        for (const auto& [node, label] : deferred_interval_checks_) check_interval(*node, settings, label);
    }

    void check_interval(const toml::node& node, const Settings& settings, const std::string& label) {
        const auto duration = parse_duration(node.value_or<std::string_view>(""));
        if (!duration) return;
        if (*duration < settings.min_interval || *duration > settings.max_interval) {
            add(node, label + " (" + format_duration(*duration) +
                          ") is outside min_interval..max_interval (" +
                          format_duration(settings.min_interval) + ".." +
                          format_duration(settings.max_interval) + ")");
        }
    }

    // [[site]]: host = "example.com", content = "//article", remove = ["//aside"]. Each XPath is
    // compiled here, so that a typo is a config error and not a silent fallback on every page.
    void read_site(const toml::table& table, Config& config) {
        for (auto&& [key, node] : table)
            if (!contains(site_keys, key.str())) unknown_key(key, node, "[[site]]", site_keys);
        SiteRule rule;
        if (auto host = get_string(table, "host")) {
            rule.host = text::to_lower(text::trim(*host));
            if (rule.host.empty() || rule.host.find_first_of("/: \t") != std::string::npos)
                add(*table.get("host"),
                    "`host` must be a host name such as \"example.com\" (no scheme, port or path)");
        } else if (!table.get("host")) {
            add(table, "a [[site]] needs a `host`");
        }
        auto check_xpath = [&](const toml::node& node, const std::string& expression, std::string_view key) {
            if (const auto why = parse::xpath_error(expression); !why.empty())
                add(node, "`" + std::string(key) + "` is no XPath expression: " + why);
        };
        if (auto content = get_string(table, "content")) {
            rule.content = *content;
            check_xpath(*table.get("content"), rule.content, "content");
        }
        if (const auto* node = table.get("remove")) {
            if (const auto* array = node->as_array()) {
                for (const auto& item : *array) {
                    if (const auto* expression = item.as_string()) {
                        check_xpath(item, expression->get(), "remove");
                        rule.remove.push_back(expression->get());
                    } else {
                        add(item, "`remove` holds XPath strings, not " + std::string(type_name(item)));
                    }
                }
            } else {
                add(*node, "`remove` must be a list of XPath strings");
            }
        }
        if (!table.get("content") && !table.get("remove") && table.get("host"))
            add(table, "a [[site]] needs `content` or `remove`");
        for (const auto& other : config.sites)
            if (!rule.host.empty() && other.host == rule.host)
                add(table, "a second [[site]] for " + rule.host + " (one rule per host)");
        config.sites.push_back(std::move(rule));
    }

    void read_feed(const toml::table& table, Config& config) {
        using namespace std::chrono_literals;
        for (auto&& [key, node] : table) {
            if (!contains(feed_keys, key.str())) unknown_key(key, node, "[[feed]]", feed_keys);
        }
        FeedSource feed;
        bool named = false;
        toml::source_position name_at = table.source().begin;
        if (auto v = get_string(table, "name")) {
            name_at = table.get("name")->source().begin;
            if (std::string why = check_name(*v); !why.empty()) {
                add(name_at, "feed name \"" + *v + "\" " + why);
            } else {
                feed.name = *v;
                named = true;
            }
        }
        toml::source_position url_at = table.source().begin;
        if (auto v = get_string(table, "url")) {
            url_at = table.get("url")->source().begin;
            if (std::string why = check_feed_url(*v); !why.empty())
                add(url_at, "`url` \"" + url::redact_userinfo(*v) + "\": " + why);
            feed.url = *v;
        } else if (!table.get("url") && !after_syntax_errors_) {
            add(table.source().begin, "this [[feed]] has no `url`");
        }
        if (auto v = get_string(table, "title")) {
            if (!safe_text(*v)) add(*table.get("title"), "`title` " + control_characters);
            feed.title = *v;
        }
        if (auto v = get_string(table, "category")) {
            if (!safe_text(*v)) add(*table.get("category"), "`category` " + control_characters);
            feed.category = normalize_category(*v);
            if (feed.category.empty() && !v->empty())
                add(*table.get("category"), "`category` has no folder name");
            const auto levels =
                static_cast<std::size_t>(std::count(feed.category.begin(), feed.category.end(), '/')) + 1;
            if (!feed.category.empty() && levels > max_folder_depth) {
                add(*table.get("category"), "`category` has " + std::to_string(levels) +
                                                " folder levels; at most " +
                                                std::to_string(max_folder_depth));
                feed.category.clear();
            }
        }
        if (const auto* node = table.get("tags")) {
            if (const auto* array = node->as_array()) {
                for (const auto& tag : *array) {
                    if (const auto* text = tag.as_string(); text && !text->get().empty()) {
                        if (!safe_text(text->get())) add(tag, "a tag " + control_characters);
                        if (std::find(feed.tags.begin(), feed.tags.end(), text->get()) == feed.tags.end())
                            feed.tags.push_back(text->get());
                    } else {
                        add(tag, "each tag must be a non-empty string");
                    }
                }
            } else if (const auto* text = node->as_string()) {
                if (!safe_text(text->get())) add(*node, "a tag " + control_characters);
                feed.tags.push_back(text->get());  // one tag written without brackets
            } else {
                add(*node, "`tags` must be a list of strings, such as [\"politics\", \"asia\"]");
            }
        }
        if (auto v = get_bool(table, "enabled")) feed.enabled = *v;
        Duration fixed{};
        if (auto automatic = get_interval(table, fixed)) {
            if (*automatic) {
                feed.auto_interval = true;
            } else {
                feed.interval = fixed;
                deferred_interval_checks_.emplace_back(table.get("interval"), "`interval`");
            }
        }
        if (auto v = get_string(table, "identity")) {
            if (auto rule = identity_rule_from_string(*v))
                feed.identity = *rule;
            else
                add(*table.get("identity"), "`identity` = \"" + *v + "\"; use auto, guid, link or content");
        }
        if (auto v = get_request_string(table, "user_agent")) feed.user_agent = *v;
        if (const auto* node = table.get("headers")) read_headers(*node, feed);
        if (auto v = get_string(table, "ca_file")) {
            feed.ca_file = resolve_relative(folder_, *v).string();
            std::error_code error;
            if (!fs::exists(feed.ca_file, error))
                warnings.push_back("feed \"" + display_name(feed) + "\": ca_file " + feed.ca_file +
                                   " does not exist");
        }
        if (auto v = get_int(table, "keep_days", 0, 365 * 1000)) feed.keep_days = static_cast<int>(*v);
        if (auto v = get_string(table, "backfill")) {
            if (auto mode = backfill_mode_from_string(*v))
                feed.backfill = *mode;
            else
                add(*table.get("backfill"), "`backfill` = \"" + *v + "\"; use links, paged or off");
        }
        if (auto v = get_full_text(table)) feed.full_text = *v;
        if (auto v = get_request_string(table, "username")) feed.username = *v;
        read_password(table, feed);

        config.feeds.push_back(std::move(feed));
        feed_named_.push_back(named);
        name_positions_.push_back(name_at);
        url_positions_.push_back(url_at);
    }

    // "HOST:PORT" with an IP address (IPv6 in brackets), or an absolute unix socket path.
    static std::string check_listen(const std::string& listen) {
        if (listen.starts_with('/')) {
            // sockaddr_un holds 108 bytes with the terminating zero.
            if (listen.size() > 107) return "is a unix socket path longer than 107 bytes";
            return {};
        }
        const auto colon = listen.rfind(':');
        if (colon == std::string::npos || colon == 0)
            return "must be an address and a port such as \"127.0.0.1:8080\" or \"[::1]:8080\", or an "
                   "absolute unix socket path";
        std::string host = listen.substr(0, colon);
        const std::string port = listen.substr(colon + 1);
        const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
        if (bracketed) host = host.substr(1, host.size() - 2);
        unsigned char address[sizeof(in6_addr)];
        const bool ip = bracketed ? inet_pton(AF_INET6, host.c_str(), address) == 1
                                  : inet_pton(AF_INET, host.c_str(), address) == 1;
        if (!ip)
            return "must start with an IP address (\"127.0.0.1\", \"[::1]\"), not \"" + host +
                   "\"; a host name would be resolved behind your back";
        const bool digits =
            !port.empty() && port.size() <= 5 &&
            std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!digits || std::stoi(port) > 65535)
            return "has port \"" + port + "\"; it must be from 0 (any free port) to 65535";
        return {};
    }

    void read_http(const toml::table& table, Http& http) {
        using namespace std::chrono_literals;
        for (auto&& [key, node] : table) {
            if (!contains(http_keys, key.str())) unknown_key(key, node, "[http]", http_keys);
        }
        if (auto v = get_string(table, "listen")) {
            if (std::string why = check_listen(*v); !why.empty())
                add(*table.get("listen"), "`listen` \"" + *v + "\" " + why);
            else
                http.listen = *v;
        }
        if (auto v = get_int(table, "max_connections", 1, 100000))
            http.max_connections = static_cast<int>(*v);
        if (auto v = get_duration(table, "request_timeout", 100ms, 1h)) http.request_timeout = *v;
        if (auto v = get_bool(table, "anonymous_read")) http.anonymous_read = *v;
        for (const auto& [key, low, high, target] :
             {std::tuple{"max_header", std::int64_t{1024}, std::int64_t{1} << 20, &http.max_header},
              std::tuple{"max_body", std::int64_t{1024}, std::int64_t{64} << 20, &http.max_body}}) {
            const auto* node = table.get(key);
            if (!node) continue;
            std::optional<std::int64_t> size;
            if (const auto* text = node->as_string())
                size = parse_size(text->get());
            else if (const auto* number = node->as_integer())
                size = number->get();
            if (!size || *size < low || *size > high)
                add(*node, "`" + std::string(key) + "` must be a size from " + std::to_string(low / 1024) +
                               "KiB to " + std::to_string(high >> 20) + "MiB, such as \"64KiB\"");
            else
                *target = *size;
        }
    }

    void read_user(const toml::table& table, Config& config) {
        for (auto&& [key, node] : table) {
            if (!contains(user_keys, key.str())) unknown_key(key, node, "[[user]]", user_keys);
        }
        User user;
        if (auto v = get_string(table, "name")) {
            const auto* node = table.get("name");
            if (std::string why = check_name(*v); !why.empty()) {
                add(*node, "user name \"" + *v + "\" " + why);
            } else if (v->find(':') != std::string::npos) {
                add(*node, "user name \"" + *v + "\" contains ':' (basic authentication splits there)");
            } else if (std::any_of(config.users.begin(), config.users.end(),
                                   [&](const User& other) { return other.name == *v; })) {
                add(*node, "duplicate user name \"" + *v + "\"");
            } else {
                user.name = *v;
            }
        } else if (!table.get("name") && !after_syntax_errors_) {
            add(table.source().begin, "this [[user]] has no `name`");
        }
        const std::string label = user.name.empty() ? std::string("[[user]]") : "user \"" + user.name + "\"";
        auto passwords = read_secrets(table, "password", label, /*several=*/false);
        if (!passwords.empty()) user.password = passwords.front();
        user.tokens = read_secrets(table, "token", label, /*several=*/true);
        if (user.password.kind == SecretSource::Kind::none && user.tokens.empty() && !user.name.empty())
            add(table.source().begin, label +
                                          " has neither a password nor a token: give `password_file`, "
                                          "`password_env`, `password_credential` or a `token_…` key");
        config.users.push_back(std::move(user));
    }

    // `<prefix>_file`, `<prefix>_env`, `<prefix>_credential`: a string each, or with `several` a
    // list of strings too; at most one source in all without `several`.
    std::vector<SecretSource> read_secrets(const toml::table& table, const std::string& prefix,
                                           const std::string& label, bool several) {
        std::vector<SecretSource> sources;
        const toml::node* first = nullptr;
        for (const auto& [suffix, kind] :
             {std::pair{"_file", SecretSource::Kind::file}, std::pair{"_env", SecretSource::Kind::env},
              std::pair{"_credential", SecretSource::Kind::credential}}) {
            const std::string key = prefix + suffix;
            const auto* node = table.get(key);
            if (!node) continue;
            std::vector<const toml::node*> values;
            if (const auto* array = node->as_array(); array && several) {
                for (const auto& element : *array) values.push_back(&element);
            } else {
                values.push_back(node);
            }
            for (const auto* value_node : values) {
                const auto* text = value_node->as_string();
                if (!text) {
                    add(*value_node, "`" + key + "` must be a string" +
                                         (several ? " or a list of strings" : "") + ", not " +
                                         type_name(*value_node));
                    continue;
                }
                const std::string& value = text->get();
                if (value.empty()) {
                    add(*value_node, "`" + key + "` is empty");
                    continue;
                }
                if (!first) first = value_node;
                SecretSource source{kind, value};
                if (kind == SecretSource::Kind::file) {
                    source.reference = resolve_relative(folder_, value).string();
                    check_secret_file(source.reference, label, key);
                } else if (kind == SecretSource::Kind::credential && value.find('/') != std::string::npos) {
                    add(*value_node,
                        "`" + key + "` is a credential name (LoadCredential=NAME:...), not a path");
                }
                sources.push_back(std::move(source));
            }
        }
        if (!several && sources.size() > 1) {
            add(*first, "give only one of `" + prefix + "_file`, `" + prefix + "_env` and `" + prefix +
                            "_credential`");
            sources.resize(1);
        }
        return sources;
    }

    static std::string display_name(const FeedSource& feed) {
        return feed.name.empty() ? feed.url : feed.name;
    }

    static std::string check_name(const std::string& name) {
        if (name.empty()) return "is empty";
        if (name.size() > 200) return "is longer than 200 bytes";
        if (!text::is_printable(name)) return control_characters;
        if (name.front() == ' ' || name.back() == ' ') return "starts or ends with a space";
        if (name.front() == '-') return "starts with '-' (it would read as an option on the command line)";
        return {};
    }

    static std::string normalize_category(const std::string& category) {
        std::string out;
        std::stringstream parts(category);
        std::string part;
        while (std::getline(parts, part, '/')) {
            const auto first = part.find_first_not_of(" \t");
            if (first == std::string::npos) continue;
            part = part.substr(first, part.find_last_not_of(" \t") - first + 1);
            out += (out.empty() ? "" : "/") + part;
        }
        return out;
    }

    void read_headers(const toml::node& node, FeedSource& feed) {
        const auto* table = node.as_table();
        if (!table) {
            add(node, "`headers` must be a table, such as headers = { \"Accept-Language\" = \"en\" }");
            return;
        }
        for (auto&& [key, value] : *table) {
            const std::string name(key.str());
            const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) ||
                       std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
            });
            const auto& at = key.source().begin.line ? key.source().begin : value.source().begin;
            if (!token) {
                add(at, "header name \"" + name + "\" is not a valid HTTP header name");
                continue;
            }
            const auto* text = value.as_string();
            if (!text) {
                add(value, "header `" + name + "` must be a string, not " + type_name(value));
                continue;
            }
            if (std::string why = request_text_problem(text->get()); !why.empty()) {
                add(value, "header `" + name + "` " + why);
                continue;
            }
            feed.headers.push_back({name, text->get()});
        }
    }

    void read_password(const toml::table& table, FeedSource& feed) {
        const auto passwords = read_secrets(table, "password", "feed \"" + display_name(feed) + "\"",
                                            /*several=*/false);
        if (passwords.empty()) return;
        feed.password = passwords.front();
        if (feed.username.empty()) {
            for (const char* key : {"password_file", "password_env", "password_credential"}) {
                if (const auto* node = table.get(key)) {
                    add(*node, "a password needs a `username` (HTTP basic authentication)");
                    break;
                }
            }
        }
    }

    // `owner`: "feed \"NAME\"" or "user \"NAME\""; `key`: password_file, token_file.
    void check_secret_file(const std::string& path, const std::string& owner, const std::string& key) {
        struct stat info {};
        if (::stat(path.c_str(), &info) != 0) {
            warnings.push_back(owner + ": " + key + " " + path + " cannot be read: " + std::strerror(errno));
            return;
        }
        if (info.st_mode & S_IROTH) {
            const std::string what = key == "token_file" ? "token file " : "password file ";
            warnings.push_back(what + path + " is readable by other users; chmod o-r " + path);
        }
    }

    // Derives missing names and reports duplicates, once all feeds are read.
    void name_feeds(Config& config) {
        std::vector<std::string> taken;
        for (std::size_t i = 0; i < config.feeds.size(); ++i) {
            if (feed_named_[i]) taken.push_back(config.feeds[i].name);
        }
        for (std::size_t i = 0; i < config.feeds.size(); ++i) {
            if (feed_named_[i] || config.feeds[i].url.empty()) continue;
            config.feeds[i].name = derive_feed_name(config.feeds[i].url, taken);
            taken.push_back(config.feeds[i].name);
        }
        std::map<std::string, std::size_t> names;
        std::map<std::string, std::size_t> urls;
        for (std::size_t i = 0; i < config.feeds.size(); ++i) {
            const auto& feed = config.feeds[i];
            if (!feed.name.empty()) {
                auto [it, fresh] = names.emplace(feed.name, i);
                if (!fresh) {
                    add(name_positions_[i], "duplicate feed name \"" + feed.name + "\" (first at line " +
                                                std::to_string(name_positions_[it->second].line) + ")");
                }
            }
            if (!feed.url.empty() && check_feed_url(feed.url).empty()) {
                auto [it, fresh] = urls.emplace(normalize_url(feed.url), i);
                if (!fresh) {
                    const auto& other = config.feeds[it->second];
                    std::string message = "duplicate feed URL " + feed.url;
                    if (other.url != feed.url) message += " (same as " + other.url + ")";
                    message += ": already feed \"" + other.name + "\" at line " +
                               std::to_string(url_positions_[it->second].line);
                    add(url_positions_[i], message);
                }
            }
        }
    }
};

std::vector<std::string> format_problems(const fs::path& path, std::vector<Problem> problems) {
    std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    std::vector<std::string> out;
    for (const auto& p : problems) {
        out.push_back(path.string() + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": " +
                      p.message);
    }
    return out;
}

// toml++ stops at the first syntax error. To report the others too, the offending line is blanked
// (a header line becomes a placeholder table, so that the keys below it stay where they were) and
// the text is parsed again.
struct Parsed {
    std::optional<toml::table> table;
    std::vector<Problem> syntax_errors;
};

// toml++ bounds nested arrays and inline tables (256 levels) but walks dotted keys and table
// headers recursively: `[a.a.a…]` with 100 000 parts overflows the stack. This scan finds a key
// of more than max_key_parts parts before toml++ sees the file. It is no TOML parser: it only
// skips strings and comments so that dots inside them do not count, and counts the dots between
// two of = [ ] { } , or a line break (a float or a time has one).
std::optional<Problem> too_deep_key(std::string_view text) {
    constexpr std::size_t max_key_parts = 128;
    enum class State { normal, comment, basic, literal, multiline_basic, multiline_literal };
    State state = State::normal;
    bool escaped = false;
    std::size_t dots = 0;
    std::uint32_t line = 1, column = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            ++line;
            column = 0;
        } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
            ++column;
        }
        const std::string_view rest = text.substr(i);
        switch (state) {
            case State::normal:
                if (c == '#') {
                    state = State::comment;
                } else if (rest.starts_with(R"(""")")) {
                    state = State::multiline_basic;
                    i += 2, column += 2;
                } else if (rest.starts_with("'''")) {
                    state = State::multiline_literal;
                    i += 2, column += 2;
                } else if (c == '"') {
                    state = State::basic;
                } else if (c == '\'') {
                    state = State::literal;
                } else if (c == '.') {
                    if (++dots >= max_key_parts)
                        return Problem{line, column,
                                       "TOML syntax error: a key of more than " +
                                           std::to_string(max_key_parts) +
                                           " dotted parts (feedd reads keys of at most 2)"};
                } else if (std::string_view("=[]{},\n").find(c) != std::string_view::npos) {
                    dots = 0;
                }
                break;
            case State::comment:
                if (c == '\n') state = State::normal, dots = 0;
                break;
            case State::basic:
            case State::multiline_basic:
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (state == State::basic && (c == '"' || c == '\n')) {
                    state = State::normal;
                } else if (state == State::multiline_basic && rest.starts_with(R"(""")")) {
                    state = State::normal;
                    i += 2, column += 2;
                }
                break;
            case State::literal:
                if (c == '\'' || c == '\n') state = State::normal;
                break;
            case State::multiline_literal:
                if (rest.starts_with("'''")) {
                    state = State::normal;
                    i += 2, column += 2;
                }
                break;
        }
    }
    return std::nullopt;
}

Parsed parse_recovering(std::string_view text, const fs::path& path) {
    Parsed result;
    if (auto problem = too_deep_key(text)) {
        result.syntax_errors.push_back(std::move(*problem));
        return result;
    }
    std::string work(text);
    std::set<std::uint32_t> blanked;
    constexpr int max_errors = 50;
    for (int round = 0; round < max_errors; ++round) {
        try {
            result.table = toml::parse(std::string_view{work}, std::string_view{path.string()});
            return result;
        } catch (const toml::parse_error& error) {
            const auto at = error.source().begin;
            std::string description(error.description());
            // toml++ words its messages "Error while parsing <what>: <why>".
            constexpr std::string_view prefix = "Error while parsing ";
            if (description.starts_with(prefix)) {
                const auto colon = description.find(": ");
                if (colon != std::string::npos) {
                    description = "TOML syntax error in " +
                                  description.substr(prefix.size(), colon - prefix.size()) + ": " +
                                  description.substr(colon + 2);
                }
            } else {
                description = "TOML syntax error: " + description;
            }
            if (at.line == 0 || blanked.contains(at.line)) {
                result.syntax_errors.push_back({at.line, at.column, description});
                return result;
            }
            blanked.insert(at.line);
            std::size_t start = 0;
            for (std::uint32_t line = 1; line < at.line && start != std::string::npos; ++line) {
                start = work.find('\n', start);
                if (start != std::string::npos) ++start;
            }
            if (start == std::string::npos || start >= work.size()) {
                result.syntax_errors.push_back({at.line, at.column, description});
                return result;
            }
            std::size_t end = work.find('\n', start);
            if (end == std::string::npos) end = work.size();
            const std::string_view line_text = std::string_view(work).substr(start, end - start);
            // toml++ reports a string left open as a line break it may not contain.
            const std::string_view content =
                line_text.ends_with('\r') ? line_text.substr(0, line_text.size() - 1) : line_text;
            const auto code_points =
                static_cast<std::uint32_t>(std::count_if(content.begin(), content.end(), [](char c) {
                    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
                }));
            // Then the offending character is the line break just past the line's text.
            if (at.column > code_points && description.find("control characters") != std::string::npos) {
                description = "TOML syntax error: a string is not closed (its closing quote is missing)";
            }
            result.syntax_errors.push_back({at.line, at.column, description});
            const auto first = line_text.find_first_not_of(" \t");
            std::string replacement;
            if (first != std::string_view::npos && line_text[first] == '[') {
                replacement = "[" + std::string(recovery_table_prefix) + std::to_string(at.line) + "]";
            }
            work.replace(start, end - start, replacement);
        }
    }
    return result;
}

// A feeds.toml that others can read is the norm in /etc; it only matters when the file holds
// something private. One that others can write lets them choose what feedd runs (on_new).
void check_config_file_mode(Config& config) {
    struct stat info {};
    if (::stat(config.path.c_str(), &info) != 0) return;
    const std::string file = config.path.string();
    if (info.st_mode & (S_IWOTH | S_IWGRP)) {
        config.warnings.insert(config.warnings.begin(),
                               file +
                                   " is writable by other users, who could change what feedd runs (on_new); "
                                   "chmod go-w " +
                                   file);
    }
    if (!(info.st_mode & S_IROTH)) return;
    const bool holds_private =
        config.settings.proxy.find('@') != std::string::npos ||
        std::any_of(config.feeds.begin(), config.feeds.end(),
                    [](const FeedSource& feed) { return !feed.headers.empty() || !feed.username.empty(); });
    if (holds_private) {
        config.warnings.push_back(file +
                                  " is readable by other users and holds HTTP headers, user names or proxy "
                                  "credentials; chmod o-r " +
                                  file);
    } else {
        config.notes.push_back(file +
                               " is readable by other users (it holds no headers or credentials; chmod o-r " +
                               file + " to hide the feed list)");
    }
}

}  // namespace

Config parse_config(std::string_view text, const std::filesystem::path& path) {
    Config config;
    config.path = path.empty() ? fs::path("feeds.toml") : fs::absolute(path).lexically_normal();
    Parsed parsed = parse_recovering(text, config.path);
    std::vector<Problem> problems = std::move(parsed.syntax_errors);
    const bool syntax_ok = problems.empty();
    if (parsed.table) {
        Validator validator(config.path, !syntax_ok);
        validator.run(*parsed.table, config);
        problems.insert(problems.end(), validator.problems.begin(), validator.problems.end());
        config.warnings = std::move(validator.warnings);
    }
    if (!problems.empty())
        throw ConfigError(format_problems(path.empty() ? config.path : path, std::move(problems)));
    return config;
}

Config load_config(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::error_code error;
        if (!fs::exists(path, error))
            throw std::runtime_error("configuration " + path.string() + " does not exist");
        throw std::runtime_error("cannot read configuration " + path.string() + ": " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw std::runtime_error("cannot read configuration " + path.string());
    Config config = parse_config(text.str(), path);
    check_config_file_mode(config);
    return config;
}

std::optional<std::filesystem::path> user_config_file() {
    auto dir = xdg_dir("XDG_CONFIG_HOME", ".config");
    if (!dir) return std::nullopt;
    return *dir / "feedd" / "feeds.toml";
}

bool is_user_config(const fs::path& config_path) {
    const auto user = user_config_file();
    if (!user) return false;
    const auto folder = config_path.lexically_normal().parent_path();
    if (folder == user->parent_path()) return true;
    std::error_code ignored;  // a folder that does not exist is not the user's
    return fs::equivalent(folder, user->parent_path(), ignored);
}

std::optional<std::filesystem::path> user_data_dir() {
    auto dir = xdg_dir("XDG_DATA_HOME", ".local/share");
    if (!dir) return std::nullopt;
    return *dir / "feedd";
}

std::filesystem::path find_config(const std::optional<std::filesystem::path>& flag) {
    std::error_code error;
    if (flag) {
        if (!fs::exists(*flag, error))
            throw std::runtime_error("configuration " + flag->string() + " (--config) does not exist");
        return fs::absolute(*flag).lexically_normal();
    }
    if (const char* variable = std::getenv("FEEDD_CONFIG"); variable && *variable) {
        if (!fs::exists(variable, error))
            throw std::runtime_error(std::string("configuration ") + variable +
                                     " ($FEEDD_CONFIG) does not exist");
        return fs::absolute(variable).lexically_normal();
    }
    std::vector<fs::path> candidates{"feeds.toml"};
    if (auto user = user_config_file()) candidates.push_back(std::move(*user));
    candidates.emplace_back("/etc/feedd/feeds.toml");
    std::string looked;
    for (const auto& candidate : candidates) {
        if (fs::exists(candidate, error)) return fs::absolute(candidate).lexically_normal();
        looked += (looked.empty()                   ? ""
                   : candidate == candidates.back() ? " and "
                                                    : ", ") +
                  (candidate.is_relative() ? "./" + candidate.string() : candidate.string());
    }
    throw std::runtime_error("no configuration found: looked for " + looked +
                             " (`feedd init` writes one; or give one with --config FILE or $FEEDD_CONFIG)");
}

}  // namespace feedd::config
