#include "daemon/writer.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "daemon/log.hpp"

namespace feedd::daemon {
namespace {

// A transaction is committed once it holds this many polls or this many bytes of bodies, once
// its first poll has waited this long, or as soon as nothing more waits for the writer and no
// fetch is in flight: while results keep coming (a cold start, a burst of due feeds), many feeds
// share one commit; a lone poll is written at once. Measured on a cold poll and a 10 %-changed one
// (docs/ARCHITECTURE.md, "Threading").
constexpr std::size_t kMaxBatchPolls = 1024;
constexpr std::size_t kMaxBatchBytes = std::size_t{2} << 20;
constexpr auto kMaxBatchAge = std::chrono::seconds(1);

template <typename F>
void guarded(const char* what, F&& f) noexcept {
    try {
        f();
    } catch (const std::exception& e) {
        log_error(std::string(what) + ": " + e.what());
    } catch (...) {
        log_error(std::string(what) + ": unknown failure");
    }
}

}  // namespace

Writer::Writer(store::Archive archive)
    : archive_(std::move(archive)),
      packs_html_(archive_.packs_html()),
      preparer_([this] { prepare_loop(); }),
      thread_([this] { loop(); }) {}

Writer::~Writer() {
    finish();
}

void Writer::post(Job job) {
    enqueue(Item{std::move(job), nullptr, nullptr, 0});
}

void Writer::post_poll(Prepare prepare, std::size_t bytes) {
    enqueue(Item{nullptr, std::move(prepare), nullptr, bytes});
}

void Writer::post_ready(PollJob job, std::size_t bytes) {
    enqueue(Item{nullptr, nullptr, std::move(job), bytes});
}

void Writer::enqueue(Item item) {
    bool ready = false;
    {
        std::lock_guard lock(mutex_);
        // What needs no preparing (a job, a poll without a document) skips the preparing thread
        // when nothing is posted before it; behind items still being prepared it waits its turn.
        ready = !item.prepare && !preparing_any();
        if (ready) {
            ready_bytes_ += item.bytes;
            ready_.push_back(std::move(item));
        } else {
            posted_.push_back(std::move(item));
        }
    }
    if (ready)
        wake_.notify_one();
    else
        wake_preparer_.notify_one();
}

void Writer::expect(std::size_t results) {
    {
        std::lock_guard lock(mutex_);
        if (expected_ == results) return;
        expected_ = results;
    }
    wake_.notify_one();
}

void Writer::finish() {
    {
        std::lock_guard lock(mutex_);
        finishing_ = true;
    }
    wake_preparer_.notify_one();
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    if (preparer_.joinable()) preparer_.join();
}

void Writer::prepare_loop() noexcept {
    for (;;) {
        Item item;
        {
            std::unique_lock lock(mutex_);
            // At most a batch's bytes prepared ahead: the writer takes what is ready at once and
            // commits, and the next batch is prepared during that commit. Further ahead, parsed
            // documents (with their text) would wait in memory for nothing (bench/README.md).
            // It ends after the writer, which may post until its last item ran.
            wake_preparer_.wait(lock, [this] {
                return writer_done_ ||
                       (!posted_.empty() && (!posted_.front().prepare || ready_bytes_ < kMaxBatchBytes));
            });
            if (posted_.empty()) return;
            item = std::move(posted_.front());
            posted_.pop_front();
            preparing_ = item.prepare != nullptr;
        }
        if (item.prepare) {
            try {
                item.poll = item.prepare();
            } catch (...) {
                // Said where the writer says a poll's failure: the poll's own job rethrows it.
                item.poll = [error = std::current_exception()](store::Archive&) -> PreparedPoll {
                    std::rethrow_exception(error);
                };
            }
            item.prepare = nullptr;  // its captured body goes now
        }
        {
            std::lock_guard lock(mutex_);
            ready_bytes_ += item.bytes;  // 0 for a job
            ready_.push_back(std::move(item));
            preparing_ = false;
        }
        wake_.notify_one();
    }
}

void Writer::loop() noexcept {
    // Polls made ready and waiting for their commit: each is made ready as it is taken, so that
    // what its job holds goes at once; the batch holds parsed feeds, not bodies.
    std::vector<PreparedPoll> batch;
    std::size_t batch_bytes = 0;
    auto batch_started = std::chrono::steady_clock::now();
    auto write = [&] {
        if (batch.empty()) return;
        write_polls(std::move(batch));
        batch.clear();
        batch_bytes = 0;
    };
    for (;;) {
        Item item;
        {
            std::unique_lock lock(mutex_);
            if (ready_.empty() && !batch.empty()) {
                // Nothing else is ready: what is parsed is written now, not when the next poll
                // comes, unless polls posted are being prepared (they are as good as ready) or
                // fetches in flight will bring more before the batch is due anyway.
                if (preparing_any()) {
                    wake_.wait(lock, [this] { return !ready_.empty() || !preparing_any(); });
                    continue;
                }
                const auto due = batch_started + kMaxBatchAge;
                if (expected_ > 0 && !finishing_ && std::chrono::steady_clock::now() < due) {
                    wake_.wait_until(lock, due, [this] {
                        return finishing_ || !ready_.empty() || preparing_any() || expected_ == 0;
                    });
                    continue;
                }
                lock.unlock();
                write();
                continue;
            }
            wake_.wait(lock, [this] { return !ready_.empty() || (finishing_ && !preparing_any()); });
            if (ready_.empty()) {
                writer_done_ = true;
                lock.unlock();
                wake_preparer_.notify_one();
                return;
            }
            item = std::move(ready_.front());
            ready_.pop_front();
            ready_bytes_ -= item.bytes;
        }
        if (item.bytes > 0) wake_preparer_.notify_one();  // room ahead
        if (item.job) {
            write();  // in order: a job after polls sees them written
            guarded("writer", [&] { item.job(archive_); });
            continue;
        }
        if (batch.empty()) batch_started = std::chrono::steady_clock::now();
        guarded("writer", [&] { batch.push_back(item.poll(archive_)); });
        item.poll = nullptr;  // its captured document goes now, not after the whole batch
        batch_bytes += item.bytes;
        if (batch.size() >= kMaxBatchPolls || batch_bytes >= kMaxBatchBytes ||
            std::chrono::steady_clock::now() - batch_started >= kMaxBatchAge)
            write();
    }
}

void Writer::write_polls(std::vector<PreparedPoll> prepared) {
    std::vector<store::PollWrite> writes;
    writes.reserve(prepared.size());
    for (const auto& poll : prepared)
        writes.push_back({poll.feed, poll.parsed ? &*poll.parsed : nullptr, poll.state, poll.now,
                          poll.history, &poll.digest});
    std::vector<store::PollCommit> results;
    guarded("writer", [&] { results = archive_.commit_polls(writes); });
    results.resize(prepared.size(), store::PollCommit{{}, "archive write failed: unexpected error"});
    for (std::size_t i = 0; i < prepared.size(); ++i)
        guarded("writer", [&] { prepared[i].done(archive_, std::move(results[i])); });
}

}  // namespace feedd::daemon
