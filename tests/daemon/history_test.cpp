// A feed's history (RFC 5005 archived and paged feeds, WordPress's ?paged=N): the walk on a feed's
// first poll and `feedd feeds backfill`, against real HTTP servers on 127.0.0.1, through the
// binary CMake built.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "support/archive.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

using namespace feedd::test;

namespace {

// An Atom document with items `first`..`last` (ids urn:item:N, published on day N of 2020) and
// the history markup `extra` (links, fh:complete).
std::string atom_page(int first, int last, const std::string& extra) {
    std::string out = R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:fh="http://purl.org/syndication/history/1.0">
<title>History</title><id>urn:history</id><updated>2020-02-01T00:00:00Z</updated>
)" + extra + "\n";
    for (int n = last; n >= first; --n) {
        char day[32];
        std::snprintf(day, sizeof day, "2020-01-%02dT10:00:00Z", n);
        out += "<entry><id>urn:item:" + std::to_string(n) + "</id><title>Item " + std::to_string(n) +
               "</title><link href=\"https://example.org/item/" + std::to_string(n) + "\"/><published>" +
               day + "</published><updated>" + day + "</updated><summary>Text " + std::to_string(n) +
               "</summary></entry>\n";
    }
    return out + "</feed>\n";
}

std::string rel_link(const std::string& rel, const std::string& href) {
    return "<link rel=\"" + rel + "\" href=\"" + href + "\"/>";
}

// Serves `body` with an ETag, answering 304 when the client sends it back.
Handler serve(std::string body, std::string etag) {
    return [body = std::move(body), etag = std::move(etag)](const Request& request) {
        if (request.header("if-none-match") == etag) return Response::with_status(304);
        auto response = Response::text(body, "application/atom+xml");
        response.headers.emplace_back("ETag", etag);
        return response;
    };
}

std::multiset<std::string> titles(const TempDir& dir) {
    return archived_titles(dir / "feedd.db");
}

std::multiset<std::string> items(int first, int last) {
    std::multiset<std::string> out;
    for (int n = first; n <= last; ++n) out.insert("Item " + std::to_string(n));
    return out;
}

// An archived feed (RFC 5005 section 4): the subscription document (items 7-9) and two archive
// documents before it (4-6, then 1-3).
struct ArchiveChain {
    HttpServer server;
    ArchiveChain() {
        server.route("/feed.xml",
                     serve(atom_page(7, 9, rel_link("prev-archive", "/archive/2.xml")), "\"current\""));
        server.route(
            "/archive/2.xml",
            serve(atom_page(4, 6, rel_link("prev-archive", "/archive/1.xml") + "<fh:archive/>"), "\"a2\""));
        server.route("/archive/1.xml", serve(atom_page(1, 3, "<fh:archive/>"), "\"a1\""));
    }
    std::size_t fetched(const std::string& path) const { return server.requests(path).size(); }
};

}  // namespace

TEST_CASE("history: a first poll walks an archive chain of three pages, archiving every item once") {
    ArchiveChain chain;
    TempDir dir;
    write_file(dir / "feeds.toml", config_with("", feed_block("chain", chain.server.url("/feed.xml"))));
    FeeddCli feedd{dir};

    const auto first = feedd({"poll", "--once"});
    INFO("stderr: " << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(titles(dir) == items(1, 9));
    CHECK(chain.fetched("/archive/2.xml") == 1);
    CHECK(chain.fetched("/archive/1.xml") == 1);
    CHECK(first.err.find("chain: history: 2 earlier pages, 6 new items") != std::string::npos);
    // Pages are fetched unconditionally: the feed's validators are its document's.
    for (const auto& request : chain.server.requests("/archive/2.xml"))
        CHECK_FALSE(request.has_header("if-none-match"));

    {
        auto archive = open_read_only(dir / "feedd.db");
        // A history page's fetch state does not replace the subscription document's.
        CHECK(archive.feed_state("chain").etag == "\"current\"");
        // Entries keep their own dates.
        for (const auto& row : all_articles(archive)) {
            REQUIRE(row.published);
            CHECK(feedd::format_utc(*row.published).starts_with("2020-01-0"));
        }
    }

    // A second poll is an ordinary poll: the document answers 304, no page is fetched again.
    const auto second = feedd({"poll", "--once", "--force"});
    INFO("stderr: " << second.err);
    REQUIRE(second.exit_code == 0);
    CHECK(second.out.find("chain: not-modified") != std::string::npos);
    CHECK(titles(dir) == items(1, 9));
    CHECK(chain.fetched("/archive/2.xml") == 1);
    CHECK(chain.fetched("/archive/1.xml") == 1);
}

TEST_CASE("history: the page bound and the byte bound stop the walk") {
    ArchiveChain chain;
    TempDir dir;
    SUBCASE("backfill_pages = 1: one earlier page") {
        write_file(dir / "feeds.toml",
                   config_with("backfill_pages = 1\n", feed_block("chain", chain.server.url("/feed.xml"))));
        const auto poll = FeeddCli{dir}({"poll", "--once"});
        INFO("stderr: " << poll.err);
        REQUIRE(poll.exit_code == 0);
        CHECK(titles(dir) == items(4, 9));
        CHECK(chain.fetched("/archive/2.xml") == 1);
        CHECK(chain.fetched("/archive/1.xml") == 0);
        CHECK(poll.err.find("stopped: page bound (1)") != std::string::npos);
    }
    SUBCASE("backfill_pages = 0: none") {
        write_file(dir / "feeds.toml",
                   config_with("backfill_pages = 0\n", feed_block("chain", chain.server.url("/feed.xml"))));
        REQUIRE(FeeddCli{dir}({"poll", "--once"}).exit_code == 0);
        CHECK(titles(dir) == items(7, 9));
        CHECK(chain.fetched("/archive/2.xml") == 0);
    }
    SUBCASE("backfill_bytes: a page larger than what is left is not taken") {
        chain.server.route(
            "/archive/2.xml",
            serve(atom_page(4, 6, "<subtitle>" + std::string(2000, 'x') + "</subtitle>"), "\"a2\""));
        write_file(dir / "feeds.toml", config_with("backfill_bytes = \"1KiB\"\n",
                                                   feed_block("chain", chain.server.url("/feed.xml"))));
        const auto poll = FeeddCli{dir}({"poll", "--once"});
        INFO("stderr: " << poll.err);
        REQUIRE(poll.exit_code == 0);
        CHECK(titles(dir) == items(7, 9));
        CHECK(poll.err.find("stopped: byte bound (1024 bytes)") != std::string::npos);
    }
}

TEST_CASE("history: a complete feed has no history to fetch") {
    HttpServer server;
    server.route("/feed.xml",
                 serve(atom_page(7, 9, "<fh:complete/>" + rel_link("prev-archive", "/old.xml")), "\"c\""));
    server.route("/old.xml", serve(atom_page(1, 3, ""), "\"o\""));
    TempDir dir;
    write_file(dir / "feeds.toml", config_with("", feed_block("complete", server.url("/feed.xml"))));
    const auto poll = FeeddCli{dir}({"--log-level", "debug", "poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(titles(dir) == items(7, 9));
    CHECK(server.requests("/old.xml").empty());
    CHECK(poll.err.find("complete: history: the feed is complete (fh:complete): it has no history") !=
          std::string::npos);
}

TEST_CASE("history: a paged feed whose next page leads back to its first page stops there") {
    HttpServer server;
    // The loop comes back under another spelling of the first page's URL (a fragment).
    server.route("/paged.xml", serve(atom_page(7, 9, rel_link("next", "/paged-2.xml")), "\"p1\""));
    server.route("/paged-2.xml", serve(atom_page(4, 6, rel_link("next", "/paged-3.xml")), "\"p2\""));
    server.route("/paged-3.xml",
                 serve(atom_page(1, 3, rel_link("next", server.url("/paged.xml") + "#top")), "\"p3\""));
    TempDir dir;
    write_file(dir / "feeds.toml", config_with("", feed_block("paged", server.url("/paged.xml"))));
    const auto poll = FeeddCli{dir}({"poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(titles(dir) == items(1, 9));
    CHECK(server.requests("/paged.xml").size() == 1);
    CHECK(server.requests("/paged-2.xml").size() == 1);
    CHECK(server.requests("/paged-3.xml").size() == 1);
    CHECK(poll.err.find("stopped: a page already visited") != std::string::npos);
}

TEST_CASE("history: a paged feed's page that brings nothing new ends the walk") {
    HttpServer server;
    server.route("/paged.xml", serve(atom_page(7, 9, rel_link("next", "/paged-2.xml")), "\"p1\""));
    // The server ignores the page: the same items under a new URL each time.
    server.route("/paged-2.xml", serve(atom_page(7, 9, rel_link("next", "/paged-3.xml")), "\"p2\""));
    server.route("/paged-3.xml", serve(atom_page(1, 3, ""), "\"p3\""));
    TempDir dir;
    write_file(dir / "feeds.toml", config_with("", feed_block("paged", server.url("/paged.xml"))));
    const auto poll = FeeddCli{dir}({"poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(titles(dir) == items(7, 9));
    CHECK(server.requests("/paged-2.xml").size() == 1);
    CHECK(server.requests("/paged-3.xml").empty());
    CHECK(poll.err.find("stopped: a page repeating an earlier page's items") != std::string::npos);
}

TEST_CASE("history: credentials go to an earlier page on the feed's origin, never to another origin's") {
    HttpServer configured;
    HttpServer other;  // another port: another origin
    configured.route("/feed.xml",
                     serve(atom_page(7, 9, rel_link("prev-archive", "/archive/2.xml")), "\"c\""));
    configured.route("/archive/2.xml",
                     serve(atom_page(4, 6, rel_link("prev-archive", other.url("/archive/1.xml"))), "\"a2\""));
    other.route("/archive/1.xml", serve(atom_page(1, 3, ""), "\"a1\""));
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("", feed_block("private", configured.url("/feed.xml"),
                                          "username = \"alice\"\npassword_env = \"FEED_PASSWORD\"\n"
                                          "headers = { \"X-Api-Key\" = \"key-of-alice\" }\n")));
    const auto poll = FeeddCli{dir}({"poll", "--once"}, {{"FEED_PASSWORD", "hunter2"}});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(titles(dir) == items(1, 9));
    const auto same_origin = configured.requests("/archive/2.xml");
    REQUIRE(same_origin.size() == 1);
    CHECK(same_origin[0].header("authorization") == "Basic YWxpY2U6aHVudGVyMg==");  // alice:hunter2
    CHECK(same_origin[0].header("x-api-key") == "key-of-alice");
    const auto elsewhere = other.requests("/archive/1.xml");
    REQUIRE(elsewhere.size() == 1);
    CHECK_FALSE(elsewhere[0].has_header("authorization"));
    CHECK_FALSE(elsewhere[0].has_header("x-api-key"));
}

TEST_CASE("history: WordPress's ?paged=N only for a feed whose operator asked for it") {
    HttpServer server;
    std::map<std::string, std::string> pages = {
        {"", atom_page(7, 9, "")}, {"paged=2", atom_page(4, 6, "")}, {"paged=3", atom_page(1, 3, "")}};
    auto wordpress = [pages](const Request& request) {
        const auto query = request.target.find('?') == std::string::npos
                               ? std::string()
                               : request.target.substr(request.target.find('?') + 1);
        const auto page = pages.find(query);
        if (page == pages.end()) return Response::with_status(404);
        return Response::text(page->second, "application/atom+xml");
    };
    server.route("/asked/feed/", wordpress);
    server.route("/plain/feed/", wordpress);
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("", feed_block("asked", server.url("/asked/feed/"), "backfill = \"paged\"\n") +
                                   feed_block("plain", server.url("/plain/feed/"))));
    const auto poll = FeeddCli{dir}({"poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);

    std::vector<std::string> asked;
    for (const auto& request : server.requests("/asked/feed/")) asked.push_back(request.target);
    CHECK(asked == std::vector<std::string>{"/asked/feed/", "/asked/feed/?paged=2", "/asked/feed/?paged=3",
                                            "/asked/feed/?paged=4"});
    CHECK(poll.err.find("asked: history: 2 earlier pages, 6 new items") != std::string::npos);
    CHECK(poll.err.find("stopped: no page 4 (404)") != std::string::npos);
    const auto plain = server.requests("/plain/feed/");
    REQUIRE(plain.size() == 1);
    CHECK(plain[0].target == "/plain/feed/");

    auto archive = open_read_only(dir / "feedd.db");
    CHECK(all_articles(archive, {"asked"}).size() == 9);
    CHECK(all_articles(archive, {"plain"}).size() == 3);
}

TEST_CASE("history: a server that ignores ?paged=N serves its first page again, and the walk stops") {
    HttpServer server;
    server.route("/feed/",
                 [](const Request&) { return Response::text(atom_page(7, 9, ""), "application/atom+xml"); });
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_with("", feed_block("ignores", server.url("/feed/"), "backfill = \"paged\"\n")));
    const auto poll = FeeddCli{dir}({"poll", "--once"});
    INFO("stderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(server.requests("/feed/").size() == 2);
    CHECK(poll.err.find("stopped: a page repeating an earlier page's items") != std::string::npos);
    CHECK(titles(dir) == items(7, 9));
}

TEST_CASE("history: `feedd feeds backfill` walks now, prints a summary, and exits 0, 1 or 2") {
    ArchiveChain chain;
    TempDir dir;
    // The first poll took no history; the operator asks for it later.
    write_file(dir / "feeds.toml",
               config_with("backfill_pages = 0\n", feed_block("chain", chain.server.url("/feed.xml"))));
    FeeddCli feedd{dir};
    REQUIRE(feedd({"poll", "--once"}).exit_code == 0);
    REQUIRE(titles(dir) == items(7, 9));

    const auto one = feedd({"feeds", "backfill", "chain", "--pages", "1"});
    INFO("stderr: " << one.err);
    CHECK(one.exit_code == 0);
    CHECK(one.out.starts_with("chain: history: 1 earlier page, 3 new items, 3 already archived, "));
    CHECK(one.out.find("; stopped: page bound (1)\n") != std::string::npos);
    CHECK(titles(dir) == items(4, 9));
    CHECK(chain.fetched("/archive/1.xml") == 0);
    {
        // The walk leaves the feed's own fetch state alone.
        auto archive = open_read_only(dir / "feedd.db");
        CHECK(archive.feed_state("chain").etag == "\"current\"");
    }

    const auto all = feedd({"feeds", "backfill", "chain"});
    INFO("stderr: " << all.err);
    CHECK(all.exit_code == 0);
    CHECK(all.out.starts_with("chain: history: 2 earlier pages, 3 new items, 6 already archived, "));
    CHECK(all.out.find("; stopped: the earliest archive page\n") != std::string::npos);
    CHECK(titles(dir) == items(1, 9));

    // Usage mistakes and unknown feeds: 2.
    CHECK(feedd({"feeds", "backfill", "nosuch"}).exit_code == 2);
    CHECK(feedd({"feeds", "backfill", "chain", "--pages", "0"}).exit_code == 2);

    // A page that fails: 1, one line, and what was archived stays.
    chain.server.route("/archive/2.xml", [](const Request&) { return Response::with_status(500); });
    const auto failed = feedd({"feeds", "backfill", "chain"});
    CHECK(failed.exit_code == 1);
    CHECK(failed.out.find("stopped: error: ") != std::string::npos);
    CHECK(failed.out.find("/archive/2.xml") != std::string::npos);
    CHECK(titles(dir) == items(1, 9));

    // The archive held by another feedd (the daemon): 1, with what to do.
    {
        auto held = feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_write);
        const auto busy = feedd({"feeds", "backfill", "chain"});
        CHECK(busy.exit_code == 1);
        CHECK(busy.err.find("another feedd holds the archive") != std::string::npos);
        CHECK(busy.err.find("stop it (systemctl stop feedd), run this again, then start it") !=
              std::string::npos);
    }
}
