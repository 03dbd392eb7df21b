// The single writer thread: it owns the archive's one write connection and runs store jobs in
// order, so SQLite sees one writer and the event loop never waits on the disk. A preparing thread
// ahead of it parses the polls' documents (work that needs no archive), so that the writer's time
// goes to the archive alone (docs/ARCHITECTURE.md, "Threading").
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

    // A poll ready to write, made on the writer thread from what the preparing thread made of the
    // fetch, with what to do once the archive took it or refused it.
    struct PreparedPoll {
        FeedSource feed;
        std::optional<ParsedFeed> parsed;
        store::DocumentDigest digest;  // of `parsed`, made with it (store::digest_document)
        FeedState state;
        TimePoint now{};
        std::function<void(store::Archive&, store::PollCommit)> done;
        bool history = false;  // a backfill's page: entries only (store::PollWrite::history)
    };
    using PollJob = std::function<PreparedPoll(store::Archive&)>;
    // Runs on the preparing thread, in the order polls were posted, with nothing of the archive:
    // parses the body and returns what the writer does with the document.
    using Prepare = std::function<PollJob()>;

    explicit Writer(store::Archive archive);
    ~Writer();  // runs what is queued, then joins
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Jobs report through the event loop; the queue is bounded by the caller, which starts no
    // fetch while too many results wait here.
    void post(Job job);
    // Polls that come while the writer is busy are written in one transaction
    // (`Archive::commit_polls`): a burst of fetches costs one commit per batch instead of one per
    // feed. `bytes` (the body's size) caps how much one batch holds in memory, and how far the
    // preparing thread runs ahead of the writer (a batch's bytes).
    void post_poll(Prepare prepare, std::size_t bytes);
    // A poll with nothing to prepare (a fetch that brought no document: a 304, an error). Like a
    // job, it skips the preparing thread when nothing is posted before it, so that a warm poll's
    // hundreds of 304s do not each wake a second thread on their way to the writer.
    void post_ready(PollJob job, std::size_t bytes);
    // How many results are on their way to the writer (fetches in flight). While some are, a
    // batch whose queue ran dry waits for them, up to kMaxBatchAge after its first poll, instead
    // of being committed at once: during a burst each commit costs the FTS5 flush, the pages of
    // the indexes and `feed_state` it touched, and their WAL frames again.
    void expect(std::size_t results);
    // Runs what is queued, then ends the thread. Idempotent.
    void finish();
    // What a digest made on the preparing thread may do ahead (store::DigestOptions::pack_html).
    [[nodiscard]] bool packs_html() const { return packs_html_; }

  private:
    struct Item {
        Job job;          // either this
        Prepare prepare;  // or this, until the preparing thread made
        PollJob poll;     // this of it (or it was posted ready)
        std::size_t bytes = 0;
    };
    void enqueue(Item item);
    void prepare_loop() noexcept;
    void loop() noexcept;
    void write_polls(std::vector<PreparedPoll> prepared);
    // Items posted and not yet ready: the preparing thread has them or will take them.
    [[nodiscard]] bool preparing_any() const { return !posted_.empty() || preparing_; }

    store::Archive archive_;
    const bool packs_html_;
    std::mutex mutex_;
    std::condition_variable wake_;           // the writer: something is ready, or the state changed
    std::condition_variable wake_preparer_;  // something was posted, or the writer took polls
    // Guarded by mutex_. Items pass from `posted_` through the preparing thread to `ready_` in the
    // order they were posted (a job waits there behind the polls posted before it).
    std::deque<Item> posted_;
    std::deque<Item> ready_;
    std::size_t ready_bytes_ = 0;  // the bodies' bytes of the polls in ready_
    bool preparing_ = false;       // the preparing thread holds an item
    std::size_t expected_ = 0;
    bool finishing_ = false;
    bool writer_done_ = false;  // the writer's thread ran its last item: the preparer's ends too
    // Last: they start once the members they use exist.
    std::thread preparer_;
    std::thread thread_;
};

}  // namespace feedd::daemon
