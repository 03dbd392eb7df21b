// A better parser can give an entry another id than the version that archived it (RSS 1.0's
// rdf:about over dc:identifier, a new fallback). The archive must match the entry it has, not
// store a second copy.
#include <doctest/doctest.h>

#include <string>

#include "feedd/parse/parse.hpp"
#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "store/stores.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::utc;

namespace {

// A journal's RSS 1.0 feed of `count` articles; each item has rdf:about and dc:identifier.
std::string journal_feed(int count) {
    std::string items, seq;
    for (int i = 1; i <= count; ++i) {
        const std::string url = "https://journal.example.org/article/10.5555/je." + std::to_string(i);
        seq += "<rdf:li rdf:resource=\"" + url + "\"/>";
        items += "<item rdf:about=\"" + url + "\"><title>Article " + std::to_string(i) + "</title><link>" +
                 url + "</link><description>Abstract " + std::to_string(i) +
                 "</description><dc:identifier>doi:10.5555/je." + std::to_string(i) +
                 "</dc:identifier><dc:date>2024-08-22</dc:date></item>";
    }
    return "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
           "xmlns=\"http://purl.org/rss/1.0/\" "
           "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel "
           "rdf:about=\"https://journal.example.org/rss\">"
           "<title>Journal</title><link>https://journal.example.org/</link><items><rdf:Seq>" +
           seq + "</rdf:Seq></items></channel>" + items + "</rdf:RDF>";
}

// What the previous parser made of the same bytes: dc:identifier as the id.
ParsedFeed with_previous_ids(ParsedFeed feed) {
    for (auto& entry : feed.entries) {
        const auto doi = entry.link.substr(entry.link.rfind("10.5555/"));
        entry.id = "doi:" + doi;
    }
    return feed;
}

FeedSource journal() {
    FeedSource feed;
    feed.name = "journal";
    feed.url = "https://journal.example.org/rss";
    return feed;
}

FeedState state(TimePoint now) {
    FeedState s;
    s.name = "journal";
    s.last_poll = now;
    s.last_success = now;
    s.last_status = 200;
    return s;
}

}  // namespace

STORE_TEST_CASE(
    "entries archived under the previous parser's ids are matched by their link after an upgrade") {
    for (const int count : {1, 3, 40}) {
        CAPTURE(count);
        const ParsedFeed now = parse::parse_feed(journal_feed(count));
        REQUIRE(now.entries.size() == static_cast<std::size_t>(count));
        const ParsedFeed before = with_previous_ids(now);
        REQUIRE(before.entries[0].id != now.entries[0].id);  // the upgrade changed every id

        Store store;
        auto archive = store.open();
        const auto t1 = utc(2024, 8, 22, 6, 0), t2 = utc(2024, 8, 22, 7, 0), t3 = utc(2024, 8, 22, 8, 0);
        CHECK(archive.commit_poll(journal(), &before, state(t1), t1).new_articles == count);
        const auto upgraded = archive.commit_poll(journal(), &now, state(t2), t2);
        CHECK(upgraded.new_articles == 0);
        CHECK(upgraded.new_entries == 0);
        const auto again = archive.commit_poll(journal(), &now, state(t3), t3);
        CHECK(again.new_articles == 0);
        CHECK(again.new_entries == 0);
        CHECK(again.unchanged_entries == count);
    }
}
