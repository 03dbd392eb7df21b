// The SQLite archive: schema, migrations, identity, revisions, feed state, queries, maintenance.
// The only module that speaks SQL; its interface carries no SQLite type.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "feedd/model/model.hpp"

namespace feedd::store {

// Opening failures (corrupt file, newer schema, not a database, missing archive): one line.
class StoreError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

enum class OpenMode {
    read_write,  // creates the archive and migrates it
    read_only,   // never creates: a missing archive is a StoreError
};

// What one poll changed.
struct IngestCounts {
    int new_articles = 0;
    int new_entries = 0;  // also counts entries that joined an existing article
    int updated_entries = 0;
    int unchanged_entries = 0;
    std::vector<std::int64_t> new_article_ids;
};

class Archive {
  public:
    // ":memory:" works for tests. Throws StoreError.
    static Archive open(const std::filesystem::path& path, OpenMode mode);

    Archive(Archive&&) noexcept;
    Archive& operator=(Archive&&) noexcept;
    ~Archive();

    // Registers feeds of the configuration (by name) and refreshes their configured metadata.
    // Feeds no longer configured keep their articles.
    void sync_feeds(const std::vector<FeedSource>& feeds);

    // Learned state of one feed; a default FeedState (with `name`) when never polled.
    FeedState feed_state(const std::string& name);
    std::vector<FeedState> feed_states();

    // One poll, one transaction: the feed's entries (when `parsed` is not null) and its new state.
    // Throws StoreError when the write fails (disk full, read-only): nothing of it is kept.
    IngestCounts commit_poll(const FeedSource& feed, const ParsedFeed* parsed, const FeedState& state,
                             TimePoint now);

    struct Impl;

  private:
    explicit Archive(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Canonical form of a link for cross-feed identity (ARCHITECTURE.md): lowercase scheme and host,
// http/https and a leading www. alike, default port, fragment and tracking parameters dropped.
std::string canonical_link(std::string_view url);

}  // namespace feedd::store
