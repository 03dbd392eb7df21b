// Several nodes on one PostgreSQL archive (docs/ARCHITECTURE.md, "Several nodes"): membership,
// leases on feeds, retention on one node at a time. SQLite's one node holds every feed.
#include <doctest/doctest.h>

#include <libpq-fe.h>

#include <algorithm>
#include <future>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/seed_feeds.hpp"
#include "support/postgres.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::PostgresDatabase;

namespace {

using namespace std::chrono_literals;

const TimePoint nodes_t0 = test::utc(2026, 1, 1, 12);

NodeInfo node_named(const std::string& host, std::int64_t pid, const std::string& digest = "d1") {
    return NodeInfo{host, pid, "0.test", digest, 10s};
}

std::vector<FeedSource> nodes_feeds(int count) {
    std::vector<FeedSource> feeds;
    for (int i = 0; i < count; ++i) {
        FeedSource feed;
        feed.name = "feed" + std::to_string(i);
        feed.url = "https://example.org/" + feed.name + ".xml";
        feeds.push_back(std::move(feed));
    }
    return feeds;
}

std::vector<std::string> names_of(const std::vector<FeedSource>& feeds) {
    std::vector<std::string> names;
    for (const auto& feed : feeds) names.push_back(feed.name);
    return names;
}

std::vector<std::string> names_of(const std::vector<FeedState>& states) {
    std::vector<std::string> names;
    for (const auto& state : states) names.push_back(state.name);
    return names;
}

// Writes a poll of `feed` that answered 304 and sets its next poll, as the daemon's writer does.
void write_poll(Archive& archive, const FeedSource& feed, TimePoint now, TimePoint next) {
    FeedState state;
    state.name = feed.name;
    state.configured_url = feed.url;
    state.last_poll = now;
    state.last_success = now;
    state.last_status = 304;
    state.next_poll = next;
    const PollWrite write{feed, nullptr, state, now};
    REQUIRE(archive.commit_polls(std::span(&write, 1)).front().ok());
}

// Two nodes, a and b, each on its own connection to one fresh database that holds `count` feeds.
struct TwoNodes {
    explicit TwoNodes(int count)
        : a(Archive::open(db.uri(), OpenMode::read_write)),
          b(Archive::open(db.uri(), OpenMode::read_write)),
          feeds(nodes_feeds(count)),
          names(names_of(feeds)) {
        a.sync_feeds(feeds);
        node_a = a.add_node(node_named("host-a", 1), nodes_t0);
        node_b = b.add_node(node_named("host-b", 2), nodes_t0);
    }
    PostgresDatabase db;
    Archive a;
    Archive b;
    const std::vector<FeedSource> feeds;
    const std::vector<std::string> names;
    std::int64_t node_a = 0;
    std::int64_t node_b = 0;
};

}  // namespace

TEST_CASE("SQLite: one node holds every feed, nothing is recorded, a second writer is still refused") {
    test::TempDir dir;
    auto archive = Archive::open(dir / "feedd.db", OpenMode::read_write);
    CHECK_FALSE(archive.shared());
    const auto feeds = nodes_feeds(3);
    archive.sync_feeds(feeds);
    write_poll(archive, feeds[1], nodes_t0, nodes_t0 + 1h);
    const auto node = archive.add_node(node_named("a", 1), nodes_t0);
    CHECK(names_of(archive.claim_feeds(node, names_of(feeds), nodes_t0 + 1s, nodes_t0 + 11s, 10)) ==
          std::vector<std::string>{"feed0", "feed2"});
    WorkClaim all;
    all.feeds = names_of(feeds);
    CHECK(archive.claim_work(node, all, nodes_t0 + 1s, nodes_t0 + 11s, 1).due_found == 1);
    CHECK(archive.claim_work(node, all, nodes_t0 + 1s, nodes_t0 + 11s, 10).due_found == 2);
    CHECK(archive.nodes(nodes_t0).empty());
    try {
        static_cast<void>(Archive::open(dir / "feedd.db", OpenMode::read_write));
        FAIL("a second writer opened the SQLite archive");
    } catch (const ArchiveBusy& e) {
        CHECK(std::string(e.what()).find("postgresql://") != std::string::npos);
    }
}

TEST_CASE("PostgreSQL: several nodes open one archive, held while a node's heartbeat is live") {
    PostgresDatabase db;
    CHECK_FALSE(Archive::is_locked(db.uri()));
    auto a = Archive::open(db.uri(), OpenMode::read_write);
    auto b = Archive::open(db.uri(), OpenMode::read_write);
    CHECK(a.shared());
    CHECK_FALSE(Archive::is_locked(db.uri()));  // opened, but no daemon registered
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto id = a.add_node(node_named("host-a", 11), now);
    CHECK(Archive::is_locked(db.uri()));
    a.remove_node(id);
    CHECK_FALSE(Archive::is_locked(db.uri()));
    // A node that stopped heartbeating longer ago than its lease holds nothing any more.
    static_cast<void>(b.add_node(node_named("host-b", 12), now - 1h));
    CHECK_FALSE(Archive::is_locked(db.uri()));
}

TEST_CASE(
    "PostgreSQL: a due feed is leased to one node, its poll's write gives it back until it is due again") {
    TwoNodes two(4);
    auto& [db, a, b, feeds, names, node_a, node_b] = two;

    // Never polled: due at once, in the order of their ids; a limit holds.
    const auto first = a.claim_feeds(node_a, names, nodes_t0, nodes_t0 + 10s, 3);
    CHECK(names_of(first) == std::vector<std::string>{"feed0", "feed1", "feed2"});
    CHECK(names_of(b.claim_feeds(node_b, names, nodes_t0, nodes_t0 + 10s, 10)) ==
          std::vector<std::string>{"feed3"});
    CHECK(b.claim_feeds(node_b, names, nodes_t0 + 1s, nodes_t0 + 11s, 10).empty());  // all leased

    // a polls feed0: written, it is free again but not due until its next poll.
    write_poll(a, feeds[0], nodes_t0 + 2s, nodes_t0 + 1h);
    CHECK(b.claim_feeds(node_b, names, nodes_t0 + 3s, nodes_t0 + 13s, 10).empty());
    const auto held = a.nodes(nodes_t0 + 3s);
    REQUIRE(held.size() == 2);
    CHECK(held[0].node.host == "host-a");
    CHECK(held[0].feeds_held == 2);  // feed1, feed2
    CHECK(held[1].feeds_held == 1);  // feed3
    const auto due_again = b.claim_feeds(node_b, {"feed0"}, nodes_t0 + 1h, nodes_t0 + 1h + 10s, 10);
    REQUIRE(due_again.size() == 1);
    CHECK(due_again.front().name == "feed0");
    CHECK(due_again.front().last_status == 304);  // with the state a's poll left
}

TEST_CASE("PostgreSQL: a node's leases last while it heartbeats and pass to another node once they run out") {
    TwoNodes two(3);
    auto& [db, a, b, feeds, names, node_a, node_b] = two;
    REQUIRE(a.claim_feeds(node_a, names, nodes_t0, nodes_t0 + 10s, 10).size() == 3);

    // The heartbeat renews what a still works on (feed0, feed1) and gives back the rest (feed2).
    CHECK(a.heartbeat(node_a, {"feed0", "feed1"}, "d1", nodes_t0 + 5s, nodes_t0 + 15s));
    CHECK(names_of(b.claim_feeds(node_b, names, nodes_t0 + 6s, nodes_t0 + 16s, 10)) ==
          std::vector<std::string>{"feed2"});
    CHECK(b.claim_feeds(node_b, names, nodes_t0 + 12s, nodes_t0 + 22s, 10).empty());  // renewed to 15 s

    // a goes silent: after its leases ran out, b takes its feeds; a's late heartbeat renews nothing.
    CHECK(names_of(b.claim_feeds(node_b, names, nodes_t0 + 16s, nodes_t0 + 26s, 10)) ==
          std::vector<std::string>{"feed0", "feed1"});
    CHECK(a.heartbeat(node_a, {"feed0", "feed1"}, "d1", nodes_t0 + 17s, nodes_t0 + 27s));
    const auto status = a.nodes(nodes_t0 + 18s);
    REQUIRE(status.size() == 2);
    CHECK(status[0].feeds_held == 0);
    CHECK(status[1].feeds_held == 2);  // feed0, feed1; its lease on feed2 ran out at 16 s

    // A silent node is seen as such; leaving gives everything back.
    CHECK(status[0].silent(nodes_t0 + 28s));
    CHECK_FALSE(status[0].silent(nodes_t0 + 20s));
    b.remove_node(node_b);
    CHECK(a.nodes(nodes_t0 + 18s).size() == 1);
    CHECK(names_of(a.claim_feeds(node_a, names, nodes_t0 + 18s, nodes_t0 + 28s, 10)).size() == 3);
    // A node whose row is gone is told so, to join again.
    a.remove_node(node_a);
    CHECK_FALSE(a.heartbeat(node_a, {}, "d1", nodes_t0 + 19s, nodes_t0 + 29s));
}

TEST_CASE("PostgreSQL: nodes claiming at the same time never get one feed twice") {
    PostgresDatabase db;
    const auto feeds = nodes_feeds(60);
    const auto names = names_of(feeds);
    Archive::open(db.uri(), OpenMode::read_write).sync_feeds(feeds);
    constexpr int node_count = 4;
    std::vector<std::future<std::vector<std::string>>> claims;
    for (int n = 0; n < node_count; ++n) {
        claims.push_back(std::async(std::launch::async, [&, n] {
            auto archive = Archive::open(db.uri(), OpenMode::read_write);
            const auto id = archive.add_node(node_named("host" + std::to_string(n), n), nodes_t0);
            std::vector<std::string> mine;
            // Small claims, many rounds: claims of the nodes interleave.
            for (int round = 0; round < 30; ++round)
                for (auto& name : names_of(archive.claim_feeds(id, names, nodes_t0, nodes_t0 + 1h, 3)))
                    mine.push_back(std::move(name));
            return mine;
        }));
    }
    std::vector<std::string> all;
    for (auto& claim : claims) {
        auto mine = claim.get();
        all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());  // none twice
    CHECK(all.size() == feeds.size());                               // and every one claimed
}

TEST_CASE("PostgreSQL: a claim tells how many due feeds it found, taken by it or by a node that came first") {
    // The node claims again at once while a claim finds as many as it asked for, and waits for the
    // schedule once one finds fewer: what it took alone would not tell, because with nodes claiming
    // together the feeds a claim found are often another node's by the time it leases them.
    TwoNodes two(5);
    auto& [db, a, b, feeds, names, node_a, node_b] = two;
    WorkClaim all;
    all.feeds = names;
    const auto first = a.claim_work(node_a, all, nodes_t0, nodes_t0 + 10s, 2);
    CHECK(first.feeds.size() == 2);
    CHECK(first.due_found == 2);  // as many as asked: more may be due
    const auto rest = b.claim_work(node_b, all, nodes_t0, nodes_t0 + 10s, 10);
    CHECK(rest.feeds.size() == 3);
    CHECK(rest.due_found == 3);  // fewer than asked: nothing more is due
    const auto none = a.claim_work(node_a, all, nodes_t0 + 1s, nodes_t0 + 11s, 10);
    CHECK(none.feeds.empty());
    CHECK(none.due_found == 0);
}

TEST_CASE("PostgreSQL: a feed another node polled is not claimed again for the same due time") {
    // b claims feed0 and writes its poll; a, late (its clock, or a claim that waited), asks for
    // feed0 after b's lease would have run out: the next poll b wrote says it is not due.
    TwoNodes two(1);
    auto& [db, a, b, feeds, names, node_a, node_b] = two;
    REQUIRE(b.claim_feeds(node_b, {"feed0"}, nodes_t0, nodes_t0 + 10s, 1).size() == 1);
    write_poll(b, feeds[0], nodes_t0 + 1s, nodes_t0 + 1h);
    CHECK(a.claim_feeds(node_a, {"feed0"}, nodes_t0 + 20s, nodes_t0 + 30s, 1).empty());
}

TEST_CASE("PostgreSQL: retention runs on one node at a time") {
    PostgresDatabase db;
    auto archive = Archive::open(db.uri(), OpenMode::read_write);
    test::commit_seed_polls(archive);
    const auto articles = archive.article_count();
    REQUIRE(articles > 0);
    const auto far_future = nodes_t0 + 24h * 365 * 10;
    {
        // Another node is pruning: it holds the retention lock in its transaction.
        std::unique_ptr<PGconn, decltype(&PQfinish)> other(PQconnectdb(db.uri().c_str()), PQfinish);
        REQUIRE(PQstatus(other.get()) == CONNECTION_OK);
        std::unique_ptr<PGresult, decltype(&PQclear)> begun(
            PQexec(other.get(), "BEGIN; SELECT pg_advisory_xact_lock(1717921124, 3)"), PQclear);
        REQUIRE(PQresultStatus(begun.get()) == PGRES_TUPLES_OK);
        const auto pruned = archive.prune(1, far_future);
        CHECK(pruned.articles == 0);
        CHECK(archive.article_count() == articles);
        // Its transaction ends before the next prune: a closed connection's backend lets go of
        // the lock only when the server gets to it, after PQfinish has returned.
        std::unique_ptr<PGresult, decltype(&PQclear)> ended(PQexec(other.get(), "ROLLBACK"), PQclear);
        REQUIRE(PQresultStatus(ended.get()) == PGRES_COMMAND_OK);
    }
    CHECK(archive.prune(1, far_future).articles == articles);
}

namespace {

// A claim of `feeds`, the first two on host one.example, the others on two.example.
WorkClaim nodes_host_claim(const std::vector<std::string>& feeds, std::int64_t now_ms) {
    WorkClaim claim;
    claim.feeds = feeds;
    for (const auto& name : feeds)
        claim.hosts.push_back(name == "feed0" || name == "feed1" ? "one.example" : "two.example");
    claim.now_ms = now_ms;
    return claim;
}

std::int64_t nodes_ms(TimePoint at) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

std::set<std::string> domains_of(const std::vector<HostHold>& holds) {
    std::set<std::string> out;
    for (const auto& hold : holds) out.insert(hold.domain);
    return out;
}

}  // namespace

TEST_CASE("PostgreSQL: a host is one node's at a time and passes on with its gap and its pause") {
    TwoNodes two(4);
    auto& [db, a, b, feeds, names, node_a, node_b] = two;

    // a claims feed0 (one.example): the host comes with it.
    const auto first =
        a.claim_work(node_a, nodes_host_claim({"feed0"}, nodes_ms(nodes_t0)), nodes_t0, nodes_t0 + 10s, 10);
    CHECK(names_of(first.feeds) == std::vector<std::string>{"feed0"});
    CHECK(domains_of(first.hosts) == std::set<std::string>{"one.example"});
    // b may not take feed1, whose host is a's, only the feeds of two.example.
    const auto second =
        b.claim_work(node_b, nodes_host_claim(names, nodes_ms(nodes_t0)), nodes_t0, nodes_t0 + 10s, 10);
    CHECK(names_of(second.feeds) == std::vector<std::string>{"feed2", "feed3"});
    CHECK(domains_of(second.hosts) == std::set<std::string>{"two.example"});
    // Nor ask for the host for its pages.
    WorkClaim want;
    want.want = {"one.example"};
    want.now_ms = nodes_ms(nodes_t0);
    CHECK(domains_of(b.claim_work(node_b, want, nodes_t0, nodes_t0 + 10s, 0).hosts) ==
          std::set<std::string>{"two.example"});

    // a polls feed0 and gives the host back with its gap: b's request may start 1.5 s after a's.
    write_poll(a, feeds[0], nodes_t0 + 1s, nodes_t0 + 1h);
    WorkClaim release;
    release.release = {{"one.example", nodes_ms(nodes_t0 + 1s) + 1500}};
    CHECK(a.claim_work(node_a, release, nodes_t0 + 1s, nodes_t0 + 11s, 0).hosts.empty());
    const auto taken = b.claim_work(node_b, nodes_host_claim({"feed1"}, nodes_ms(nodes_t0 + 2s)),
                                    nodes_t0 + 2s, nodes_t0 + 12s, 10);
    CHECK(names_of(taken.feeds) == std::vector<std::string>{"feed1"});
    const auto one = std::find_if(taken.hosts.begin(), taken.hosts.end(),
                                  [](const HostHold& hold) { return hold.domain == "one.example"; });
    REQUIRE(one != taken.hosts.end());
    CHECK(one->not_before_ms == nodes_ms(nodes_t0 + 1s) + 1500);

    // b is told to wait (a 429's pause of ten minutes) and leaves: nobody takes the host's due
    // feed until the pause is nearly over, then a does.
    write_poll(b, feeds[1], nodes_t0 + 3s, nodes_t0 + 4s);
    WorkClaim paused;
    paused.holding = {{"one.example", nodes_ms(nodes_t0 + 10min)}};
    static_cast<void>(b.claim_work(node_b, paused, nodes_t0 + 3s, nodes_t0 + 13s, 0));
    b.remove_node(node_b);
    CHECK(a.claim_work(node_a, nodes_host_claim({"feed1"}, nodes_ms(nodes_t0 + 5s)), nodes_t0 + 5s,
                       nodes_t0 + 15s, 10)
              .feeds.empty());
    const auto later = a.claim_work(node_a, nodes_host_claim({"feed1"}, nodes_ms(nodes_t0 + 10min - 1s)),
                                    nodes_t0 + 10min - 1s, nodes_t0 + 10min + 9s, 10);
    CHECK(names_of(later.feeds) == std::vector<std::string>{"feed1"});
}

TEST_CASE("PostgreSQL: a host whose node stopped heartbeating passes to another once its lease ran out") {
    TwoNodes two(2);
    auto& [db, a, b, feeds, names, node_a, node_b] = two;
    REQUIRE(
        a.claim_work(node_a, nodes_host_claim({"feed0"}, nodes_ms(nodes_t0)), nodes_t0, nodes_t0 + 10s, 10)
            .feeds.size() == 1);
    // a's heartbeat renews the host with its leases.
    CHECK(a.heartbeat(node_a, {"feed0"}, "d1", nodes_t0 + 5s, nodes_t0 + 15s));
    CHECK(b.claim_work(node_b, nodes_host_claim({"feed1"}, nodes_ms(nodes_t0 + 12s)), nodes_t0 + 12s,
                       nodes_t0 + 22s, 10)
              .feeds.empty());
    // Then a goes silent: after 15 s the host is b's.
    CHECK(names_of(b.claim_work(node_b, nodes_host_claim({"feed1"}, nodes_ms(nodes_t0 + 16s)), nodes_t0 + 16s,
                                nodes_t0 + 26s, 10)
                       .feeds) == std::vector<std::string>{"feed1"});
}

TEST_CASE("PostgreSQL: a node silent for a day is removed by another node's heartbeat") {
    PostgresDatabase db;
    auto a = Archive::open(db.uri(), OpenMode::read_write);
    const auto node_a = a.add_node(node_named("host-a", 1), nodes_t0);
    static_cast<void>(a.add_node(node_named("gone-host", 2), nodes_t0 - 25h));
    static_cast<void>(a.add_node(node_named("quiet-host", 3), nodes_t0 - 2h));
    CHECK(a.heartbeat(node_a, {}, "d1", nodes_t0, nodes_t0 + 10s));
    std::vector<std::string> hosts;
    for (const auto& node : a.nodes(nodes_t0)) hosts.push_back(node.node.host);
    // The one silent for two hours is still reported (feedd status: stopped heartbeating).
    CHECK(hosts == std::vector<std::string>{"host-a", "quiet-host"});
}
