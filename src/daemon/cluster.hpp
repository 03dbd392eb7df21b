// Several feedd nodes on one PostgreSQL archive (docs/ARCHITECTURE.md, "Several nodes"): this
// node's membership, its claims of due feeds and its heartbeat. They run on a connection and a
// thread of their own, so that neither waits behind the writer's batches nor holds up the event
// loop; their results come back to the event loop, where the pipeline takes them.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "daemon/clock.hpp"
#include "daemon/pipeline.hpp"
#include "daemon/serial_worker.hpp"
#include "feedd/store/store.hpp"

namespace feedd::daemon {

class Cluster {
  public:
    // Opens the node's own connection and registers the node; throws StoreError. The pipeline
    // is shared from then on.
    Cluster(boost::asio::io_context& io, const store::Location& database, store::NodeInfo node,
            Pipeline& pipeline);
    ~Cluster();
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    // Claims now and then every second; heartbeats every third of the lease.
    void start();
    // No more claims or heartbeats (the daemon stops; what is in flight gets written).
    void stop();
    // After the last poll is written: every lease this node still holds is given back and the
    // node's row removed. Waits for the archive.
    void leave();
    // A reload: the digest of the configuration now running.
    void set_config_digest(std::string digest);

    [[nodiscard]] std::int64_t id() const { return id_.load(std::memory_order_relaxed); }
    // On the event loop: empty while claims and heartbeats reach the archive; otherwise what has
    // failed since when, for the STATUS line.
    [[nodiscard]] const std::string& trouble() const { return trouble_; }
    // Called on the event loop when trouble() changes.
    std::function<void()> on_trouble;

  private:
    void claim();
    void on_claimed(store::ClaimedWork claimed, bool ok, int asked, SteadyTime sent);
    void beat();
    void arm(boost::asio::steady_timer& timer, SteadyClock::duration after, void (Cluster::*tick)());
    // Worker thread: a claim or heartbeat failed, or reached the archive. A database that is down
    // fails both every second: the first failure is logged, then one line a minute, and the
    // recovery once.
    void failed(const std::string& what, const std::exception& error);
    void reached();
    // Event loop: the configured feeds into the archive again, on this node's connection (the one
    // that just reached it). A database promoted from a replica that had not received the latest
    // commits, or restored from a backup, may lack the feeds this node recorded, and a claim never
    // finds a feed the archive does not list: the node would poll nothing until restarted.
    void record_feeds_again();

    boost::asio::io_context& io_;
    Pipeline& pipeline_;
    store::NodeInfo node_;             // config_digest: the event loop's; the rest never changes
    store::Archive archive_;           // used on worker_'s thread only, once constructed
    std::atomic<std::int64_t> id_{0};  // set again by the worker when the node joins again
    boost::asio::steady_timer claim_timer_;
    boost::asio::steady_timer beat_timer_;
    bool claiming_ = false;
    bool more_due_ = false;  // the last claim found as many due feeds as it asked for: more may be due
    int empty_claims_ = 0;   // claims in a row that found due feeds but took none
    bool stopped_ = false;
    std::vector<std::string> last_claimed_;  // worker thread: the feeds of the latest claim
    int failures_ = 0;                       // worker thread: in a row, claims and heartbeats
    TimePoint failing_since_{};              // worker thread
    SteadyTime last_warning_{};              // worker thread
    std::string trouble_;                    // event loop
    SerialWorker worker_;                    // last: its thread ends before the members its jobs use
};

// What identifies a node's configuration: text::hash_hex of its feeds.toml as read.
std::string config_digest(const std::filesystem::path& config_path);

}  // namespace feedd::daemon
