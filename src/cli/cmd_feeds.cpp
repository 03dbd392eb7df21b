// check-config, import-opml, export-opml and feeds list|add|remove|enable|disable: thin command
// bodies over the functions of cmd_feeds.hpp.
#include "cli/cmd_feeds.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/common.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/store/store.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::cli {

namespace fs = std::filesystem;

namespace {

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

bool usable_name(const std::string& name) {
    if (name.empty() || name.size() > 200 || name.front() == '-' || name.front() == ' ' || name.back() == ' ')
        return false;
    return std::none_of(name.begin(), name.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

// A slug keeps only ASCII letters and digits, so a title with other letters ("Über", "人民网")
// would lose them; punctuation (U+0080-U+00BF, dashes and quotes of U+2000-U+207F) it may drop.
bool slug_keeps_title(const std::string& title) {
    for (std::size_t i = 0; i < title.size(); ++i) {
        const auto byte = static_cast<unsigned char>(title[i]);
        if (byte < 0x80) continue;
        const auto next = i + 1 < title.size() ? static_cast<unsigned char>(title[i + 1]) : 0;
        if (byte == 0xC2) {
            i += 1;
        } else if (byte == 0xE2 && (next == 0x80 || next == 0x81)) {
            i += 2;
        } else {
            return false;
        }
    }
    return true;
}

std::string time_text(const std::optional<TimePoint>& time) {
    return time ? format_utc(*time) : "-";
}

// What polls learned of the feeds (titles, state). Before the first poll there is no archive, and
// the commands that show the feed list (feeds list, export-opml) show feeds.toml alone; unless
// `must_exist` (an archive named by --db, where a missing file is more likely a typo).
std::vector<store::FeedSummary> archived_feeds(const store::Location& database, bool must_exist = false) {
    if (!must_exist && !store::Archive::exists(database)) return {};
    return store::Archive::open(database, store::OpenMode::read_only).feed_summaries();
}

// `feeds enable` also forgets what the daemon learned (410 gone, a permanent redirect, failures),
// which otherwise wins over feeds.toml. Writing the archive is refused while the daemon holds it.
void reset_learned_state(const store::Location& database, const FeedSource& feed) {
    if (!store::Archive::exists(database)) return;
    FeedState state = store::Archive::open(database, store::OpenMode::read_only).feed_state(feed.name);
    if (!state.gone && state.moved_to.empty() && state.redirect_candidate.empty() &&
        state.consecutive_failures == 0)
        return;
    auto archive = [&] {
        try {
            return store::Archive::open(database, store::OpenMode::read_write);
        } catch (const store::ArchiveBusy& busy) {
            throw std::runtime_error(
                std::string(busy.what()) + ": feed \"" + feed.name + "\" is marked " +
                (state.gone ? "gone" : "failing or moved") +
                " there; stop the daemon (systemctl stop feedd), run this again, then start it");
        }
    }();
    state.gone = false;
    state.moved_to.clear();
    state.redirect_candidate.clear();
    state.redirect_first_seen.reset();
    state.redirect_count = 0;
    state.consecutive_failures = 0;
    state.retry_after.reset();
    state.next_poll.reset();
    state.configured_url = feed.url;
    archive.set_feed_state(state);
}

}  // namespace

std::string reload_hint(const fs::path& config_path) {
    // A user's own feeds.toml is read by the user service (systemd/feedd-user.service).
    const bool user_service = config::is_user_config(config_path);
    return std::string("A running daemon picks the change up on reload: run `systemctl ") +
           (user_service ? "--user " : "") + "reload feedd` or send it SIGHUP.\n";
}

std::string describe_config(const config::Config& config, const std::optional<fs::path>& db_flag) {
    std::size_t enabled = 0;
    std::map<std::string, int> categories;
    for (const auto& feed : config.feeds) {
        enabled += feed.enabled ? 1 : 0;
        if (!feed.category.empty()) ++categories[feed.category];
    }
    std::ostringstream out;
    out << config.path.string() << ": OK, " << plural(config.feeds.size(), "feed", "feeds");
    if (enabled != config.feeds.size()) out << " (" << enabled << " enabled)";
    if (!categories.empty()) out << " in " << plural(categories.size(), "category", "categories");
    out << "\narchive: " << store::shown_location((db_flag ? *db_flag : config.settings.database).native())
        << '\n';
    for (const auto& warning : config.warnings) out << "warning: " << message(warning) << '\n';
    for (const auto& note : config.notes) out << "note: " << message(note) << '\n';
    return out.str();
}

ImportPlan plan_import(const std::vector<FeedSource>& configured, const opml::ImportResult& imported) {
    ImportPlan plan;
    plan.skipped = imported.skipped;
    std::vector<std::string> taken;
    std::map<std::string, std::string> by_url;  // normalised URL -> name
    for (const auto& feed : configured) {
        taken.push_back(feed.name);
        by_url.emplace(config::normalize_url(feed.url), feed.name);
    }
    for (const auto& feed : imported.feeds) {
        if (std::string why = config::check_feed_url(feed.url); !why.empty()) {
            plan.skipped.push_back({feed.title.empty() ? feed.url : feed.title, why});
            continue;
        }
        const std::string key = config::normalize_url(feed.url);
        if (const auto it = by_url.find(key); it != by_url.end()) {
            plan.present.push_back({feed.url, it->second});
            continue;
        }
        std::string name;
        if (usable_name(feed.name))
            name = config::unique_name(feed.name, taken);
        else if (std::string from_title = slug_keeps_title(feed.title) ? config::slug(feed.title) : "";
                 !from_title.empty())
            name = config::unique_name(from_title, taken);
        else
            name = config::derive_feed_name(feed.url, taken);

        FeedSource source;
        source.name = name;
        source.url = feed.url;
        source.title = feed.title;
        source.category = feed.category;
        source.tags = feed.tags;
        source.enabled = feed.enabled;
        plan.added.push_back(std::move(source));
        taken.push_back(name);
        by_url.emplace(key, name);
    }
    return plan;
}

ImportPlan import_opml_text(const fs::path& config_path, std::string_view opml_text, bool dry_run,
                            std::string_view new_file_header) {
    const opml::ImportResult imported = opml::import_opml(opml_text);  // throws before anything is touched
    std::error_code error;
    const bool exists = fs::exists(config_path, error);
    std::vector<FeedSource> configured;
    if (exists) configured = config::load_config(config_path).feeds;
    ImportPlan plan = plan_import(configured, imported);
    if (dry_run || plan.added.empty()) return plan;
    if (exists) {
        config::append_feeds(config_path, plan.added);
        return plan;
    }
    std::string text(new_file_header);
    for (const auto& feed : plan.added) text += "\n" + config::format_feed(feed);
    config::parse_config(text, config_path);  // throws ConfigError; nothing written
    config::write_file_atomically(config_path, text);
    return plan;
}

std::string init_template() {
    return R"(# feedd's configuration: the feeds to archive and how to poll them, written by `feedd init`.
# The settings below are feedd's defaults, commented out: remove a `#` to change one.
# Durations: "500ms", "30s", "15m", "1h", "1d". Sizes: "512KiB", "16MiB".
# After editing, `feedd check-config` checks this file; a running daemon takes it on
# `systemctl --user reload feedd` (SIGHUP).

[settings]
# database = "feedd.db"           # unset: $XDG_DATA_HOME/feedd/feedd.db (~/.local/share/feedd/) for a
#                                 # config in $XDG_CONFIG_HOME/feedd/, else beside this file
# interval = "auto"               # the default: from each feed's publishing; or fixed, "1h"
# min_interval = "15m"
# max_interval = "1d"
# concurrency = 32                # requests in flight overall
# per_host = 1                    # requests in flight per registered domain
# per_host_gap = "1s"             # pause between two requests to one host
# timeout = "60s"
# max_body = "16MiB"
# keep_days = 0                   # 0 keeps articles forever
# backfill_pages = 10             # earlier pages (RFC 5005) a feed's first poll fetches; 0: none
# backfill_bytes = "64MiB"        # at most this much of one feed's earlier pages
# allow_private_networks = false  # refuse feeds that resolve to loopback/private addresses
# full_text = "off"               # fetch each new article's page: "auto" (short entries), "always"
# refetch_pages_after = "7d"      # fetch an archived page again after this (doubling); "0": never
# lease = "60s"                   # several nodes on PostgreSQL: a dead node's feeds wait this long
# log_level = "info"
# on_new = "notify-send-new-articles"   # gets new articles as NDJSON on stdin

# Feeds: `feedd feeds add URL` (a page's advertised feed is found), `feedd import-opml FILE`, or
# blocks like this one:
# [[feed]]
# name = "example"                # its identity in the archive; derived from the URL when absent
# url = "https://example.org/feed.xml"
# category = "News"
# interval = "30m"
# backfill = "paged"              # WordPress: also fetch ?paged=2, 3, ... on its first poll
)";
}

InitResult init_config(const fs::path& config_path, const std::optional<std::string>& opml_text) {
    std::error_code error;
    if (fs::exists(config_path, error) || fs::is_symlink(config_path, error))
        throw std::runtime_error(config_path.string() +
                                 " exists already; `feedd init` never writes over a configuration");
    if (config_path.has_parent_path()) fs::create_directories(config_path.parent_path());
    InitResult result;
    // The OPML goes through the import, the one home of turning outlines into feeds; the template
    // heads the file it creates. An export with no new feed leaves the file to the template below.
    if (opml_text) result.imported = import_opml_text(config_path, *opml_text, false, init_template());
    if (!fs::exists(config_path, error)) {
        const std::string text = init_template();
        config::parse_config(text, config_path);  // the template is a valid configuration
        config::write_file_atomically(config_path, text);
    }
    result.config = config::load_config(config_path);
    return result;
}

std::string describe_import(const ImportPlan& plan, const fs::path& config_path, bool dry_run) {
    std::ostringstream out;
    out << (dry_run ? "Would add " : "Added ") << plural(plan.added.size(), "feed", "feeds") << " to "
        << config_path.string() << (plan.added.empty() ? "\n" : ":\n");
    for (const auto& feed : plan.added) {
        out << "  + " << shown(feed.name) << "  " << shown(feed.url);
        if (!feed.category.empty()) out << "  [" << shown(feed.category) << "]";
        if (!feed.enabled) out << "  (disabled)";
        out << '\n';
    }
    if (!plan.present.empty()) {
        out << "Already present: " << plan.present.size() << '\n';
        for (const auto& feed : plan.present)
            out << "  = " << shown(feed.url) << "  (as \"" << shown(feed.name) << "\")\n";
    }
    if (!plan.skipped.empty()) {
        out << "Skipped: " << plan.skipped.size() << '\n';
        for (const auto& skipped : plan.skipped)
            out << "  - " << shown(skipped.text) << ": " << shown(skipped.reason) << '\n';
    }
    if (dry_run)
        out << "Dry run: " << config_path.string() << " was not changed.\n";
    else if (!plan.added.empty())
        out << reload_hint(config_path);
    return out.str();
}

FeedSource add_feed(const fs::path& config_path, const std::string& url, const std::string& name,
                    const std::string& category) {
    if (std::string why = config::check_feed_url(url); !why.empty()) throw UsageError(url + ": " + why);
    if (!name.empty() && !usable_name(name)) throw UsageError("\"" + name + "\" cannot be a feed name");
    const config::Config config = config::load_config(config_path);
    std::vector<std::string> taken;
    for (const auto& feed : config.feeds) {
        if (config::normalize_url(feed.url) == config::normalize_url(url))
            throw std::runtime_error(url + " is already configured as feed \"" + feed.name + "\"");
        if (feed.name == name)
            throw std::runtime_error("a feed named \"" + name + "\" exists already (" + feed.url + ")");
        taken.push_back(feed.name);
    }
    FeedSource feed;
    feed.url = url;
    feed.name = name.empty() ? config::derive_feed_name(url, taken) : name;
    feed.category = category;
    config::append_feeds(config_path, {feed});
    return feed;
}

std::vector<FeedRow> feed_rows(const config::Config& config,
                               const std::vector<store::FeedSummary>& archived) {
    std::map<std::string, const store::FeedSummary*> by_name;
    for (const auto& summary : archived) by_name.emplace(summary.name, &summary);
    std::vector<FeedRow> rows;
    for (const auto& feed : config.feeds) {
        FeedRow row;
        row.name = feed.name;
        row.url = feed.url;
        row.category = feed.category;
        row.enabled = feed.enabled;
        const auto it = by_name.find(feed.name);
        if (it != by_name.end()) {
            row.archived = *it->second;
            by_name.erase(it);
        }
        const FeedState* state = row.archived ? &row.archived->state : nullptr;
        row.credentials_withheld =
            state && !state->moved_to.empty() && daemon::credentials_withheld(feed, state->moved_to);
        row.status = api::feed_status(feed, state);
        rows.push_back(std::move(row));
    }
    // Feeds taken out of feeds.toml keep their articles; show that they are still archived.
    for (const auto& summary : archived) {
        if (!by_name.contains(summary.name)) continue;
        FeedRow row;
        row.name = summary.name;
        row.url = summary.url.empty() ? summary.state.configured_url : summary.url;
        row.configured = false;
        row.enabled = false;
        row.status = FeedStatus::removed;
        row.archived = summary;
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string feeds_table(const std::vector<FeedRow>& rows) {
    const std::vector<std::string> header{"NAME",      "STATUS",   "ARTICLES", "GAPS", "LAST POLL",
                                          "NEXT POLL", "CATEGORY", "URL",      "ERROR"};
    std::vector<std::vector<std::string>> cells{header};
    for (const auto& row : rows) {
        const FeedState state = row.archived ? row.archived->state : FeedState{};
        // Said in words in the table; the JSON keeps the one-word status scripts match on.
        std::string status(row.status == FeedStatus::unpolled ? "not polled yet" : to_string(row.status));
        if (row.status == FeedStatus::failing)
            status += " (" + std::to_string(state.consecutive_failures) + ")";
        std::string error = state.last_error;
        if (!state.moved_to.empty())
            error = "moved to " + state.moved_to +
                    (row.credentials_withheld ? " (credentials not sent to the new origin)" : "");
        // Gaps of the last 30 days: polls that came too late, and the items they probably lost.
        const std::int64_t gaps = row.archived ? row.archived->recent_gaps : 0;
        const std::string gap_text =
            gaps == 0 ? "-"
                      : std::to_string(gaps) + " (~" + std::to_string(row.archived->recent_gap_items) + ")";
        cells.push_back({shown(row.name), status, row.archived ? std::to_string(row.archived->articles) : "0",
                         gap_text, time_text(state.last_poll),
                         time_text(row.enabled ? state.next_poll : std::nullopt),
                         row.category.empty() ? "-" : shown(row.category), shown(row.url), shown(error)});
    }
    std::vector<std::size_t> widths(header.size(), 0);
    for (const auto& line : cells) {
        for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
    }
    std::string out;
    for (const auto& line : cells) {
        std::string text;
        for (std::size_t i = 0; i < line.size(); ++i) {
            text += line[i];
            if (i + 1 < line.size()) text += std::string(widths[i] - line[i].size() + 2, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + '\n';
    }
    return out;
}

std::string feeds_json(const std::vector<FeedRow>& rows) {
    auto json = nlohmann::json::array();
    const auto time = [](const std::optional<TimePoint>& t) -> nlohmann::json {
        return t ? nlohmann::json(format_utc(*t)) : nlohmann::json(nullptr);
    };
    const auto text = [](const std::string& s) -> nlohmann::json {
        return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
    };
    for (const auto& row : rows) {
        const store::FeedSummary summary = row.archived.value_or(store::FeedSummary{});
        const FeedState& state = summary.state;
        json.push_back({{"name", row.name},
                        {"url", url::redact_userinfo(row.url)},
                        {"category", row.category},
                        {"title", text(summary.title)},
                        {"site_link", text(summary.site_link)},
                        {"configured", row.configured},
                        {"enabled", row.enabled},
                        {"status", to_string(row.status)},
                        {"articles", summary.articles},
                        {"last_poll", time(state.last_poll)},
                        {"last_success", time(state.last_success)},
                        {"next_poll", row.enabled ? time(state.next_poll) : nlohmann::json(nullptr)},
                        {"last_status", state.last_status},
                        {"error", text(url::redact_userinfo_in(state.last_error))},
                        {"consecutive_failures", state.consecutive_failures},
                        {"moved_to", text(url::redact_userinfo(state.moved_to))},
                        {"gaps_30d", summary.recent_gaps},
                        {"gap_items_30d", summary.recent_gap_items},
                        {"last_gap", time(summary.last_gap)},
                        {"credentials_withheld", row.credentials_withheld}});
    }
    // Strings from feeds and servers may hold invalid UTF-8: replace rather than throw.
    return json_output(json, 2) + "\n";
}

namespace {

// A URL a page advertised, quoted for a shell so that the suggested command adds that URL and
// nothing else (a page may advertise "x; rm -rf ~" or "&" in a query).
std::string shell_quoted(std::string_view text) {
    std::string out = "'";
    for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

// `feeds add` without --no-discover: the feed behind `url` (a web page's one advertised feed), or
// nothing after listing the candidates when the page points to several.
std::optional<std::string> discovered_feed_url(const std::string& given, const fs::path& path) {
    std::string url = given;
    if (std::string why = config::check_feed_url(url); !why.empty()) throw UsageError(url + ": " + why);
    const auto discovery = daemon::discover(url, config::load_config(path).settings);
    if (discovery.is_feed) return url;
    if (discovery.candidates.empty()) throw std::runtime_error(url + ": " + discovery.error);
    if (discovery.candidates.size() > 1) {
        std::cout << shown(url) << " is a page that points to " << discovery.candidates.size()
                  << " feeds; add the one you want:\n";
        for (const auto& link : discovery.candidates) {
            std::cout << "  feedd feeds add " << shell_quoted(shown(link.url));
            if (!link.title.empty()) std::cout << "    # " << shown(link.title);
            std::cout << '\n';
        }
        return std::nullopt;
    }
    url = discovery.candidates.front().url;
    std::cout << shell_quoted(shown(url)) << " is the feed that " << shown(given) << " advertises.\n";
    return url;
}

void add_check_config_command(CLI::App& app, Context& context) {
    auto* check =
        app.add_subcommand("check-config", "Validate feeds.toml: every problem with its line and column");
    on_chosen(check, context, [&context] {
        std::cout << describe_config(load_config(context), context.db);
        return 0;
    });
}

void add_import_opml_command(CLI::App& app, Context& context) {
    struct ImportOptions {
        std::string file;
        bool dry_run = false;
    };
    auto import_options = std::make_shared<ImportOptions>();
    auto* import = app.add_subcommand("import-opml", "Add the feeds of an OPML file to feeds.toml");
    import->add_option("FILE", import_options->file, "OPML file from another reader ('-' for standard input)")
        ->required();
    import->add_flag("--dry-run", import_options->dry_run, "Show what would be added; change nothing");
    on_chosen(import, context, [&context, import_options] {
        // A --config that does not exist yet is created: the first import starts a feed list.
        const fs::path path = context.config && !fs::exists(*context.config) ? fs::absolute(*context.config)
                                                                             : config_path(context);
        const std::string text = read_input(import_options->file);
        ImportPlan plan;
        try {
            plan = import_opml_text(path, text, import_options->dry_run);
        } catch (const opml::OpmlError& error) {
            throw std::runtime_error(import_options->file + ": " + error.what());
        }
        std::cout << describe_import(plan, path, import_options->dry_run);
        return 0;
    });
}

void add_init_command(CLI::App& app, Context& context) {
    auto from_opml = std::make_shared<std::string>();
    auto* init = app.add_subcommand(
        "init", "Write a commented feeds.toml to $XDG_CONFIG_HOME/feedd/ (or --config), never over one");
    init->add_option("--from-opml", *from_opml,
                     "Start from the feeds of an OPML export of another reader ('-' for standard input)");
    on_chosen(init, context, [&context, from_opml] {
        fs::path path;
        if (context.config) {
            path = fs::absolute(*context.config);
        } else if (auto user = config::user_config_file()) {
            path = std::move(*user);
        } else {
            throw UsageError("neither $XDG_CONFIG_HOME nor $HOME is set: give the file with --config FILE");
        }
        std::optional<std::string> opml_text;
        if (!from_opml->empty()) opml_text = read_input(*from_opml);
        InitResult result;
        try {
            result = init_config(path, opml_text);
        } catch (const opml::OpmlError& error) {
            throw std::runtime_error(*from_opml + ": " + error.what());
        }
        std::cout << "Wrote " << path.string() << " with "
                  << plural(result.config.feeds.size(), "feed", "feeds") << ".\n";
        if (result.imported) {
            // What the export held that is not a feed here; the added feeds are in the file.
            for (const auto& skipped : result.imported->skipped)
                std::cout << "  skipped " << shown(skipped.text) << ": " << shown(skipped.reason) << '\n';
        }
        std::cout << "The archive will be " << result.config.settings.database.string() << ".\n"
                  << "Next: `feedd feeds add URL` to add feeds, `feedd poll --once` to poll them now,\n"
                  << "or run it in the background: `systemctl --user enable --now feedd` (see the README).\n";
        return 0;
    });
}

void add_export_opml_command(CLI::App& app, Context& context) {
    auto output = std::make_shared<std::string>();
    auto* export_command = app.add_subcommand("export-opml", "Print the feed list as OPML 2.0");
    export_command->add_option("-o,--output", *output,
                               "Write to FILE (atomically) instead of standard output");
    on_chosen(export_command, context, [&context, output] {
        const config::Config config = load_config(context);
        const auto archived = archived_feeds(database_location(context, config));
        opml::ExportOptions options;
        options.created = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        const std::string xml = opml::export_opml(export_feeds(config, archived), options);
        if (output->empty() || *output == "-") {
            std::cout << xml;
        } else {
            config::write_file_atomically(*output, xml);
            std::cerr << "Wrote " << plural(config.feeds.size(), "feed", "feeds") << " to " << *output
                      << '\n';
        }
        return 0;
    });
}

void add_feeds_list_command(CLI::App* feeds, Context& context) {
    auto format = std::make_shared<std::string>("table");
    auto* list =
        feeds->add_subcommand("list", "Each feed with its category and what the archive knows of it");
    list->add_option("--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
    on_chosen(list, context, [&context, format] {
        const config::Config config = load_config(context);
        const auto rows =
            feed_rows(config, archived_feeds(database_location(context, config), context.db.has_value()));
        std::cout << (*format == "json" ? feeds_json(rows) : feeds_table(rows));
        return 0;
    });
}

void add_feeds_add_command(CLI::App* feeds, Context& context) {
    struct AddOptions {
        std::string url;
        std::string name;
        std::string category;
        bool no_discover = false;
    };
    auto add_options = std::make_shared<AddOptions>();
    auto* add = feeds->add_subcommand("add", "Add a feed to feeds.toml");
    add->add_option("URL", add_options->url, "The feed's http(s) URL")->required();
    add->add_option("--name", add_options->name, "Its name (else derived from the URL)");
    add->add_option("--category", add_options->category, "Its folder path, such as News/Asia");
    add->add_flag(
        "--no-discover", add_options->no_discover,
        "Add the URL as given, without fetching it (by default a web page's advertised feed is found)");
    on_chosen(add, context, [&context, add_options] {
        const fs::path path = config_path(context);
        const auto url = add_options->no_discover ? std::optional<std::string>(add_options->url)
                                                  : discovered_feed_url(add_options->url, path);
        if (!url) return 1;
        const FeedSource feed = add_feed(path, *url, add_options->name, add_options->category);
        std::cout << "Added feed \"" << shown(feed.name) << "\" (" << shown(feed.url) << ") to "
                  << path.string() << ".\n"
                  << reload_hint(path);
        return 0;
    });
}

void add_feeds_remove_command(CLI::App* feeds, Context& context) {
    struct RemoveOptions {
        std::string name;
        bool purge = false;
    };
    auto remove_options = std::make_shared<RemoveOptions>();
    auto* remove =
        feeds->add_subcommand("remove", "Remove a feed from feeds.toml; its articles stay archived");
    remove->add_option("NAME", remove_options->name, "The feed's name")->required();
    remove->add_flag("--purge", remove_options->purge, "Also delete its articles from the archive");
    on_chosen(remove, context, [&context, remove_options] {
        std::string purged;
        if (remove_options->purge) {
            // The archive first: if the daemon holds it, nothing changes anywhere.
            const auto database = database_location(context);
            store::PruneCounts counts;
            if (store::Archive::exists(database)) {
                auto archive = store::Archive::open(database, store::OpenMode::read_write);
                try {
                    counts = archive.purge_feed(remove_options->name);
                } catch (const store::QueryError&) {
                    // Never polled: nothing archived to delete.
                }
            }
            purged = " Deleted its " + std::to_string(counts.entries) + " entries and " +
                     std::to_string(counts.articles) + " articles no other feed holds.";
        }
        const fs::path path = config_path(context);
        config::remove_feed(path, remove_options->name);
        std::cout << "Removed feed \"" << remove_options->name << "\" from " << path.string()
                  << (remove_options->purge ? "." + purged + "\n" : "; its articles stay in the archive.\n")
                  << reload_hint(path);
        return 0;
    });
}

// `feeds enable` and `feeds disable`: one flag in feeds.toml; enabling also forgets what polls
// learned (gone, moved, failing).
void add_feeds_enable_command(CLI::App* feeds, Context& context, bool enable) {
    auto name = std::make_shared<std::string>();
    auto* sub =
        feeds->add_subcommand(enable ? "enable" : "disable",
                              enable ? "Poll a feed again: enabled in feeds.toml, and what the daemon "
                                       "learned (gone, moved, failing) forgotten"
                                     : "Stop polling a feed (enabled = false); its articles stay");
    sub->add_option("NAME", *name, "The feed's name")->required();
    on_chosen(sub, context, [&context, name, enable] {
        const fs::path path = config_path(context);
        const config::Config config = config::load_config(path);
        const auto feed = std::find_if(config.feeds.begin(), config.feeds.end(),
                                       [&](const FeedSource& f) { return f.name == *name; });
        if (feed == config.feeds.end())
            throw std::runtime_error("no feed named \"" + *name + "\" in " + path.string());
        if (enable) reset_learned_state(database_location(context, config), *feed);
        const bool changed = config::set_feed_enabled(path, *name, enable);
        std::cout << "Feed \"" << *name << "\" is " << (enable ? "enabled" : "disabled")
                  << (changed ? " in " + path.string() + ".\n" + reload_hint(path)
                              : " (feeds.toml unchanged).\n");
        return 0;
    });
}

// `feeds backfill NAME [--pages N]`: the walk through a feed's history, now, in this process (the
// daemon does it only on a feed's first poll). It writes the archive, so it needs the lock.
void add_feeds_backfill_command(CLI::App* feeds, Context& context) {
    struct BackfillOptions {
        std::string name;
        int pages = 0;  // 0: backfill_pages
    };
    auto options = std::make_shared<BackfillOptions>();
    auto* sub = feeds->add_subcommand(
        "backfill",
        "Fetch a feed's earlier pages now (RFC 5005 prev-archive and next links; ?paged=N "
        "with backfill = \"paged\")");
    sub->add_option("NAME", options->name, "The feed's name")->required();
    sub->add_option("--pages", options->pages, "At most this many earlier pages (default: backfill_pages)")
        ->check(CLI::Range(1, 10000));
    on_chosen(sub, context, [&context, options] {
        const config::Config config = load_config(context);
        if (std::none_of(config.feeds.begin(), config.feeds.end(),
                         [&](const FeedSource& f) { return f.name == options->name; }))
            throw UsageError("no feed named \"" + options->name + "\" in " + config.path.string());
        daemon::RunOptions run;
        run.config_path = config.path;
        run.database = context.db;
        run.log_level = context.log_level;
        daemon::BackfillReport report;
        try {
            report = daemon::backfill(run, options->name,
                                      options->pages > 0 ? std::optional<int>(options->pages) : std::nullopt);
        } catch (const store::ArchiveBusy& busy) {
            throw std::runtime_error(std::string(busy.what()) +
                                     ": the daemon is running; stop it (systemctl stop feedd), run this "
                                     "again, then start it");
        }
        std::cout << message(daemon::format_report(report)) << '\n';
        return report.failed ? 1 : 0;
    });
}

}  // namespace

void add_feeds_commands(CLI::App& app, Context& context) {
    add_check_config_command(app, context);
    add_init_command(app, context);
    add_import_opml_command(app, context);
    add_export_opml_command(app, context);
    auto* feeds = app.add_subcommand("feeds", "List, add, remove, enable, disable and backfill feeds");
    feeds->require_subcommand(1);

    add_feeds_list_command(feeds, context);
    add_feeds_add_command(feeds, context);
    add_feeds_remove_command(feeds, context);
    add_feeds_enable_command(feeds, context, true);
    add_feeds_enable_command(feeds, context, false);
    add_feeds_backfill_command(feeds, context);
}

}  // namespace feedd::cli
