// The feed-list commands as functions over values, so that tests call them without a process:
// check-config, import-opml, export-opml, feeds list|add|remove|enable|disable.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/api/api.hpp"
#include "feedd/config/config.hpp"
#include "feedd/model/model.hpp"
#include "feedd/opml/opml.hpp"
#include "feedd/store/store.hpp"

namespace feedd::cli {

// What `feedd check-config` prints after a successful load.
std::string describe_config(const config::Config& config,
                            const std::optional<std::filesystem::path>& db_flag);

// What an OPML import does to a feed list.
struct ImportPlan {
    struct Present {
        std::string url;
        std::string name;  // the configured feed it matches
    };
    std::vector<FeedSource> added;
    std::vector<Present> present;
    std::vector<opml::SkippedOutline> skipped;
};

// New feeds get the name the file gives (feedd's own exports), else one from their title, else
// from their URL, unique against `configured`. URLs are compared after normalisation.
ImportPlan plan_import(const std::vector<FeedSource>& configured, const opml::ImportResult& imported);

// Imports `opml_text` into the configuration at `config_path` (appending; created when missing),
// unless `dry_run`. Throws opml::OpmlError or config::ConfigError with the file unchanged.
ImportPlan import_opml_text(const std::filesystem::path& config_path, std::string_view opml_text,
                            bool dry_run,
                            std::string_view new_file_header =
                                "# feedd's configuration, created by `feedd import-opml`.\n"
                                "# Settings go in a [settings] table; see feeds.toml in feedd's sources.\n");

// `feedd init`: the commented feeds.toml it writes (every setting at its default, commented out).
std::string init_template();
struct InitResult {
    config::Config config;               // as written, loaded back
    std::optional<ImportPlan> imported;  // with --from-opml
};
// Writes init_template() to `config_path` (its folders created), with the feeds of `opml_text`
// when given, through import_opml_text. Throws std::runtime_error when the file exists (it is
// never written over), opml::OpmlError for a bad export (nothing written).
InitResult init_config(const std::filesystem::path& config_path, const std::optional<std::string>& opml_text);

// The report of an import, for people.
std::string describe_import(const ImportPlan& plan, const std::filesystem::path& config_path, bool dry_run);

// The configured feeds with what the archive knows of them: the feed's own title and site link;
// gone feeds are marked disabled. One function for export-opml and the API's /v1/export.
using api::export_feeds;

// `feeds add`: validates, derives a name when none is given, appends. Throws UsageError for a bad
// URL or name, std::runtime_error when the URL or name is configured already.
FeedSource add_feed(const std::filesystem::path& config_path, const std::string& url, const std::string& name,
                    const std::string& category);

// A feed's state in `feeds list`, as the web page's /feeds shows it (api::feed_status).
using api::FeedStatus;
using api::to_string;

// `feeds list`: one row per configured feed, then the archive's feeds no longer configured.
struct FeedRow {
    std::string name;
    std::string url;
    std::string category;
    bool configured = true;
    bool enabled = true;
    FeedStatus status = FeedStatus::unpolled;
    std::optional<store::FeedSummary> archived;
    // Moved by a permanent redirect to another origin: polled there without its credentials.
    bool credentials_withheld = false;
};
std::vector<FeedRow> feed_rows(const config::Config& config, const std::vector<store::FeedSummary>& archived);
std::string feeds_table(const std::vector<FeedRow>& rows);
std::string feeds_json(const std::vector<FeedRow>& rows);

// What to do after feeds.toml changed, for people.
std::string reload_hint(const std::filesystem::path& config_path);

}  // namespace feedd::cli
