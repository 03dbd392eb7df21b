// Several `feedd run` on one PostgreSQL archive (docs/ARCHITECTURE.md, "Several nodes"): real
// processes, a real PostgreSQL and a local HTTP server that records every request with its feed
// and time. Each due poll happens once, a killed node's feeds go to the others within the lease,
// every published item is archived once, and nodes that stop give their leases back.
#include <doctest/doctest.h>

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "support/http_server.hpp"
#include "support/notify_socket.hpp"
#include "support/postgres.hpp"
#include "support/process.hpp"

using namespace feedd::test;
using namespace std::chrono_literals;

namespace {

// Rows of one statement on the test's database, each as its columns' text.
std::vector<std::vector<std::string>> cluster_sql(const PostgresDatabase& db, const std::string& sql) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(db.uri().c_str()), PQfinish);
    REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), PQclear);
    INFO(sql << ": " << PQresultErrorMessage(result.get()));
    REQUIRE((PQresultStatus(result.get()) == PGRES_TUPLES_OK ||
             PQresultStatus(result.get()) == PGRES_COMMAND_OK));
    std::vector<std::vector<std::string>> rows;
    for (int i = 0; i < PQntuples(result.get()); ++i) {
        std::vector<std::string> row;
        for (int j = 0; j < PQnfields(result.get()); ++j) row.emplace_back(PQgetvalue(result.get(), i, j));
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string cluster_value(const PostgresDatabase& db, const std::string& sql) {
    const auto rows = cluster_sql(db, sql);
    REQUIRE(rows.size() == 1);
    return rows[0][0];
}

// Feeds that publish one more item at each request (a window of the newest five), each with one
// story all of them carry (one article, an entry per feed). Remembers what each feed published.
class Publishers {
  public:
    Publishers(HttpServer& server, int feeds, std::chrono::milliseconds delay) {
        for (int i = 0; i < feeds; ++i) {
            const auto name = "f" + std::to_string(i);
            server.route("/" + name + ".xml", [this, name, delay](const Request&) {
                std::lock_guard lock(mutex_);
                auto& served = order_[name];
                served.push_back(name + "-item" + std::to_string(served.size()));
                published_[name].insert(served.back());
                std::string items;
                int n = 0;
                for (auto it = served.rbegin(); it != served.rend() && n < 5; ++it, ++n)
                    items += "<item><title>" + *it + "</title><guid>" + *it +
                             "</guid><link>https://news.example.org/" + *it + "</link><description>Story " +
                             *it + "</description></item>";
                items += "<item><title>The shared story</title><guid>" + name +
                         "-shared</guid><link>https://news.example.org/shared-story</link>"
                         "<description>Everyone carries it</description></item>";
                auto response = Response::text("<rss version=\"2.0\"><channel><title>" + name +
                                                   "</title><link>https://news.example.org/</link>" + items +
                                                   "</channel></rss>",
                                               "application/rss+xml");
                response.delay = delay;
                return response;
            });
        }
    }
    std::map<std::string, std::set<std::string>> published() const {
        std::lock_guard lock(mutex_);
        return published_;
    }

  private:
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<std::string>> order_;  // item guids as published
    std::map<std::string, std::set<std::string>> published_;
};

std::string cluster_config(const std::string& database, const HttpServer& server, int feeds) {
    std::string config = "[settings]\ndatabase = \"" + database +
                         "\"\n"
                         "allow_private_networks = true  # the test server is on 127.0.0.1\n"
                         "interval = \"4s\"\nmin_interval = \"1s\"\nlease = \"2s\"\n"
                         "concurrency = 3\nper_host = 10\nper_host_gap = \"0s\"\nbackfill_pages = 0\n"
                         "shutdown_grace = \"5s\"\n";
    for (int i = 0; i < feeds; ++i)
        config += "\n[[feed]]\nname = \"f" + std::to_string(i) + "\"\nurl = \"" +
                  server.url("/f" + std::to_string(i) + ".xml") + "\"\n";
    return config;
}

// A node: `feedd run` with a notification socket read on a thread of its own.
struct Node {
    Node(const std::filesystem::path& dir, const std::filesystem::path& config)
        : daemon(dir, config), log(daemon.notify) {}
    FeeddDaemon daemon;
    NotifyLog log;
};

// Waits until `done` holds, waking at each notification of `node` (every poll sends STATUS=), at
// most `bound`; false at the bound.
bool cluster_wait(Node& node, const std::function<bool()>& done, std::chrono::milliseconds bound) {
    const auto until = std::chrono::steady_clock::now() + bound;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        node.log.wait_for_next(200ms);
    }
    return true;
}

// Per feed, when the server received each of its requests.
std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> fetches(const HttpServer& server) {
    std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> out;
    for (const auto& request : server.requests())
        out[request.path.substr(1, request.path.size() - 5)].push_back(request.received);
    return out;
}

}  // namespace

TEST_CASE(
    "three feedd run on one PostgreSQL: each due poll once, failover within the lease, leases given back") {
    constexpr int feed_count = 12;
    HttpServer server;
    Publishers publishers(server, feed_count, 400ms);  // a fetch lasts long enough to be killed mid-way
    PostgresDatabase db;
    std::vector<std::unique_ptr<TempDir>> dirs;
    std::vector<std::unique_ptr<Node>> nodes;
    for (int i = 0; i < 3; ++i) {
        dirs.push_back(std::make_unique<TempDir>());
        write_file(*dirs.back() / "feeds.toml", cluster_config(db.uri(), server, feed_count));
    }
    for (int i = 0; i < 3; ++i)
        nodes.push_back(std::make_unique<Node>(dirs[i]->path(), *dirs[i] / "feeds.toml"));
    for (auto& node : nodes) REQUIRE(node->log.wait_for("READY=1", 0, 30s).has_value());

    // Every feed polled once, the work shared.
    REQUIRE(cluster_wait(
        *nodes[0], [&] { return fetches(server).size() == feed_count; }, 20s));
    const auto status =
        run_feedd(dirs[0]->path(), {"--config", (*dirs[0] / "feeds.toml").string(), "status"});
    INFO("status: " << status.out << status.err);
    CHECK(status.exit_code == 0);
    CHECK(std::count(status.out.begin(), status.out.end(), '\n') >= 3);
    for (auto& node : nodes)
        CHECK(status.out.find("pid " + std::to_string(node->daemon.process.pid())) != std::string::npos);

    // A node is killed while it holds feeds it is fetching (a lease is taken before the fetch and
    // given back with the poll's write): whichever holds one, since under load the others may
    // claim every due feed before a given node does. It is stopped first, so that what it holds
    // cannot change between the look and the kill; one that no longer holds any goes on.
    std::vector<std::string> orphans;
    std::string victim;
    const auto pick = [&] {
        const auto held = cluster_sql(db, "SELECT node_id FROM feed_leases LIMIT 1");
        if (held.empty()) return false;
        victim = held[0][0];
        const auto pid = std::stoi(cluster_value(db, "SELECT pid FROM nodes WHERE id = " + victim));
        const auto found = std::find_if(nodes.begin(), nodes.end(),
                                        [&](const auto& node) { return node->daemon.process.pid() == pid; });
        if (found == nodes.end()) return false;
        (*found)->daemon.process.signal(SIGSTOP);
        for (const auto& row : cluster_sql(db,
                                           "SELECT f.name FROM feed_leases l JOIN feeds f ON f.id = "
                                           "l.feed_id WHERE l.node_id = " +
                                               victim))
            orphans.push_back(row[0]);
        if (orphans.empty()) {
            (*found)->daemon.process.signal(SIGCONT);
            return false;
        }
        std::rotate(found, found + 1, nodes.end());  // the victim last, the two that stay first
        return true;
    };
    REQUIRE(cluster_wait(*nodes[0], pick, 20s));
    nodes[2]->daemon.process.signal(SIGKILL);
    const auto killed_at = std::chrono::steady_clock::now();
    REQUIRE(nodes[2]->daemon.process.wait_for(10s).has_value());
    REQUIRE_FALSE(orphans.empty());
    // Polled by the others within the lease (2 s), the second it takes to see it ran out, and a claim;
    // the feeds share one host, so one node at a time takes them, `concurrency` (3) fetches of
    // 400 ms at a time. The killed node's leases include polls it had fetched and not yet written,
    // which its writer holds for up to a second to share a commit: more feeds than one round.
    const auto bound = killed_at + 2s + 1s + 1s + 500ms;
    constexpr int per_round = 3;
    constexpr auto round = 400ms + 100ms;
    REQUIRE(cluster_wait(
        *nodes[0],
        [&] {
            const auto seen = fetches(server);
            return std::all_of(orphans.begin(), orphans.end(), [&](const std::string& name) {
                const auto found = seen.find(name);
                return found != seen.end() && std::any_of(found->second.begin(), found->second.end(),
                                                          [&](auto t) { return t > killed_at + 1s; });
            });
        },
        8s));
    std::vector<std::chrono::steady_clock::time_point> taken_over;
    for (const auto& name : orphans) {
        const auto times = fetches(server).at(name);
        taken_over.push_back(
            *std::find_if(times.begin(), times.end(), [&](auto t) { return t > killed_at + 1s; }));
    }
    std::sort(taken_over.begin(), taken_over.end());
    for (std::size_t i = 0; i < taken_over.size(); ++i) {
        CAPTURE(i);
        CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(taken_over[i] - killed_at).count());
        CHECK(taken_over[i] <= bound + static_cast<int>(i / per_round) * round);
    }
    // Every feed polled again after the failover, by the two left.
    const auto after_kill = std::chrono::steady_clock::now();
    REQUIRE(cluster_wait(
        *nodes[0],
        [&] {
            const auto seen = fetches(server);
            return std::all_of(seen.begin(), seen.end(),
                               [&](const auto& feed) { return feed.second.back() > after_kill; });
        },
        15s));

    for (int i = 0; i < 2; ++i) nodes[i]->daemon.process.signal(SIGTERM);
    for (int i = 0; i < 2; ++i) {
        auto ended = nodes[i]->daemon.process.wait_for(20s);
        REQUIRE(ended.has_value());
        CHECK(ended->exit_code == 0);
    }

    // No feed fetched twice for one due time: its fetches are an interval (4 s, whole seconds in
    // the archive) apart, or a lease apart when a killed node's fetch was repeated.
    for (const auto& [name, times] : fetches(server)) {
        CAPTURE(name);
        for (std::size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] >= 1500ms);
    }
    // Every published item archived once; the story all feeds carry is one article.
    const auto published = publishers.published();
    std::size_t items = 0;
    for (const auto& [name, guids] : published) {
        CAPTURE(name);
        std::set<std::string> archived;
        for (const auto& row : cluster_sql(
                 db, "SELECT e.guid FROM entries e JOIN feeds f ON f.id = e.feed_id WHERE f.name = '" + name +
                         "' AND e.guid <> '" + name + "-shared'"))
            archived.insert(row[0]);
        CHECK(archived == guids);
        items += guids.size();
    }
    CHECK(cluster_value(db, "SELECT count(*) FROM entries") == std::to_string(items + feed_count));
    CHECK(cluster_value(db,
                        "SELECT count(DISTINCT article_id) FROM entries WHERE link = "
                        "'https://news.example.org/shared-story'") == "1");
    CHECK(cluster_value(db, "SELECT count(*) FROM articles") == std::to_string(items + 1));
    // Stopped nodes gave everything back; the killed one's leases were taken over and released.
    CHECK(cluster_value(db, "SELECT count(*) FROM feed_leases") == "0");
    CHECK(cluster_value(db, "SELECT count(*) FROM nodes") == "1");  // the killed node's row stays
}

TEST_CASE(
    "feedd status lists the nodes and fails when their configurations differ or one went silent holding "
    "leases") {
    HttpServer server;
    Publishers publishers(server, 2, 0ms);
    PostgresDatabase db;
    TempDir one, two;
    write_file(one / "feeds.toml", cluster_config(db.uri(), server, 2));
    write_file(two / "feeds.toml", cluster_config(db.uri(), server, 2) + "# another edit\n");
    Node a(one.path(), one / "feeds.toml");
    REQUIRE(a.log.wait_for("READY=1", 0, 30s).has_value());
    const auto alone =
        run_feedd(one.path(), {"--config", (one / "feeds.toml").string(), "status", "--format", "json"});
    INFO("status: " << alone.out << alone.err);
    CHECK(alone.exit_code == 0);
    const auto report = nlohmann::json::parse(alone.out);
    REQUIRE(report["nodes"].size() == 1);
    CHECK(report["nodes"][0]["pid"] == a.daemon.process.pid());
    CHECK(report["node_problems"].empty());
    // poll --once would poll the node's feeds outside its leases: refused while a node is live.
    const auto once = run_feedd(one.path(), {"--config", (one / "feeds.toml").string(), "poll", "--once"});
    INFO("poll --once: " << once.out << once.err);
    CHECK(once.exit_code == 1);
    CHECK(once.err.find("feedd run nodes poll") != std::string::npos);
    CHECK(once.err.find("stop them first") != std::string::npos);

    Node b(two.path(), two / "feeds.toml");
    REQUIRE(b.log.wait_for("READY=1", 0, 30s).has_value());
    const auto differ = run_feedd(one.path(), {"--config", (one / "feeds.toml").string(), "status"});
    CHECK(differ.exit_code == 1);
    CHECK(differ.out.find("nodes: nodes run different configurations") != std::string::npos);
    b.daemon.process.signal(SIGTERM);
    REQUIRE(b.daemon.process.wait_for(20s).has_value());

    // A node that stopped heartbeating while it still holds a lease (as a machine cut off).
    {
        auto archive = feedd::store::Archive::open(db.uri(), feedd::store::OpenMode::read_write);
        const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
        const auto silent = archive.add_node({"gone-host", 4242, "0.test", "x", 2s}, now - 1h);
        cluster_sql(
            db, "INSERT INTO feed_leases (feed_id, node_id, until) SELECT id, " + std::to_string(silent) +
                    ", extract(epoch FROM now())::bigint + 3600 FROM feeds WHERE name = 'f1' "
                    "ON CONFLICT (feed_id) DO UPDATE SET node_id = excluded.node_id, until = excluded.until");
    }
    const auto stale = run_feedd(one.path(), {"--config", (one / "feeds.toml").string(), "status"});
    INFO("status: " << stale.out << stale.err);
    CHECK(stale.exit_code == 1);
    CHECK(stale.out.find("node") != std::string::npos);
    CHECK(stale.out.find("(gone-host, pid 4242) stopped heartbeating") != std::string::npos);
    a.daemon.process.signal(SIGTERM);
    REQUIRE(a.daemon.process.wait_for(20s).has_value());
}

namespace {

// Politeness across nodes: feeds on hosts of their own (*.localhost, which curl resolves to the
// loopback), each node with a user agent of its own, so the server tells who sent each request.
std::string polite_config(const std::string& database, const HttpServer& server, int node,
                          const std::vector<std::pair<std::string, std::string>>& feeds,
                          const std::string& settings) {
    std::string config = "[settings]\ndatabase = \"" + database +
                         "\"\n"
                         "allow_private_networks = true  # the test server is on 127.0.0.1\n"
                         "min_interval = \"1s\"\nlease = \"2s\"\nper_host = 1\n"
                         "backfill_pages = 0\nshutdown_grace = \"5s\"\n"
                         "user_agent = \"polite-node-" +
                         std::to_string(node) + "\"\n" + settings;
    for (const auto& [name, host] : feeds)
        config +=
            "\n[[feed]]\nname = \"" + name + "\"\nurl = \"" + server.url("/" + name + ".xml", host) + "\"\n";
    return config;
}

std::vector<Request> polite_requests(const HttpServer& server, const std::string& host) {
    std::vector<Request> out;
    for (auto& request : server.requests())
        if (request.host == host) out.push_back(std::move(request));
    return out;
}

Response polite_feed(const std::string& name) {
    return Response::text("<rss version=\"2.0\"><channel><title>" + name + "</title><item><guid>" + name +
                              "-1</guid><title>One</title></item></channel></rss>",
                          "application/rss+xml");
}

// Three nodes with the same feeds (and `settings`), each with its own user agent, all READY.
struct PoliteCluster {
    PoliteCluster(const PostgresDatabase& db, const HttpServer& server,
                  const std::vector<std::pair<std::string, std::string>>& feeds,
                  const std::string& settings) {
        for (int i = 0; i < 3; ++i) {
            dirs.push_back(std::make_unique<TempDir>());
            write_file(*dirs.back() / "feeds.toml", polite_config(db.uri(), server, i, feeds, settings));
        }
        for (int i = 0; i < 3; ++i)
            nodes.push_back(std::make_unique<Node>(dirs[i]->path(), *dirs[i] / "feeds.toml"));
        for (auto& node : nodes) REQUIRE(node->log.wait_for("READY=1", 0, 30s).has_value());
    }
    void stop_all() {
        for (auto& node : nodes)
            if (node->daemon.process.pid() > 0) node->daemon.process.signal(SIGTERM);
        for (auto& node : nodes)
            if (node->daemon.process.pid() > 0) REQUIRE(node->daemon.process.wait_for(20s).has_value());
    }
    std::vector<std::unique_ptr<TempDir>> dirs;
    std::vector<std::unique_ptr<Node>> nodes;
};

}  // namespace

TEST_CASE("three feedd run on one PostgreSQL keep per_host and per_host_gap of a host together") {
    HttpServer server;
    std::vector<std::pair<std::string, std::string>> feeds;
    for (int i = 0; i < 6; ++i) feeds.emplace_back("p" + std::to_string(i), "polite.localhost");
    for (int i = 0; i < 3; ++i)
        feeds.emplace_back("o" + std::to_string(i), "o" + std::to_string(i) + ".localhost");
    for (const auto& [name, host] : feeds) {
        server.route("/" + name + ".xml", [name = name](const Request&) {
            auto response = polite_feed(name);
            response.delay = 300ms;  // long enough for requests from two nodes to overlap
            return response;
        });
    }
    PostgresDatabase db;
    // One request at a time per node: a claim takes two feeds, so that the host's six feeds, due
    // together, would go to all three nodes if each kept its own gate.
    PoliteCluster cluster(db, server, feeds,
                          "concurrency = 1\ninterval = \"6s\"\nper_host_gap = \"1500ms\"\n");

    const auto polite = [&] { return polite_requests(server, "polite.localhost"); };
    REQUIRE(cluster_wait(
        *cluster.nodes[0], [&] { return polite().size() >= 4; }, 30s));
    // The node that holds the host now stops: it goes to another node, with its gap.
    const auto agent = polite().back().header("user-agent");
    REQUIRE(agent.rfind("polite-node-", 0) == 0);
    auto& holder = *cluster.nodes[static_cast<std::size_t>(std::stoi(agent.substr(12)))];
    holder.daemon.process.signal(SIGTERM);
    REQUIRE(holder.daemon.process.wait_for(20s).has_value());
    auto& other = *cluster.nodes[agent == "polite-node-0" ? 1 : 0];
    const auto before = polite().size();
    REQUIRE(cluster_wait(
        other, [&] { return polite().size() >= before + 4; }, 30s));
    cluster.stop_all();

    // One request at a time to the host, starts at least the gap apart, whichever node sent them
    // (the server sees them a little after they start: a tenth of the gap for that).
    const auto requests = polite_requests(server, "polite.localhost");
    CHECK(server.max_concurrent("polite.localhost") == 1);
    CHECK(requests.back().header("user-agent") != agent);
    for (std::size_t i = 1; i < requests.size(); ++i) {
        CAPTURE(i);
        CAPTURE(requests[i - 1].header("user-agent"));
        CAPTURE(requests[i].header("user-agent"));
        CHECK(requests[i].received - requests[i - 1].received >= 1350ms);
    }
    // The other hosts were not held back by it: each was polled.
    for (int i = 0; i < 3; ++i)
        CHECK_FALSE(polite_requests(server, "o" + std::to_string(i) + ".localhost").empty());
}

TEST_CASE("a 429 with Retry-After that one node received pauses the host for every node") {
    HttpServer server;
    std::vector<std::pair<std::string, std::string>> feeds;
    for (int i = 0; i < 3; ++i) feeds.emplace_back("b" + std::to_string(i), "busy.localhost");
    for (int i = 0; i < 4; ++i)
        feeds.emplace_back("o" + std::to_string(i), "o" + std::to_string(i) + ".localhost");
    std::atomic<int> answered{0};
    for (const auto& [name, host] : feeds) {
        const bool busy = host == "busy.localhost";
        server.route("/" + name + ".xml", [name = name, busy, &answered](const Request&) {
            // The first two requests to the busy host (two feeds: the host-wide rule) are refused.
            if (busy && answered.fetch_add(1) < 2) {
                auto refused = Response::with_status(429, "slow down");
                refused.headers.emplace_back("Retry-After", "8");
                refused.delay = 100ms;
                return refused;
            }
            auto response = polite_feed(name);
            response.delay = 100ms;
            return response;
        });
    }
    PostgresDatabase db;
    PoliteCluster cluster(db, server, feeds, "concurrency = 3\ninterval = \"4s\"\nper_host_gap = \"0s\"\n");

    REQUIRE(cluster_wait(
        *cluster.nodes[0], [&] { return polite_requests(server, "busy.localhost").size() >= 2; }, 20s));
    const auto refused = polite_requests(server, "busy.localhost");
    // The node the host told to wait stops: the pause it learnt must hold for the two others.
    const auto agent = refused[1].header("user-agent");
    REQUIRE(agent.rfind("polite-node-", 0) == 0);
    auto& told = *cluster.nodes[static_cast<std::size_t>(std::stoi(agent.substr(12)))];
    told.daemon.process.signal(SIGTERM);
    REQUIRE(told.daemon.process.wait_for(20s).has_value());
    auto& other = *cluster.nodes[agent == "polite-node-0" ? 1 : 0];

    // The third feed of the host is fetched, by another node, only once the Retry-After is over.
    REQUIRE(cluster_wait(
        other, [&] { return polite_requests(server, "busy.localhost").size() >= 3; }, 20s));
    const auto requests = polite_requests(server, "busy.localhost");
    CAPTURE(requests[2].header("user-agent"));
    CHECK(requests[2].header("user-agent") != agent);
    CHECK(requests[2].received - refused[1].received >= 6500ms);
    cluster.stop_all();
}
