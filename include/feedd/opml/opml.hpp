// OPML 1.0/2.0 import and 2.0 export.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/model/model.hpp"

namespace feedd::opml {

// Attributes feedd adds in its own namespace, so that its exports round-trip what plain OPML has
// no place for (the feed's name, its being disabled). Other readers ignore them.
inline constexpr std::string_view feedd_namespace = "https://github.com/feedd/feedd/opml";

// A feed as exported: its configuration plus what the archive last saw of it.
struct ExportFeed {
    FeedSource source;
    std::string feed_title;  // as the archive last saw it
    std::string site_link;
    bool disabled = false;  // not polled: `enabled = false`, or gone (410) in the archive
};

struct ExportOptions {
    std::string title = "feedd subscriptions";
    TimePoint created{};
};

// OPML 2.0, UTF-8: each category path ("News/Asia") as nested folder outlines, folders and feeds
// in the order they first appear in `feeds`, tags in the `category` attribute.
std::string export_opml(const std::vector<ExportFeed>& feeds, const ExportOptions& options);

struct ImportedFeed {
    std::string url;
    std::string title;  // `text`, else `title`
    std::string site_link;
    std::string category;  // first folder path, "News/Asia"
    std::vector<std::string> tags;
    std::string name;     // only from feedd's own exports
    bool enabled = true;  // false only from feedd's own exports
};

struct SkippedOutline {
    std::string text;  // what identifies it for people: its text, title or URL
    std::string reason;
};

struct ImportResult {
    std::string title;                // the document's <head><title>
    std::vector<ImportedFeed> feeds;  // one per URL, in document order
    std::vector<SkippedOutline> skipped;
};

// Bad input (not XML, not OPML, a DTD that declares entities): one line.
class OpmlError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

ImportResult import_opml(std::string_view xml);

}  // namespace feedd::opml
