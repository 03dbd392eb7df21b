// Hostile feeds through `feedd poll` (issue 8): what the parser bounds is what the archive keeps.
#include <doctest/doctest.h>

#include "feedd/store/store.hpp"
#include "support/archive.hpp"
#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;

TEST_CASE(
    "hostile: a 1 MB title through feedd poll is archived cut to 4096 bytes, the body whole, and the log "
    "says why") {
    const std::string title(1 << 20, 'A');
    std::string body;
    for (int i = 0; i < 100000; ++i) body += "word ";
    const std::string feed =
        "<rss version=\"2.0\"><channel><title>" + title + "</title><item><title>" + title +
        "</title><guid>one</guid><description>" + body +
        "</description></item><item><title>next</title><guid>two</guid></item></channel></rss>";
    HttpServer server;
    server.route("/big.xml",
                 [&](const feedd::test::Request&) { return Response::text(feed, "application/rss+xml"); });
    TempDir dir;
    write_file(dir / "feeds.toml", one_feed_config("var/feedd.db", "big", server.url("/big.xml")));
    const std::string config = (dir / "feeds.toml").string();

    const auto poll = run_feedd(dir.path(), {"--config", config, "poll", "--once"});
    INFO("stderr: " << poll.err.substr(0, 2000));
    REQUIRE(poll.exit_code == 0);
    CHECK(poll.out.find("big: updated, HTTP 200, 2 new") != std::string::npos);
    CHECK(poll.err.find("big: feed repaired: feed title of 1048576 bytes cut to 4096") != std::string::npos);
    CHECK(poll.err.size() < 4096);  // the log quotes no title

    auto archive = open_read_only(dir / "var/feedd.db");
    const auto feeds = archive.feed_summaries();
    REQUIRE(feeds.size() == 1);
    CHECK(feeds[0].title.size() <= 4096);
    CHECK(feeds[0].title.starts_with("AAAA"));
    const auto rows = all_articles(archive);
    REQUIRE(rows.size() == 2);
    bool found = false;
    for (const auto& row : rows) {
        if (row.title == "next") continue;
        found = true;
        CHECK(row.title.size() <= 4096);
        CHECK(row.title.ends_with("\u2026"));
        const auto detail = archive.article(row.id);
        REQUIRE(detail.has_value());
        CHECK(detail->fullest().entry.summary.size() == body.size());
    }
    CHECK(found);

    // Listing the archive prints bounded lines.
    const auto listed = run_feedd(dir.path(), {"--config", config, "query"});
    CHECK(listed.exit_code == 0);
    CHECK(listed.out.size() < 3 * 4096);
}
