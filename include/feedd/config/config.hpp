// feeds.toml: find it, read and validate it (all errors at once, file:line:column), write it back
// atomically.
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/model/model.hpp"

namespace feedd::config {

struct Settings {
    std::filesystem::path database;  // absolute once loaded (relative to the config's folder)
    // A PostgreSQL database's password (database_password_file, _env, _credential), never in the URI;
    // kind none: libpq's own ways (peer authentication, PGPASSFILE).
    SecretSource database_password;
    Duration interval{std::chrono::hours(1)};  // fixed; with auto_interval, until a feed's history is known
    bool auto_interval = true;                 // interval = "auto" (the default)
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
    std::string user_agent;          // empty: feedd's own
    std::string log_level = "info";  // error, warning, info or debug
    std::string on_new;
    Duration on_new_timeout{std::chrono::seconds(30)};
    Duration shutdown_grace{std::chrono::seconds(5)};
    // A feed's history (docs/ARCHITECTURE.md, "History"): at most this many earlier pages on its
    // first poll (0: none) and by default for `feedd feeds backfill`, and at most this many decoded
    // bytes for one walk's pages.
    int backfill_pages = 10;
    std::int64_t backfill_bytes = std::int64_t{64} << 20;
    // Full text (docs/ARCHITECTURE.md, "Full text"): the default of feeds without `full_text`, and
    // how long an article's archived page stays before it is fetched again (0: never again).
    FullText full_text = FullText::off;
    Duration refetch_pages_after{std::chrono::hours(24 * 7)};
    // Several nodes on one PostgreSQL archive (docs/ARCHITECTURE.md, "Several nodes"): how long a
    // node's claim on a feed lasts without a heartbeat, so how long the feeds of a node that died
    // wait before another node polls them. Ignored on SQLite, which has one node.
    Duration lease{std::chrono::seconds(60)};
};

// [http]: the reader API of `feedd run` (docs/ARCHITECTURE.md, "HTTP API"). Off unless `listen`.
struct Http {
    // "127.0.0.1:8080", "[::1]:8080" (an IP address and a port) or an absolute unix socket path;
    // empty: no listener.
    std::string listen;
    int max_connections = 64;  // more at once are answered 503
    // A request must arrive whole within this (else 408 and the connection closes), and an idle
    // keep-alive connection is closed after it.
    Duration request_timeout{std::chrono::seconds(30)};
    std::int64_t max_header = 16 * 1024;  // request line and headers; more: 431
    std::int64_t max_body = 1024 * 1024;  // request body; more: 413
    // The web pages' read-only views (/, /articles/{id}, /feeds, /status) open without a login,
    // for a trusted network; writes and the APIs still need a user.
    bool anonymous_read = false;
    bool operator==(const Http&) const = default;
};

// A [[user]] of the HTTP API: a login (basic authentication with the password) and API tokens
// (X-Auth-Token), each from a SecretSource like a feed's password.
struct User {
    std::string name;
    SecretSource password;  // kind none: no password login
    std::vector<SecretSource> tokens;
};

struct Config {
    std::filesystem::path path;  // the file it came from, absolute
    Settings settings;
    Http http;
    std::vector<User> users;            // names unique
    std::vector<FeedSource> feeds;      // in file order; names unique, derived from the URL when absent
    std::vector<SiteRule> sites;        // [[site]]: where the article is on a site's pages
    std::vector<std::string> warnings;  // one line each, e.g. a password file readable by others
    std::vector<std::string> notes;     // harmless findings check-config shows, the daemon need not log
};

// Every problem found, each "file:line:column: message", ordered by position.
class ConfigError : public std::runtime_error {
  public:
    explicit ConfigError(std::vector<std::string> problems);
    const std::vector<std::string>& problems() const noexcept { return problems_; }

  private:
    std::vector<std::string> problems_;
};

// --config FILE, else $FEEDD_CONFIG, else ./feeds.toml, else the user's own (user_config_file),
// else /etc/feedd/feeds.toml. Returns an absolute path; throws std::runtime_error (one line,
// naming where it looked) when there is none.
std::filesystem::path find_config(const std::optional<std::filesystem::path>& flag);

// A user's own feeds.toml: $XDG_CONFIG_HOME/feedd/feeds.toml ($HOME/.config when the variable is
// unset, empty or relative); nothing when neither is set. Where `feedd init` writes.
std::optional<std::filesystem::path> user_config_file();
// True when `config_path` lies in the user's own config folder (user_config_file's, symbolic links
// resolved): such a config keeps its archive under user_data_dir and is read by the user service.
bool is_user_config(const std::filesystem::path& config_path);
// Where a user's own config keeps its archive when it names none: $XDG_DATA_HOME/feedd
// ($HOME/.local/share by default). A config anywhere else keeps it beside itself (feedd.db).
std::optional<std::filesystem::path> user_data_dir();

// Throws ConfigError (all problems at once) or std::runtime_error when the file cannot be read.
Config load_config(const std::filesystem::path& path);
// Relative paths in `text` are taken relative to `path`'s folder. Reads nothing but the status of
// the files `text` names (password and CA files), for warnings.
Config parse_config(std::string_view text, const std::filesystem::path& path);

// "500ms", "30s", "30m", "1h", "1d", "1w", also combined ("1h30m"); "0" is zero.
std::optional<Duration> parse_duration(std::string_view text);
// The shortest exact spelling parse_duration reads back: "30m", "1h30m", "500ms".
std::string format_duration(Duration duration);

// A secret (a feed's password, a user's password or token), from its SecretSource (file, env,
// $CREDENTIALS_DIRECTORY). Throws std::runtime_error naming the source (never the secret) when it cannot be
// read.
std::string resolve_secret(const SecretSource& source);

// The password feedd gives libpq for the archive at `database`: the configured `database_password`
// when `database` is the configured `database` itself (a PostgreSQL URI), else none. Another URI
// (`--db`, `db copy --to/--from`) may name another server, which must not be sent this one's
// password; it authenticates in libpq's own ways (PGPASSFILE, PGPASSWORD, peer authentication).
// Throws as resolve_secret.
std::string database_password(const Settings& settings, const std::filesystem::path& database);

// Empty when `url` is an absolute http(s) URL feedd can poll; else why not (one phrase).
std::string check_feed_url(std::string_view url);
// The form two feed URLs are compared in to find duplicates: http and https alike, host
// lowercased without a leading "www.", default port and fragment dropped.
std::string normalize_url(std::string_view url);
// A feed name from its URL (host + path slug), made unique against `taken` with "-2", "-3", ...
std::string derive_feed_name(std::string_view url, const std::vector<std::string>& taken);
// `base`, or the first of "base-2", "base-3", ... that is not in `taken`.
std::string unique_name(const std::string& base, const std::vector<std::string>& taken);
// A name from a title ("Ars Technica" -> "ars-technica"); empty when the title has no ASCII
// letters or digits.
std::string slug(std::string_view text);

// One `[[feed]]` block as append_feeds writes it (ends with a newline).
std::string format_feed(const FeedSource& feed);

// Appends `[[feed]]` blocks to the file without touching what is there (comments survive);
// written atomically, owner and mode kept. The result is validated first: when it would not load
// (or the file does not load now) nothing is written and ConfigError says why.
void append_feeds(const std::filesystem::path& path, const std::vector<FeedSource>& feeds);

// Removes the `[[feed]]` block of feed `name` (with the comment lines directly above it), the
// rest of the file untouched; atomically. Throws std::runtime_error when there is no such feed
// or it is not written as a `[[feed]]` block.
void remove_feed(const std::filesystem::path& path, const std::string& name);

// Sets `enabled` of feed `name` in the file (edits or inserts the one key); atomically. Returns
// false when the file already said so (nothing written).
bool set_feed_enabled(const std::filesystem::path& path, const std::string& name, bool enabled);

// Replaces the file's content: a temporary file in the same folder, fsync, rename; the owner,
// group and mode of the existing file are kept (throws when they cannot be).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace feedd::config
