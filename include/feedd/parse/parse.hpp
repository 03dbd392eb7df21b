// Bytes in, ParsedFeed out: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 (feeds and entry documents), JSON Feed
// 1.x, CDF. Pure: no I/O, no clock.
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
// The same for a body the caller gives away: it is freed as soon as the parser's own copy of the
// document is loaded, so that a large body is not held three times over (body, document,
// entries' text) while the entries are read. The result is the same.
ParsedFeed parse_feed(std::string&& bytes, const ParseOptions& options = {});
inline ParsedFeed parse_feed(const char* bytes, const ParseOptions& options = {}) {
    return parse_feed(std::string_view(bytes), options);
}

// The JSON document of `feedd parse` (docs/ARCHITECTURE.md), on one line.
std::string to_json(const ParsedFeed& feed);

// Feed links an HTML page advertises, absolute.
std::vector<FeedLink> discover_feed_links(std::string_view html, std::string_view base_url);

}  // namespace feedd::parse
