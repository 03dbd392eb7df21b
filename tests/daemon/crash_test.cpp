// Crash safety: the daemon killed with SIGKILL at random moments while its feeds grow loses
// nothing and stores nothing twice or in part.
#include <doctest/doctest.h>

#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "feedd/store/store.hpp"
#include "support/archive.hpp"
#include "support/http_server.hpp"
#include "support/notify_socket.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using namespace feedd::test;

namespace {

// A feed that gains one item with every request it answers; items are never dropped.
class GrowingFeed {
  public:
    explicit GrowingFeed(std::string name) : name_(std::move(name)) {}
    Response answer() {
        std::lock_guard lock(mutex_);
        ++items_;
        std::string xml = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>" + name_ +
                          "</title><link>https://example.org/" + name_ + "/</link>";
        for (int i = items_; i >= 1; --i) xml += item(i);
        return Response::text(xml + "</channel></rss>", "application/rss+xml");
    }
    int items() const {
        std::lock_guard lock(mutex_);
        return items_;
    }
    std::string title(int i) const { return name_ + " item " + std::to_string(i); }
    std::string body(int i) const { return "<p>The whole body of " + title(i) + ", to the last word.</p>"; }

  private:
    std::string item(int i) const {
        return "<item><title>" + title(i) + "</title><guid>" + name_ + "-" + std::to_string(i) +
               "</guid><link>https://example.org/" + name_ + "/" + std::to_string(i) +
               "</link><description><![CDATA[" + body(i) + "]]></description></item>";
    }
    std::string name_;
    mutable std::mutex mutex_;
    int items_ = 0;
};

}  // namespace

TEST_CASE("SIGKILL at 20 random moments while feeds grow: afterwards every item is archived once, whole") {
    HttpServer server;
    std::map<std::string, std::unique_ptr<GrowingFeed>> feeds;
    for (const char* name : {"alpha", "beta", "gamma"}) {
        auto feed = std::make_unique<GrowingFeed>(name);
        server.route(std::string("/") + name + ".xml",
                     [raw = feed.get()](const feedd::test::Request&) { return raw->answer(); });
        feeds.emplace(name, std::move(feed));
    }
    TempDir dir;
    std::string config =
        "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\nper_host = 3\n"
        "per_host_gap = \"0s\"\ninterval = \"1s\"\nmin_interval = \"1s\"\n";
    for (const auto& [name, feed] : feeds)
        config += "\n[[feed]]\nname = \"" + name + "\"\nurl = \"" + server.url("/" + name + ".xml") + "\"\n";
    write_file(dir / "feeds.toml", config);

    std::mt19937 random(20241128);
    for (int kill = 0; kill < 20; ++kill) {
        FeeddDaemon daemon(dir);
        REQUIRE(daemon.wait_ready());
        // The random moment: somewhere in the next 1.5 s of the daemon's life (reading what it says
        // meanwhile), which spans fetches, parses and commits.
        const auto moment = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 1500)(random));
        const auto until = std::chrono::steady_clock::now() + moment;
        while (std::chrono::steady_clock::now() < until) {
            daemon.notify.next(std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now()));
        }
        daemon.process.signal(SIGKILL);
        CHECK(daemon.process.wait().exit_code == 128 + SIGKILL);
    }

    // A final clean poll; the server gains one more item per feed, which must arrive too.
    const auto last =
        run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "poll", "--once", "--force"});
    INFO(last.out << last.err);
    REQUIRE(last.exit_code == 0);

    auto archive = open_read_only(dir / "feedd.db");
    CHECK(archive.check().empty());
    const auto rows = all_articles(archive);
    std::multiset<std::string> titles;
    for (const auto& row : rows) titles.insert(row.title);
    std::size_t expected = 0;
    for (const auto& [name, feed] : feeds) {
        expected += static_cast<std::size_t>(feed->items());
        for (int i = 1; i <= feed->items(); ++i) {
            CHECK_MESSAGE(titles.count(feed->title(i)) == 1, feed->title(i));
        }
        const auto state = [&] {
            for (const auto& s : archive.feed_states())
                if (s.name == name) return s;
            return feedd::FeedState{};
        }();
        CHECK(state.last_status == 200);
        CHECK(state.consecutive_failures == 0);
        CHECK(state.last_success.has_value());
    }
    CHECK(rows.size() == expected);
    for (const auto& row : rows) {
        const auto detail = archive.article(row.id);
        REQUIRE(detail.has_value());
        const auto& entry = detail->fullest().entry;
        CHECK_MESSAGE(entry.summary.find("to the last word.</p>") != std::string::npos, row.title);
        CHECK(!entry.link.empty());
    }
}
