// A saved query as a feed again (docs/ARCHITECTURE.md, "Saved queries as feeds"): the articles of
// a `feedd query` written as Atom 1.0 (RFC 4287) or JSON Feed 1.1, with their HTML sanitised, and
// the validator (ETag) a server answers conditional requests with.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "feedd/store/store.hpp"

namespace feedd::render {

// What a document says about itself.
struct FeedMeta {
    std::string title;     // plain text
    std::string self_url;  // absolute: where the document is served (Atom rel="self", JSON feed_url); also
                           // the feed's id
};

// The articles of `query`, each once and in the query's order: `Archive::query` (the query
// `feedd query` runs, its errors included) and each article in full. An article pruned between the
// two reads is left out.
[[nodiscard]] std::vector<store::ArticleDetail> query_articles(store::Archive& archive,
                                                               const store::ArticleQuery& query);

// A title that says which articles a query selects ("feedd: search \"rust\", feed lwn, since
// 2024-08-01T00:00:00Z"), for FeedMeta::title. A window given as the caller wrote it ("30d") is
// printed as written, so that the title of a relative window stays the same from one second to the next.
[[nodiscard]] std::string query_title(const store::ArticleQuery& query, std::string_view since_as_asked = {},
                                      std::string_view until_as_asked = {});

// The id of an article in every document feedd writes: "tag:feedd,2024:article/ID" (RFC 4151). The
// same article has the same id in every saved query, so a reader subscribed to several shows it once.
[[nodiscard]] std::string article_id(std::int64_t id);

// Each article once: title, link, its feeds as categories (scheme "tag:feedd,2024:feed"), then the
// categories its entry carries; published (the article's date: published, else first seen) and
// updated (its latest change) as RFC 3339; author; content as sanitised HTML (html::sanitize,
// against the entry's link) in type="html", the summary too when both exist; enclosures as
// rel="enclosure" links. Valid RFC 4287; UTF-8 without what XML cannot hold.
[[nodiscard]] std::string atom(const FeedMeta& meta, std::span<const store::ArticleDetail> articles);

// The same items as JSON Feed 1.1: id, url, title, content_html (sanitised), summary (plain text),
// date_published, date_modified, authors, tags (feeds, then categories), image, attachments, and
// "_feedd": {"article_id", "feeds"}.
[[nodiscard]] std::string json_feed(const FeedMeta& meta, std::span<const store::ArticleDetail> articles);

// A strong validator for a served body: its hash, quoted ("\"<32 hex digits>\"").
[[nodiscard]] std::string etag(std::string_view body);

// True when an If-None-Match header value names `etag` (RFC 9110, 13.1.2: a list of entity tags
// or "*", compared weakly: W/"x" matches "x").
[[nodiscard]] bool etag_matches(std::string_view if_none_match, std::string_view etag);

}  // namespace feedd::render
