// A walk through a feed's history (RFC 5005 archived and paged feeds, WordPress's ?paged=N): which
// page comes next and why the walk stops. Pure: the pipeline fetches and writes each page through
// the same gates, fetch options and writer as a poll; the walk only reads what each page showed
// (docs/ARCHITECTURE.md, "History").
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "feedd/daemon/daemon.hpp"
#include "feedd/model/model.hpp"

namespace feedd::daemon {

struct HistoryBounds {
    int pages = 10;  // earlier pages, the feed's own document not counted
    std::int64_t bytes = std::int64_t{64} << 20;
};

// What one written page showed the walk.
struct HistoryPage {
    bool is_feed = true;
    std::string error;               // the parser's, when it is no feed
    std::vector<std::string> items;  // each entry's id, else its link, else its title and date
    std::string prev_archive;
    std::string next_page;
    bool complete = false;
    int new_items = 0;    // from the archive's counts, once written
    int known_items = 0;  // entries it had already (tombstoned ones included)
};

// The page's links and items, without the archive's counts.
[[nodiscard]] HistoryPage history_page(const ParsedFeed& parsed);

class HistoryWalk {
  public:
    // A walk whose first fetch is the feed's document at `url` (`feedd feeds backfill`).
    HistoryWalk(const FeedSource& feed, const std::string& url, HistoryBounds bounds);
    // The walk after a poll fetched the feed's document at `url` (its first poll): what the
    // document links to comes next, or the walk is done at once (report().stopped says why).
    [[nodiscard]] static HistoryWalk after_document(const FeedSource& feed, const std::string& url,
                                                    const HistoryPage& document, HistoryBounds bounds);

    [[nodiscard]] bool done() const { return next_.empty(); }
    // The page to fetch next; empty once done.
    [[nodiscard]] const std::string& next() const { return next_; }
    // What the next page may weigh (its fetch's max_body): the byte bound's remainder.
    [[nodiscard]] std::int64_t bytes_left() const { return bounds_.bytes - report_.bytes; }
    // The next page arrived (`final_url` after redirects, `bytes` decoded).
    void fetched(const std::string& final_url, std::int64_t bytes);
    // The next page did not arrive; `budget` when its fetch was capped by the byte bound.
    void fetch_failed(const FetchResult& result, bool budget);
    // The page that arrived was written (or refused: `error`).
    void written(const HistoryPage& page);
    void write_failed(const std::string& error);
    [[nodiscard]] const BackfillReport& report() const { return report_; }

  private:
    enum class Rel { none, prev_archive, next };
    void go(const std::string& url);
    void stop(std::string why, bool failed = false);
    [[nodiscard]] std::string paged_url(int page) const;

    BackfillMode mode_;
    std::string document_url_;
    HistoryBounds bounds_;
    Rel rel_ = Rel::none;
    int paged_ = 1;  // the ?paged=N last asked for
    bool at_document_ = true;
    std::set<std::string> visited_;  // normalised URLs of the pages fetched or asked for
    std::set<std::string> items_;    // items seen on this walk's pages
    std::string next_;
    BackfillReport report_;
};

}  // namespace feedd::daemon
