// The parser's output and the archive's search text come from one HTML reader: an entity reads
// the same in a title as in the indexed text, and a search finds what the reader sees.
#include <doctest/doctest.h>

#include "feedd/parse/parse.hpp"
#include "feedd/store/store.hpp"

using namespace feedd;

TEST_CASE("the parser and the archive decode entities the same way") {
    // Rare names, a legacy name without ';', a windows-1252 number: each escaped once for XML.
    const std::string html = "Fa&amp;ccaron;ade &amp;#150; caf&amp;eacute &amp;amp; more";
    const std::string rss =
        "<rss version=\"2.0\"><channel><title>T</title><link>https://example.org/</link>"
        "<item><title>" +
        html + "</title><link>https://example.org/a</link><description>&lt;p&gt;" + html +
        "&lt;/p&gt;</description></item></channel></rss>";
    const ParsedFeed parsed = parse::parse_feed(rss);
    REQUIRE(parsed.entries.size() == 1);
    const std::string expected = "Fa\u010Dade \u2013 caf\u00E9 & more";
    CHECK(parsed.entries[0].title == expected);

    auto archive = store::Archive::open(":memory:", store::OpenMode::read_write);
    FeedSource source;
    source.name = "example";
    source.url = "https://example.org/feed";
    archive.sync_feeds({source});
    archive.commit_poll(source, &parsed, FeedState{}, TimePoint{std::chrono::seconds(1'700'000'000)});

    store::ArticleQuery query;
    query.search = "facade";  // diacritics folded: the index holds the decoded word
    const auto rows = archive.query(query);
    REQUIRE(rows.size() == 1);
    const auto article = archive.article(rows[0].id);
    REQUIRE(article);
    CHECK(article->fullest().text == parsed.entries[0].title);
}
