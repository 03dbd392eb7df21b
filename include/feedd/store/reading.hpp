// Per-user reading state (read/unread, starred) for the HTTP API, in tables of its own that never
// touch articles or entries (docs/ARCHITECTURE.md, "Reading state"). Included by store.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "feedd/model/model.hpp"

namespace feedd::store {

// Which entries a reader asks for. Empty/absent members do not filter.
struct EntryFilter {
    std::string user;  // whose reading state
    std::optional<bool> read;
    std::optional<bool> starred;
    std::vector<std::string> feeds;  // feed names (configured feeds only are ever listed)
    std::vector<std::int64_t> ids;   // entry ids
    // Only entries of these articles (a search's result); `by_articles` says the list applies
    // even when empty (a search that found nothing).
    std::vector<std::int64_t> articles;
    bool by_articles = false;
    std::optional<TimePoint> before, after;  // the entry's date: published, else first seen
    std::optional<std::int64_t> before_id, after_id;
    std::optional<TimePoint> seen_from, seen_to;  // first seen within [from, to] (a sync since then)
    enum class Order { date, id } order = Order::date;
    bool descending = true;
    int limit = 100;  // <= 0: no limit
    std::int64_t offset = 0;
    // False: EntryPage::total is left at 0, not counted. A page read by a cursor needs no total,
    // and counting every match is most of the work of a page on a large archive.
    bool count_total = true;
    // True: each ReaderEntry holds its ids, feed, dates and state only, not the entry itself (no
    // text, no enclosures): a list of ids (Google Reader's stream/items/ids, up to 10 000).
    bool ids_only = false;
};

// One entry with its reader's state.
struct ReaderEntry {
    std::int64_t id = 0;          // entries.id: the API's entry id
    std::int64_t article_id = 0;  // the state is the article's: read once, read in every feed
    std::int64_t feed_id = 0;     // the archive's number of the feed (ReadCounts::feed_id)
    std::string feed;             // feed name
    std::string identity;         // "guid:…", "link:…", "hash:…"
    Entry entry;                  // title, link, author, summary, content, dates, categories, enclosures
    TimePoint first_seen{};
    std::optional<TimePoint> changed_at;
    TimePoint date{};  // published, else first seen
    bool read = false;
    bool starred = false;
};

struct EntryPage {
    std::vector<ReaderEntry> entries;
    std::int64_t total = 0;  // all that match, beyond limit and offset
};

struct ReadCounts {
    std::string feed;
    std::int64_t feed_id = 0;  // the archive's number of the feed: the API's feed id
    std::int64_t read = 0;
    std::int64_t unread = 0;
};

}  // namespace feedd::store
