#include "daemon/history.hpp"

#include <algorithm>
#include <utility>

#include "feedd/config/config.hpp"

namespace feedd::daemon {

HistoryPage history_page(const ParsedFeed& parsed) {
    HistoryPage page;
    page.is_feed = parsed.is_feed;
    page.error = parsed.error;
    page.prev_archive = parsed.prev_archive;
    page.next_page = parsed.next_page;
    page.complete = parsed.complete;
    page.items.reserve(parsed.entries.size());
    for (const auto& entry : parsed.entries) {
        if (!entry.id.empty())
            page.items.push_back("id:" + entry.id);
        else if (!entry.link.empty())
            page.items.push_back("link:" + entry.link);
        else
            page.items.push_back("title:" + entry.title + "@" +
                                 (entry.published ? format_utc(*entry.published) : std::string()));
    }
    return page;
}

HistoryWalk::HistoryWalk(const FeedSource& feed, const std::string& url, HistoryBounds bounds)
    : mode_(feed.backfill), document_url_(url), bounds_(bounds) {
    report_.feed = feed.name;
    visited_.insert(config::normalize_url(url));
    next_ = url;
}

HistoryWalk HistoryWalk::after_document(const FeedSource& feed, const std::string& url,
                                        const HistoryPage& document, HistoryBounds bounds) {
    HistoryWalk walk(feed, url, bounds);
    // The poll fetched the document from the configured URL, maybe through redirects to `url`.
    walk.visited_.insert(config::normalize_url(feed.url));
    walk.written(document);
    return walk;
}

void HistoryWalk::fetched(const std::string& final_url, std::int64_t bytes) {
    if (!final_url.empty()) visited_.insert(config::normalize_url(final_url));
    report_.bytes += bytes;
    if (!at_document_) report_.pages += 1;
}

void HistoryWalk::fetch_failed(const FetchResult& result, bool budget) {
    const std::string where = at_document_ ? "the feed's document" : next_;
    if (budget && result.error == FetchErrorKind::too_large)
        return stop("byte bound (" + std::to_string(bounds_.bytes) + " bytes): " + next_ + " is larger");
    if (mode_ == BackfillMode::paged && !at_document_ && result.status == 404)
        return stop("no page " + std::to_string(paged_) + " (404)");
    std::string why = result.error_message;
    if (why.empty()) why = "HTTP " + std::to_string(result.status);
    stop("error: " + where + ": " + why, true);
}

void HistoryWalk::write_failed(const std::string& error) {
    stop("error: " + error, true);
}

void HistoryWalk::written(const HistoryPage& page) {
    const bool document = std::exchange(at_document_, false);
    if (!page.is_feed) return stop("error: " + next_ + ": " + page.error, true);
    report_.new_items += page.new_items;
    report_.known_items += page.known_items;
    const bool repeats =
        !page.items.empty() && std::all_of(page.items.begin(), page.items.end(),
                                           [&](const auto& item) { return items_.count(item) > 0; });
    items_.insert(page.items.begin(), page.items.end());
    if (document) {
        if (page.complete) return stop("the feed is complete (fh:complete): it has no history");
        if (mode_ == BackfillMode::off) return stop("backfill = \"off\"");
        if (mode_ == BackfillMode::paged) return go(paged_url(paged_ = 2));
        if (!page.prev_archive.empty()) {
            rel_ = Rel::prev_archive;
            return go(page.prev_archive);
        }
        if (!page.next_page.empty()) {
            rel_ = Rel::next;
            return go(page.next_page);
        }
        return stop("the feed links no earlier page");
    }
    if (page.items.empty()) return stop("an empty page");
    if (mode_ == BackfillMode::paged || rel_ == Rel::next) {
        // A paged feed shifts as it publishes, so pages overlap; one that brings nothing new has
        // reached what is archived, or the server ignores the page number.
        if (repeats) return stop("a page repeating an earlier page's items");
        if (page.new_items == 0) return stop("a page with no new items");
    }
    if (mode_ == BackfillMode::paged) return go(paged_url(++paged_));
    if (rel_ == Rel::prev_archive) {
        if (page.prev_archive.empty()) return stop("the earliest archive page");
        return go(page.prev_archive);
    }
    if (page.next_page.empty()) return stop("the last page");
    go(page.next_page);
}

void HistoryWalk::go(const std::string& url) {
    if (!visited_.insert(config::normalize_url(url)).second) return stop("a page already visited: " + url);
    if (report_.pages >= bounds_.pages) return stop("page bound (" + std::to_string(bounds_.pages) + ")");
    if (bytes_left() <= 0) return stop("byte bound (" + std::to_string(bounds_.bytes) + " bytes)");
    next_ = url;
}

void HistoryWalk::stop(std::string why, bool failed) {
    next_.clear();
    report_.stopped = std::move(why);
    report_.failed = failed;
}

std::string HistoryWalk::paged_url(int page) const {
    std::string url = document_url_.substr(0, document_url_.find('#'));
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "paged=" + std::to_string(page);
}

}  // namespace feedd::daemon
