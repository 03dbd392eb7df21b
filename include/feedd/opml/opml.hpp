// OPML 1.0/2.0 import and 2.0 export.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/model/model.hpp"

namespace feedd::opml {

// A feed as exported: its configuration plus what the archive last saw of it.
struct ExportFeed {
    FeedSource source;
    std::string feed_title;  // as the archive last saw it
    std::string site_link;
    bool disabled = false;
};

struct ExportOptions {
    std::string title = "feedd subscriptions";
    TimePoint created{};
};

std::string export_opml(const std::vector<ExportFeed>& feeds, const ExportOptions& options);

struct ImportedFeed {
    std::string url;
    std::string title;
    std::string site_link;
    std::string category;  // first folder path
    std::vector<std::string> tags;
};

struct SkippedOutline {
    std::string text;
    std::string reason;
};

struct ImportResult {
    std::vector<ImportedFeed> feeds;  // one per URL, in document order
    std::vector<SkippedOutline> skipped;
};

class OpmlError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

ImportResult import_opml(std::string_view xml);

}  // namespace feedd::opml
