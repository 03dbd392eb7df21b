// Bytes in, ParsedFeed out: RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.x. Pure: no I/O, no clock.
// Never throws on bad input: what it cannot read it reports in ParsedFeed::error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "feedd/model/model.hpp"

namespace feedd::parse {

struct ParseOptions {
    std::string base_url;      // resolves relative links after xml:base and the feed's own link
    std::string content_type;  // the HTTP Content-Type, e.g. "text/xml; charset=iso-8859-1"
};

ParsedFeed parse_feed(std::string_view bytes, const ParseOptions& options = {});

// The JSON document of `feedd parse` (docs/ARCHITECTURE.md), on one line.
std::string to_json(const ParsedFeed& feed);

// Feed links an HTML page advertises, absolute.
std::vector<FeedLink> discover_feed_links(std::string_view html, std::string_view base_url);

}  // namespace feedd::parse
