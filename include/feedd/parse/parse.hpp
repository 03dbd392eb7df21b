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

// ----- The article a feed links to: its main content, without the site around it.

// Why an XPath expression cannot be used ("" when it can): for config checks.
std::string xpath_error(const std::string& expression);

struct ExtractedPage {
    std::string title;  // og:title, else the page's <title>, else its first <h1>
    std::string html;   // the main content: HTML, URLs absolute, not sanitised yet
    std::string text;   // its plain text, one paragraph per line
    std::size_t words = 0;
    std::string method;    // "heuristic", or "site rule HOST"
    std::string encoding;  // what the page was read as
    std::string warning;   // e.g. a site rule that selected nothing (then the heuristic ran)
};

struct PageOptions {
    std::string url;           // where the page is (after redirects): resolves relative URLs
    std::string content_type;  // the HTTP Content-Type; else <meta charset>, else UTF-8
    std::vector<SiteRule> rules;
};

// Readability-style extraction: paragraphs score their containers (length, commas, class and id
// hints), link-heavy blocks lose, the best container and its kin are the article; navigation,
// comments, share bars and ads are dropped. Never throws on a bad page: what it cannot read
// gives an empty result.
ExtractedPage extract_article(std::string_view bytes, const PageOptions& options);

// ----- robots.txt (RFC 9309), for the pages full text fetches (docs/ARCHITECTURE.md, "Full text").

// The rules of one crawler: its own group(s) when robots.txt names its product token, else those
// of `*`; empty (everything allowed) when neither is there.
struct RobotsRules {
    struct Rule {
        bool allow = false;
        std::string pattern;  // path pattern: `*` any run of characters, a final `$` the end
        bool operator==(const Rule&) const = default;
    };
    std::vector<Rule> rules;
    bool operator==(const RobotsRules&) const = default;
};
// The first 512 KiB are read (the RFC's least); lines that are no rule are ignored. `agent` is the
// crawler's product token ("feedd"), matched case-insensitively with each user-agent line's.
RobotsRules parse_robots(std::string_view text, std::string_view agent);
// Whether `path` (path and query, "/a/b?c") may be fetched: the longest matching pattern decides,
// allow on a tie; nothing matching allows; /robots.txt is always allowed. `rule`, when given, is
// set to the deciding pattern ("Disallow: /private/").
bool robots_allow(const RobotsRules& rules, std::string_view path, std::string* rule = nullptr);

}  // namespace feedd::parse
