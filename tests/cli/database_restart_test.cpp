// `feedd run` on PostgreSQL while the database restarts (README, "When the database itself fails
// over"): a real server of the test's own, stopped and started again on the same socket, and a
// real daemon that is not restarted. What is published after the restart is archived.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/http_server.hpp"
#include "support/postgres.hpp"
#include "support/process.hpp"

using namespace feedd::test;
using namespace std::chrono_literals;

namespace {

// A server of this test only (the shared one must not restart under the other tests).
class RestartablePostgres {
  public:
    RestartablePostgres() {
        std::string pattern = "/tmp/feedd-pgr-XXXXXX";  // short: a socket path has 107 bytes
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        start_postgres(dir_);
        run("postgres", "CREATE DATABASE feedd_restart");
    }
    ~RestartablePostgres() {
        try {
            stop_postgres(dir_);
        } catch (...) {
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    RestartablePostgres(const RestartablePostgres&) = delete;
    RestartablePostgres& operator=(const RestartablePostgres&) = delete;

    std::string uri() const { return postgres_detail::uri_for(dir_, "feedd_restart"); }
    // Stops at once (every connection is cut, as by a crash or a failover) and starts again.
    void restart() {
        stop();
        start();
    }
    void stop() { stop_postgres(dir_); }
    void start() { restart_postgres(dir_); }
    // The first column of the first row, "" when there is none.
    std::string value(const std::string& database, const std::string& sql) const {
        return run(database, sql);
    }

  private:
    std::string run(const std::string& database, const std::string& sql) const {
        std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
            PQconnectdb(postgres_detail::uri_for(dir_, database).c_str()), PQfinish);
        REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
        std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), PQclear);
        INFO(sql << ": " << PQresultErrorMessage(result.get()));
        REQUIRE((PQresultStatus(result.get()) == PGRES_TUPLES_OK ||
                 PQresultStatus(result.get()) == PGRES_COMMAND_OK));
        return PQntuples(result.get()) > 0 ? std::string(PQgetvalue(result.get(), 0, 0)) : std::string();
    }
    std::filesystem::path dir_;
};

// One feed whose items the test publishes.
class RestartFeed {
  public:
    explicit RestartFeed(HttpServer& server) {
        server.route("/feed.xml", [this](const Request&) {
            std::lock_guard lock(mutex_);
            std::string items;
            for (const auto& item : items_)
                items += "<item><title>" + item + "</title><guid>" + item +
                         "</guid><link>https://news.example.org/" + item + "</link></item>";
            return Response::text(
                "<rss version=\"2.0\"><channel><title>Restarts</title>"
                "<link>https://news.example.org/</link>" +
                    items + "</channel></rss>",
                "application/rss+xml");
        });
    }
    void publish(const std::string& item) {
        std::lock_guard lock(mutex_);
        items_.push_back(item);
    }

  private:
    std::mutex mutex_;
    std::vector<std::string> items_;
};

// feeds.toml: one feed polled every `interval` (every second by default), a lease of 2 s.
void write_restart_config(const TempDir& dir, const RestartablePostgres& database, const HttpServer& server,
                          const std::string& interval = "1s") {
    write_file(dir / "feeds.toml", "[settings]\ndatabase = \"" + database.uri() +
                                       "\"\n"
                                       "allow_private_networks = true  # the test server is on 127.0.0.1\n"
                                       "interval = \"" +
                                       interval +
                                       "\"\nmin_interval = \"1s\"\nlease = \"2s\"\n"
                                       "backfill_pages = 0\n\n[[feed]]\nname = \"restarts\"\nurl = \"" +
                                       server.url("/feed.xml") + "\"\n");
}

// Whether the entry of `guid` is in the archive, once.
bool archived(const RestartablePostgres& database, const std::string& guid) {
    return database.value("feedd_restart", "SELECT count(*) FROM entries WHERE guid = '" + guid + "'") == "1";
}

}  // namespace

TEST_CASE("feedd run on PostgreSQL archives what is published after the database restarted") {
    RestartablePostgres database;
    HttpServer server;
    RestartFeed feed(server);
    feed.publish("before-restart");
    TempDir dir;
    write_restart_config(dir, database, server);
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    REQUIRE(daemon.wait_until([&] { return archived(database, "before-restart"); }));

    database.restart();
    feed.publish("after-restart");
    const bool after = daemon.wait_until([&] { return archived(database, "after-restart"); });
    INFO("feedd's log:\n" << daemon.log());
    CHECK(after);
    CHECK(daemon.process.running());
    // Said once, on one line, where the loss was noticed.
    CHECK(daemon.log().find("database connection lost: ") != std::string::npos);
    CHECK(daemon.log().find("; reconnected") != std::string::npos);
}

namespace {

// A "database host" on 127.0.0.1 that takes connections (the kernel completes them from the
// listen queue) and never answers, as a host behind a broken proxy or a half-failed-over address.
class SilentHost {
  public:
    SilentHost() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            ::listen(fd_, 16) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            throw std::runtime_error("cannot listen on 127.0.0.1");
        port_ = ntohs(address.sin_port);
    }
    ~SilentHost() { ::close(fd_); }
    SilentHost(const SilentHost&) = delete;
    SilentHost& operator=(const SilentHost&) = delete;
    int port() const { return port_; }

  private:
    int fd_;
    int port_ = 0;
};

}  // namespace

TEST_CASE("a database host that accepts and never answers is a one-line error after a while, not a hang") {
    SilentHost host;
    TempDir dir;
    write_file(dir / "feeds.toml",
               "[settings]\ndatabase = \"postgresql://feedd@127.0.0.1:" + std::to_string(host.port()) +
                   "/feedd?sslmode=disable\"\n");  // one attempt, not TLS then plain
    Process status(dir.path(), {feedd_binary(), "--config", (dir / "feeds.toml").string(), "status"});
    // libpq alone waits for ever; feedd's default connect_timeout is 10 s an attempt.
    auto result = status.wait_for(60s);
    if (!result) status.signal(SIGKILL);
    REQUIRE(result);
    CHECK(result->exit_code != 0);
    INFO(result->err);
    CHECK(result->err.find("127.0.0.1") != std::string::npos);
    CHECK(result->err.find("timeout") != std::string::npos);
}

TEST_CASE(
    "feedd run on PostgreSQL says once that its database is down, in STATUS since when, and once that it is "
    "back") {
    RestartablePostgres database;
    HttpServer server;
    RestartFeed feed(server);
    feed.publish("first");
    TempDir dir;
    write_restart_config(dir, database, server);
    // Watchdog pings every second: they count the seconds spent without the database.
    FeeddDaemon daemon(dir, {{"WATCHDOG_USEC", "2000000"}});
    REQUIRE(daemon.wait_ready());
    database.stop();
    const auto down = daemon.notify.wait_for("shared archive unreachable since");
    REQUIRE(down);
    // Claims every second and heartbeats fail meanwhile (a lease of 2 s: one every 0.67 s).
    for (int i = 0; i < 4; ++i) REQUIRE(daemon.notify.wait_for("WATCHDOG=1"));
    database.start();
    feed.publish("second");
    const auto back = daemon.wait_until(
        [&] { return daemon.log().find("the shared archive answers again") != std::string::npos; });
    const auto log = daemon.log();
    INFO("feedd's log:\n" << log);
    REQUIRE(back);
    // Six or more failures, said in one warning, not one line each.
    const auto count = [&](const std::string& needle) {
        std::size_t n = 0;
        for (auto at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1)) ++n;
        return n;
    };
    CHECK(count("claiming due feeds: ") + count("heartbeat: ") == 1);
    const auto after = log.find("answers again, after ");
    REQUIRE(after != std::string::npos);
    CHECK(std::stoi(log.substr(after + 21)) >= 4);
    // Archiving again, and STATUS says so no more.
    REQUIRE(daemon.wait_until([&] { return archived(database, "second"); }));
    const auto status = daemon.notify.wait_for("STATUS=");
    REQUIRE(status);
    CHECK(status->find("unreachable") == std::string::npos);
}

namespace {

// A database that lost what feedd wrote last, as one promoted from a replica that had not received
// the latest commits, or restored from a backup: the feed's rows (and its state) are gone. The test's
// own delete waits for its commit to reach the log, so that a stop cannot lose it in turn (the
// server runs with synchronous_commit off).
void lose_feed_rows(RestartablePostgres& database, const std::string& also = "") {
    static_cast<void>(
        database.value("feedd_restart", "SET synchronous_commit = on; DELETE FROM feeds; " + also));
}

bool polled_once(const RestartablePostgres& database) {
    return database.value("feedd_restart",
                          "SELECT count(*) FROM feed_state s JOIN feeds f ON f.id = s.feed_id "
                          "WHERE f.name = 'restarts' AND s.last_success IS NOT NULL") == "1";
}

}  // namespace

// The feed is polled once an hour, so nothing but the node's own recovery brings the feed back
// into the archive before the test's deadline.
TEST_CASE("a node whose registration the database lost records its feeds again and goes on polling them") {
    RestartablePostgres database;
    HttpServer server;
    RestartFeed feed(server);  // no item yet: the first poll writes the feed's state only
    TempDir dir;
    write_restart_config(dir, database, server, "1h");
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    REQUIRE(daemon.wait_until([&] { return polled_once(database); }));
    lose_feed_rows(database, "DELETE FROM nodes;");
    feed.publish("after-loss");
    const bool after = daemon.wait_until([&] { return archived(database, "after-loss"); });
    INFO("feedd's log:\n" << daemon.log());
    CHECK(daemon.log().find("was no longer registered: registering again") != std::string::npos);
    CHECK(after);
    CHECK(database.value("feedd_restart", "SELECT count(*) FROM feeds WHERE name = 'restarts'") == "1");
}

TEST_CASE("a node whose database comes back without the feeds it recorded records them again") {
    RestartablePostgres database;
    HttpServer server;
    RestartFeed feed(server);
    TempDir dir;
    write_restart_config(dir, database, server, "1h");
    FeeddDaemon daemon(dir);
    REQUIRE(daemon.wait_ready());
    REQUIRE(daemon.wait_until([&] { return polled_once(database); }));
    // The node's own row stays: only a failure and its recovery tell the node to look again.
    lose_feed_rows(database);
    database.stop();
    REQUIRE(daemon.notify.wait_for("shared archive unreachable since"));
    database.start();
    feed.publish("after-failover");
    const bool after = daemon.wait_until([&] { return archived(database, "after-failover"); });
    INFO("feedd's log:\n" << daemon.log());
    CHECK(daemon.log().find("the shared archive answers again") != std::string::npos);
    CHECK(after);
}
