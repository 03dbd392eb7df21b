// The event-loop side of the daemon: which feed is fetched when, within the global and per-host
// limits, and what happens to each result. Runs on the io_context thread only.
#pragma once

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/clock.hpp"
#include "daemon/full_text.hpp"
#include "daemon/history.hpp"
#include "daemon/hook.hpp"
#include "daemon/writer.hpp"
#include "feedd/config/config.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/fetch/fetch.hpp"
#include "feedd/metrics/metrics.hpp"
#include "feedd/model/model.hpp"
#include "feedd/schedule/schedule.hpp"

namespace feedd::daemon {

class Pipeline {
  public:
    // What the pipeline did since the daemon started: the STATUS= line and the stop line read it
    // on the event loop, /metrics from the API's thread (docs/ARCHITECTURE.md, "Metrics"). Only the
    // event loop updates it; relaxed atomics make the reads from elsewhere safe and the updates an
    // uncontended add.
    struct Totals {
        metrics::Counter polls;
        metrics::Counter new_entries;
        metrics::Counter updated_entries;
        std::array<metrics::Counter, 4> by_status;  // polls by PollStatus (failures among them)
        metrics::Counter bytes;                     // fetched, on the wire
        metrics::Histogram fetch_seconds{{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};
        metrics::Gauge backlog_polls;  // results handed to the writer and not yet written
        metrics::Gauge backlog_bytes;  // their cost (body, at least kResultCost each)
    };

    // `clock` (the system's unless a test simulates time) must outlive the pipeline.
    Pipeline(boost::asio::io_context& io, fetch::Fetcher& fetcher, Writer& writer, config::Config config,
             std::map<std::string, FeedState> states, bool once, HookRunner* on_new = nullptr,
             Clock& clock = system_clock());

    // Queues a feed to be fetched at `due` (replacing an earlier due time).
    void schedule(const std::string& name, WallTime due);
    // Schedules every feed from its stored next poll; never-polled feeds are spread over a window.
    void schedule_from_state(WallTime now);
    // Swaps in a reloaded configuration: new feeds are scheduled (spread), removed ones dropped;
    // the limits (concurrency, per_host, per_host_gap) hold for requests that start from now on,
    // as do the request settings (user_agent, timeout, max_body, proxy, ...) and intervals.
    void reconfigure(config::Config config, WallTime now);
    // Where polls fetched from now on hand their new articles (nullptr: nowhere). The runner must
    // outlive the pipeline's writes: polls already fetched keep the one they started with.
    void set_hooks(HookRunner* on_new) { on_new_ = on_new; }
    // No new fetches; in-flight ones get `grace`, then are cancelled. `done` runs when all is
    // written.
    void stop(std::chrono::milliseconds grace, std::function<void()> done);

    // Full text: fetch only the pages of articles these feeds carry (`poll --once --feed`); all
    // when empty, the default.
    void only_pages_of(std::vector<std::string> feeds) { page_feeds_ = std::move(feeds); }

    // Walks a feed's history now (`feedd feeds backfill`), beginning with its document, at most
    // `pages` earlier pages; false when there is no such feed or it is being polled.
    bool backfill(const std::string& name, int pages);

    // Several nodes on one archive (docs/ARCHITECTURE.md, "Several nodes"; daemon/cluster.hpp).
    // Shared, the pipeline polls only the feeds the cluster claimed for it (`take_claimed`), each
    // once: its poll's write gives the lease back and no next poll is scheduled here.
    void share() { shared_ = true; }
    [[nodiscard]] bool shared() const { return shared_; }
    // Configured, enabled feeds that are not known gone and not held here: what a claim may take.
    [[nodiscard]] std::vector<std::string> claim_candidates() const;
    // The next claim: the candidates with their hosts (registered domains); the hosts held here
    // with their gates' not_before, those in use (a request queued or in flight) kept, the others
    // given back and forgotten here at once (nothing starts to them until a claim returns them);
    // the hosts that requests wait for and that are not held here.
    [[nodiscard]] store::WorkClaim work_claim();
    // The hosts this node holds, as the claim left them: requests start only to these, after the
    // not_before the previous node left.
    void take_hosts(const std::vector<store::HostHold>& hosts);
    // The feeds this node holds: due here, waiting for their host, in flight or being written.
    [[nodiscard]] std::vector<std::string> held_feeds() const;
    [[nodiscard]] std::size_t held_count() const;
    // How many more feeds to claim now: up to twice `concurrency` held, none while stopping, while
    // results wait for the writer beyond its bound, or while leases may have run out; offline, one
    // for the probe.
    [[nodiscard]] int claim_room() const;
    // Claimed feeds, with their state as the archive has it: due now.
    void take_claimed(std::vector<FeedState> claimed);
    // The leases last until then (the last heartbeat that reached the archive, plus the lease).
    // Past it no fetch starts: the feeds not started are dropped, another node may hold them.
    void leases_valid_until(SteadyTime until);
    // Shared: fetches ended and left room for a claim of half the slots' worth of feeds.
    std::function<void()> on_room;

    std::function<void(const PollReport&)> on_report;
    // A walk through a feed's history ended (docs/ARCHITECTURE.md, "History").
    std::function<void(const BackfillReport&)> on_backfill;
    // Once mode: called when nothing is queued, in flight or waiting for the writer.
    std::function<void()> on_idle;

    const Totals& totals() const { return totals_; }
    const config::Config& config() const { return config_; }
    std::size_t feed_count() const { return sources_.size(); }
    [[nodiscard]] int failing_feeds() const;
    [[nodiscard]] std::optional<WallTime> next_due() const;
    // Since when the network is out (docs/ARCHITECTURE.md, "Offline and back"), while it is.
    [[nodiscard]] std::optional<TimePoint> offline_since() const { return outage_.since(); }
    // Fetches in flight, polls waiting for the writer, or the archive asked for the pages due: the
    // pipeline is waiting on real I/O.
    [[nodiscard]] bool busy() const { return gate_.in_flight() > 0 || pending_writes_ > 0 || claiming_; }
    // Why the archive refused the latest write; "" once a write succeeds again.
    const std::string& write_failure() const { return write_failure_; }

  private:
    void dispatch();
    void start_due();  // dispatch's work: the due feeds and pages that may start now
    // Offline: one fetch at a time, one a minute, of the feed due soonest.
    void probe(WallTime now);
    // Compares how far the wall and the steady clock moved since the last look: a suspend (or the
    // clock set forward) spreads what fell due; a clock set back moves the due times back.
    void check_clock();
    // The feeds an outage held back and those overdue, spread over the next minutes.
    void catch_up(WallTime now);
    // The failures that showed an outage counted before it was seen: take them back.
    void forgive(const std::string& name, int failures, TimePoint since);
    void spread(const std::vector<std::string>& names, WallTime now, Duration window);
    void arm_timer(WallTime when);
    // Writer thread: the configured feeds into the archive, or kept for the next write.
    void record_feeds(store::Archive& archive, std::vector<FeedSource> feeds);
    void start(const std::string& name, const std::string& host_key);
    // The registered domain a feed's requests go to: the key of its HostGate and of its queue.
    [[nodiscard]] std::string host_key(const FeedSource& feed) const;
    // Alone, every host; shared, the hosts this node holds (docs/ARCHITECTURE.md, "Several nodes").
    [[nodiscard]] bool may_start(const std::string& host_key) const {
        return !shared_ || hosts_held_.count(host_key) > 0;
    }
    // The request for `url` of `feed`, with the feed's options and the configured limits; its
    // credentials go only to the origin of the feed's configured URL (fetch checks every hop).
    // Throws when a password cannot be read.
    FetchRequest request_for(const FeedSource& feed, std::string url) const;
    // A fetch came back (event loop): release its slot, then hand it to the writer thread.
    void on_fetched(const std::string& name, const std::string& host_key, FetchResult result);
    // Tells the outage detector about a fetch; true when this failure is our network's, not the
    // feed's (it then does not count against the feed).
    bool note_outage(const std::string& host_key, FetchErrorKind error, WallTime now);

    // What the writer thread needs to turn one fetch into a poll: copies, never the event loop's
    // own state.
    struct PollJob {
        FeedSource feed;
        FeedState state;  // before this poll
        schedule::Policy policy;
        double jitter = 0;
        std::optional<TimePoint> outage_since;  // set when this failure is our network's
        bool once = false;
        Duration retry_on_store_failure{};
        HookRunner* hooks = nullptr;
        bool automatic = false;  // interval = "auto" (daemon/completeness.hpp)
        std::size_t cost = 0;    // what it counts in pending_bytes_
        HistoryBounds history;   // a first poll's walk; pages 0: none
        FullText full_text = FullText::off;
    };
    // What a written (or refused) poll tells the event loop.
    struct Written {
        std::string name;
        std::optional<FeedState> state;  // set when the archive took the poll
        WallTime next;
        PollReport report;
        std::string write_error;
        std::size_t cost = 0;
        std::optional<HistoryWalk> history;  // a first poll whose document links earlier pages
        bool pages_requested = false;        // its new articles asked for their pages (full text)
    };
    // A fetched document as the preparing thread leaves it for the writer (Writer::Prepare).
    struct Document {
        std::optional<ParsedFeed> parsed;  // none when the fetch failed
        store::DocumentDigest digest;
    };
    // Preparing thread: parses the body (it goes), and digests the entries when there are any.
    static Document read_document(FetchResult& result, const std::string& url, store::DigestOptions options);
    // Writer thread: decide the feed's new state and next poll, ready for the archive.
    Writer::PreparedPoll prepare_poll(store::Archive& archive, PollJob job, FetchResult result,
                                      Document document);
    // Writer thread, once the archive took the poll or refused it: the report, hooks, retry time.
    Written finish_poll(store::Archive& archive, const PollJob& job, store::PollCommit commit,
                        Written written, WallTime retry_at);
    // What prepare_poll read of a feed's publishing, for judging a gap once the poll is written.
    struct GapCheck {
        schedule::Publishing before;     // the archive's, before this poll
        schedule::Publishing with_poll;  // with the new entries of this poll's document
        schedule::PollWindow poll;       // the document's arrivals; seen_before from the write
        RefreshOutcome outcome;
        TimePoint now;
    };
    // Writer thread, once a poll with a document is written: a gap found is logged, recorded and,
    // for an automatic interval, brings the next poll forward.
    void note_gap(store::Archive& archive, const PollJob& job, GapCheck check,
                  const store::IngestCounts& counts, Written& written);
    void on_written(Written written);

    // History (docs/ARCHITECTURE.md, "History"): one walk per feed at a time; the feed stays busy
    // (no poll of it starts) until the walk ends, and its next poll is scheduled then.
    struct Walk {
        HistoryWalk walk;
        std::optional<WallTime> then;  // the feed's next poll
    };
    // What the writer thread needs to write one page: copies, as for a poll.
    struct PageJob {
        FeedSource feed;
        FeedState state;  // not written: a page leaves the feed's state alone
        std::string url;
        std::size_t cost = 0;
    };
    HistoryBounds history_bounds(int pages) const;
    void begin_walk(const std::string& name, HistoryWalk walk, std::optional<WallTime> then);
    // Queues the walk's next page behind its host's gate, or ends the walk.
    void next_page(const std::string& name);
    void end_walk(const std::string& name);
    void start_page(const std::string& name, const std::string& host_key);
    void on_page_fetched(const std::string& name, const std::string& host_key, FetchResult result,
                         bool budget);
    Writer::PreparedPoll prepare_page(PageJob job, Document document);
    void on_page_written(const std::string& name, HistoryPage page, std::string error, std::size_t cost);
    // Full text (docs/ARCHITECTURE.md, "Full text"): article pages, claimed from the archive when
    // due, queued per registered domain and fetched through the same gates as feeds, after them.
    void want_pages(WallTime now);
    void on_claimed(std::vector<store::PageTask> tasks, std::optional<TimePoint> next);
    // Starts what the gates allow of the queued pages; feeds waiting for a host go first.
    void drain_article_pages(WallTime now, WallTime& wake);
    void start_article_page(store::PageTask task, const std::string& host_key);
    // robots.txt of a page's site, fetched through the host's gate like any request to it.
    void start_robots(const std::string& robots_url, const std::string& host_key);
    void on_robots_fetched(const std::string& robots_url, const std::string& host_key, FetchResult result);
    // A page robots.txt keeps feedd from: recorded with the reason (page_refused), and logged.
    void refuse_page(store::PageTask task, std::string reason, bool disallowed);
    // On the writer: records what `outcome` (called there) makes of a page not fetched or not
    // counted, and logs its line; then the page leaves the queue, due again at its next try.
    void record_unfetched_page(store::PageTask task, std::function<PageOutcome(TimePoint)> outcome);
    // A page that failed, or that robots.txt could not be read for, because our network is down:
    // recorded as page_offline says (not counted), and logged.
    void page_offline_now(const store::PageTask& task, const std::string& error, long status);
    // Remembers a page whose network-level failure (its own, or its robots.txt's) counted, before
    // any outage was seen: forgiven when the outage shows.
    void page_suspect(const store::PageTask& task, const std::string& error, long status);
    void on_article_page_fetched(const store::PageTask& task, const std::string& host_key,
                                 FetchResult result);
    void on_article_page_written(std::int64_t article_id, std::size_t cost,
                                 std::optional<TimePoint> next_try);
    [[nodiscard]] bool pages_idle() const;
    void check_idle();
    void room_freed();
    // After states_[name] changed: the failing count and the cached host key follow.
    void note_state(const std::string& name);
    // Results handed to the writer (`polls` 1) or written (-1), with their cost.
    void note_pending(int polls, std::size_t cost);
    const FeedSource* source(const std::string& name) const;
    FeedState state_of(const std::string& name) const;

    boost::asio::io_context& io_;
    Clock& clock_;
    fetch::Fetcher& fetcher_;
    Writer& writer_;
    config::Config config_;
    std::map<std::string, const FeedSource*> sources_;  // into config_.feeds
    std::map<std::string, FeedState> states_;
    std::set<std::string> failing_;  // of states_, those failing or gone (note_state)
    // Feed name → its host key (host_key), until its state or feeds.toml changes.
    mutable std::unordered_map<std::string, std::string> host_keys_;
    bool once_;
    HookRunner* on_new_;

    schedule::DueQueue due_;
    std::map<std::string, std::deque<std::string>> ready_;  // registered domain -> due feeds, oldest first
    std::map<std::string, Walk> walks_;                     // feed -> its walk through its history
    std::map<std::string, std::deque<std::string>>
        pages_ready_;  // registered domain -> feeds whose next page waits
    schedule::HostGate gate_;
    schedule::OutageDetector outage_;
    // Feeds whose network-level failure since the last answer counted, with their failure count
    // before it: forgiven when those failures turn out to be an outage.
    std::map<std::string, int> suspects_;
    std::map<std::string, int> forgive_on_write_;  // suspects whose poll was still being written
    std::set<std::string> held_;                   // failed during the outage, not counted
    // Pages as suspects_ holds feeds: their task before the counted failure, and the failure.
    struct PageSuspect {
        store::PageTask task;
        std::string error;
        long status = 0;
    };
    std::map<std::int64_t, PageSuspect> page_suspects_;
    WallTime next_probe_{};
    WallTime last_wall_;
    SteadyTime last_steady_;
    std::set<std::string> busy_;     // feeds fetched or being written
    int pending_writes_ = 0;         // results handed to the writer and not yet written
    int feeds_writing_ = 0;          // of busy_, those whose poll or history page the writer holds
    std::size_t pending_bytes_ = 0;  // their cost (body, at least kResultCost each)
    bool stopping_ = false;
    std::function<void()> on_stopped_;
    std::unique_ptr<Clock::Timer> timer_;
    WallTime timer_at_ = WallTime::max();
    boost::asio::steady_timer grace_timer_;
    std::mt19937_64 random_{std::random_device{}()};
    Totals totals_;
    std::string write_failure_;
    std::optional<std::vector<FeedSource>> unrecorded_feeds_;  // writer thread only
    // Full text: pages due, per registered domain; the articles queued, in flight or being
    // written (a page claimed again after its lease is not queued twice); fetches in flight.
    std::map<std::string, std::deque<store::PageTask>> articles_ready_;
    std::set<std::int64_t> articles_queued_;
    std::size_t article_fetches_ = 0;
    bool claiming_ = false;
    bool shared_ = false;
    std::optional<SteadyTime> leases_valid_until_;
    std::set<std::string> hosts_held_;  // shared: the registered domains this node holds
    // robots.txt by its URL (one per site): what it says, or that its fetch is under way.
    struct RobotsEntry {
        std::optional<Robots> robots;
        bool fetching = false;
    };
    std::map<std::string, RobotsEntry> robots_;
    std::vector<std::string> page_feeds_;  // only_pages_of
    // When the archive's next page is due; nothing when none is. The first dispatch looks.
    std::optional<WallTime> pages_due_ = WallTime{};
};

}  // namespace feedd::daemon
