#include "daemon/cluster.hpp"

#include <boost/asio/post.hpp>
#include <fstream>
#include <iterator>

#include "daemon/log.hpp"
#include "feedd/text/text.hpp"

namespace feedd::daemon {
namespace {

// Feeds that fall due are claimed within this; while claims find as many due feeds as they ask
// for, another follows as soon as a poll's slot frees.
constexpr auto kClaimEvery = std::chrono::seconds(1);
// While the archive cannot be reached, one warning this often (the first at once).
constexpr auto kWarnEvery = std::chrono::minutes(1);

TimePoint seconds_now() {
    return std::chrono::floor<std::chrono::seconds>(WallClock::now());
}

}  // namespace

std::string config_digest(const std::filesystem::path& config_path) {
    std::ifstream in(config_path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text::hash_hex(bytes);
}

Cluster::Cluster(boost::asio::io_context& io, const store::Location& database, store::NodeInfo node,
                 Pipeline& pipeline)
    : io_(io),
      pipeline_(pipeline),
      node_(std::move(node)),
      archive_(store::Archive::open(database, store::OpenMode::read_write)),
      claim_timer_(io),
      beat_timer_(io) {
    const auto sent = SteadyClock::now();
    id_ = archive_.add_node(node_, seconds_now());
    pipeline_.share();
    pipeline_.leases_valid_until(sent + node_.lease);
    pipeline_.on_room = [this] {
        if (more_due_) claim();
    };
    log_info("node " + std::to_string(id_) + " of a shared archive: feeds are claimed with a lease of " +
             config::format_duration(node_.lease));
}

Cluster::~Cluster() {
    worker_.finish();
}

void Cluster::arm(boost::asio::steady_timer& timer, SteadyClock::duration after, void (Cluster::*tick)()) {
    timer.expires_after(after);
    timer.async_wait([this, tick](const boost::system::error_code& error) noexcept {
        if (!error && !stopped_) (this->*tick)();
    });
}

void Cluster::start() {
    claim();
    beat();
}

void Cluster::stop() {
    stopped_ = true;
    pipeline_.on_room = nullptr;
    claim_timer_.cancel();
    beat_timer_.cancel();
}

void Cluster::claim() {
    if (stopped_) return;
    if (!claiming_) {
        const int room = pipeline_.claim_room();
        // Hosts change hands here too: those no longer used go back (with their gates' gaps and
        // pauses), those that requests wait for are taken when free.
        auto work = pipeline_.work_claim();
        if (room > 0 || !work.want.empty() || !work.release.empty() || !work.holding.empty()) {
            claiming_ = true;
            const auto sent = SteadyClock::now();
            if (room <= 0) {
                work.feeds.clear();
                work.hosts.clear();
            }
            worker_.post([this, room, sent, work = std::move(work)]() mutable {
                store::ClaimedWork claimed;
                bool ok = false;
                last_claimed_.clear();
                try {
                    const auto now = seconds_now();
                    work.now_ms = std::chrono::floor<std::chrono::milliseconds>(WallClock::now())
                                      .time_since_epoch()
                                      .count();
                    claimed = archive_.claim_work(id_, work, now,
                                                  now + std::chrono::ceil<std::chrono::seconds>(node_.lease),
                                                  std::max(room, 0));
                    ok = true;
                    for (const auto& state : claimed.feeds) last_claimed_.push_back(state.name);
                    reached();
                } catch (const std::exception& e) {
                    failed("claiming due feeds", e);
                }
                boost::asio::post(io_,
                                  [this, claimed = std::move(claimed), ok, room, sent]() mutable noexcept {
                                      on_claimed(std::move(claimed), ok, room, sent);
                                  });
            });
        }
    }
    claim_timer_.cancel();
    arm(claim_timer_, kClaimEvery, &Cluster::claim);
}

void Cluster::on_claimed(store::ClaimedWork claimed, bool ok, int asked, SteadyTime) {
    claiming_ = false;
    // Stopped: given back with the node when it leaves. Failed: the hosts held stay as they were.
    if (stopped_ || !ok) return;
    // Whether more is due is what the claim found, not what it took: with other nodes claiming at
    // the same time, the due feeds it found are often leased by another node that committed first
    // (a claim of one feed then takes none), and waiting for the next second left slots idle.
    // A claim that asked for none (hosts only, every slot busy) says nothing of what is due: it
    // left the node without feeds for up to a second when it ended the claims on freed slots.
    if (asked > 0) more_due_ = claimed.due_found >= asked;
    const auto took = claimed.feeds.size();
    empty_claims_ = took > 0 ? 0 : empty_claims_ + 1;
    if (took > 0) log_debug("claimed " + std::to_string(took) + " due feeds");
    pipeline_.take_hosts(claimed.hosts);
    pipeline_.take_claimed(std::move(claimed.feeds));
    // Short of what it asked for, with more due: the rest now, since no slot may be busy to ask
    // again when it frees. A few claims in a row that take nothing leave it to the timer.
    if (more_due_ && took < static_cast<std::size_t>(asked) && empty_claims_ < 3) claim();
}

void Cluster::beat() {
    if (stopped_) return;
    const auto sent = SteadyClock::now();
    // A claim whose answer the event loop has not taken yet ran before this job (one thread, in
    // order): its feeds are held too, though the pipeline does not know them yet.
    worker_.post([this, sent, held = pipeline_.held_feeds(), digest = node_.config_digest,
                  claim_pending = claiming_]() mutable {
        if (claim_pending) held.insert(held.end(), last_claimed_.begin(), last_claimed_.end());
        bool ok = false;
        bool registered_again = false;
        try {
            const auto now = seconds_now();
            if (!archive_.heartbeat(id_, held, digest, now,
                                    now + std::chrono::ceil<std::chrono::seconds>(node_.lease))) {
                // The node's row is gone (removed by hand, or lost with the database's latest commits):
                // register again, holding nothing.
                log_warning("node " + std::to_string(id_) + " was no longer registered: registering again");
                id_ = archive_.add_node({node_.host, node_.pid, node_.version, digest, node_.lease}, now);
                registered_again = true;
            } else {
                ok = true;
            }
            reached();
        } catch (const std::exception& e) {
            failed("heartbeat", e);
        }
        boost::asio::post(io_, [this, ok, sent, registered_again]() noexcept {
            if (ok) pipeline_.leases_valid_until(sent + node_.lease);
            // The archive lost this node's row: what lost it may have lost the feeds too.
            if (registered_again) record_feeds_again();
            // Feeds whose lease may have run out are dropped before they start.
            pipeline_.take_claimed({});
        });
    });
    // A third of the lease: two heartbeats may fail before the leases run out.
    arm(beat_timer_, std::chrono::duration_cast<SteadyClock::duration>(node_.lease) / 3, &Cluster::beat);
}

void Cluster::failed(const std::string& what, const std::exception& error) {
    const auto now = SteadyClock::now();
    if (failures_++ == 0) failing_since_ = seconds_now();
    if (failures_ > 1 && now - last_warning_ < kWarnEvery) return;
    last_warning_ = now;
    const auto since = format_utc(failing_since_);
    log_warning(what + ": " + error.what() +
                (failures_ > 1
                     ? " (" + std::to_string(failures_) + " failed claims and heartbeats since " + since + ")"
                     : std::string()));
    boost::asio::post(io_, [this, note = "shared archive unreachable since " + since + ": " +
                                         error.what()]() mutable noexcept {
        trouble_ = std::move(note);
        if (on_trouble) on_trouble();
    });
}

void Cluster::reached() {
    if (failures_ == 0) return;
    log_info("the shared archive answers again, after " + std::to_string(failures_) +
             " failed claims and heartbeats since " + format_utc(failing_since_));
    failures_ = 0;
    boost::asio::post(io_, [this]() noexcept {
        // What answers may be a replica promoted without this node's latest commits.
        record_feeds_again();
        trouble_.clear();
        if (on_trouble) on_trouble();
    });
}

void Cluster::record_feeds_again() {
    if (stopped_) return;
    worker_.post([this, feeds = pipeline_.config().feeds] {
        try {
            archive_.sync_feeds(feeds);
        } catch (const std::exception& e) {
            // Tried again after the next failure the archive recovers from.
            log_warning(std::string("recording the configured feeds again: ") + e.what());
        }
    });
}

void Cluster::set_config_digest(std::string digest) {
    node_.config_digest = std::move(digest);  // on the event loop, where beat() reads it
}

void Cluster::leave() {
    stop();
    // Nothing is in use any more: every host goes back with its gate's gap or pause, which the
    // next node to take it waits out.
    auto work = pipeline_.work_claim();
    work.feeds.clear();
    work.hosts.clear();
    work.want.clear();
    worker_.post([this, work = std::move(work)] {
        try {
            const auto now = seconds_now();
            static_cast<void>(archive_.claim_work(id_, work, now, now, 0));
            archive_.remove_node(id_);
        } catch (const std::exception& e) {
            log_warning(std::string("leaving the shared archive: ") + e.what() +
                        " (other nodes take this node's feeds once its leases run out)");
        }
    });
    worker_.finish();
}

}  // namespace feedd::daemon
