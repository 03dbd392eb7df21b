// The single writer thread: it owns the archive's one write connection and runs parse + store
// jobs in order, so SQLite sees one writer and the event loop never waits on the disk.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "feedd/model/model.hpp"
#include "feedd/store/store.hpp"

namespace feedd::daemon {

class Writer {
  public:
    using Job = std::function<void(store::Archive&)>;

    // A poll ready to write, made on the writer thread (parsing is the writer's work too), with
    // what to do once the archive took it or refused it.
    struct PreparedPoll {
        FeedSource feed;
        std::optional<ParsedFeed> parsed;
        FeedState state;
        TimePoint now{};
        std::function<void(store::Archive&, store::PollCommit)> done;
        bool history = false;  // a backfill's page: entries only (store::PollWrite::history)
    };
    using PollJob = std::function<PreparedPoll(store::Archive&)>;

    explicit Writer(store::Archive archive);
    ~Writer();  // runs what is queued, then joins
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Jobs report through the event loop; the queue is bounded by the caller, which starts no
    // fetch while too many results wait here.
    void post(Job job);
    // Polls that come while the writer is busy are written in one transaction
    // (`Archive::commit_polls`): a burst of fetches costs one commit per batch instead of one per
    // feed. `bytes` (the body's size) caps how much one batch holds in memory.
    void post_poll(PollJob job, std::size_t bytes);
    // How many results are on their way to the writer (fetches in flight). While some are, a
    // batch whose queue ran dry waits for them, up to kMaxBatchAge after its first poll, instead
    // of being committed at once: during a burst each commit costs the FTS5 flush, the pages of
    // the indexes and `feed_state` it touched, and their WAL frames again.
    void expect(std::size_t results);
    // Runs what is queued, then ends the thread. Idempotent.
    void finish();

  private:
    struct Item {
        Job job;       // either this
        PollJob poll;  // or this
        std::size_t bytes = 0;
    };
    void loop() noexcept;
    void write_polls(std::vector<PreparedPoll> prepared);

    store::Archive archive_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Item> items_;
    std::size_t expected_ = 0;  // guarded by mutex_
    bool finishing_ = false;
    std::thread thread_;  // last: it starts once the members it uses exist
};

}  // namespace feedd::daemon
