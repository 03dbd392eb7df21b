// feeds.toml: find it, read and validate it (all errors at once, file:line:column), write it back
// atomically.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "feedd/model/model.hpp"

namespace feedd::config {

struct Settings {
    std::filesystem::path database;  // absolute once loaded (relative to the config's folder)
    Duration interval{std::chrono::hours(1)};
    Duration min_interval{std::chrono::minutes(15)};
    Duration max_interval{std::chrono::hours(24)};
    Duration backoff_cap{std::chrono::hours(24)};
    int concurrency = 32;
    int per_host = 1;
    Duration per_host_gap{std::chrono::seconds(1)};
    Duration timeout{std::chrono::seconds(60)};
    std::int64_t max_body = 16 * 1024 * 1024;
    int keep_days = 0;
    bool allow_private_networks = false;
    std::string proxy;
    std::string user_agent;  // empty: feedd's own
    std::string log_level = "info";
    std::string on_new;
    Duration on_new_timeout{std::chrono::seconds(30)};
    Duration shutdown_grace{std::chrono::seconds(5)};
};

struct Config {
    std::filesystem::path path;  // the file it came from
    Settings settings;
    std::vector<FeedSource> feeds;
    std::vector<std::string> warnings;  // e.g. a config file readable by others
};

// Every problem found, each "file:line:column: message".
class ConfigError : public std::runtime_error {
  public:
    explicit ConfigError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const noexcept { return problems_; }

  private:
    std::vector<std::string> problems_;
};

// --config FILE, else $FEEDD_CONFIG, else ./feeds.toml, else /etc/feedd/feeds.toml.
std::filesystem::path find_config(const std::optional<std::filesystem::path>& flag);

// Throws ConfigError (all problems at once) or std::runtime_error when the file cannot be read.
Config load_config(const std::filesystem::path& path);
Config parse_config(std::string_view text, const std::filesystem::path& path);

// "500ms", "30m", "1h", "1d" / "16MiB".
std::optional<Duration> parse_duration(std::string_view text);
std::optional<std::int64_t> parse_size(std::string_view text);

// The password of a feed, from its SecretSource (file, env, $CREDENTIALS_DIRECTORY).
std::string resolve_secret(const SecretSource& source);

// Appends `[[feed]]` blocks to the file without touching what is there (comments survive);
// written atomically, owner and mode kept.
void append_feeds(const std::filesystem::path& path, const std::vector<FeedSource>& feeds);

}  // namespace feedd::config
