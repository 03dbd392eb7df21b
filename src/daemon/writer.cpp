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

Writer::Writer(store::Archive archive) : archive_(std::move(archive)), thread_([this] { loop(); }) {}

Writer::~Writer() {
    finish();
}

void Writer::post(Job job) {
    {
        std::lock_guard lock(mutex_);
        items_.push_back(Item{std::move(job), nullptr, 0});
    }
    wake_.notify_one();
}

void Writer::post_poll(PollJob job, std::size_t bytes) {
    {
        std::lock_guard lock(mutex_);
        items_.push_back(Item{nullptr, std::move(job), bytes});
    }
    wake_.notify_one();
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
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Writer::loop() noexcept {
    // Polls parsed and waiting for their commit: each is parsed as it is taken, so that its body
    // goes at once; the batch holds parsed feeds, not bodies.
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
            if (items_.empty() && !batch.empty()) {
                // Nothing else waits: what is parsed is written now, not when the next poll comes,
                // unless fetches in flight will bring more before the batch is due anyway.
                const auto due = batch_started + kMaxBatchAge;
                if (expected_ > 0 && !finishing_ && std::chrono::steady_clock::now() < due) {
                    wake_.wait_until(lock, due,
                                     [this] { return finishing_ || !items_.empty() || expected_ == 0; });
                    continue;
                }
                lock.unlock();
                write();
                continue;
            }
            wake_.wait(lock, [this] { return finishing_ || !items_.empty(); });
            if (items_.empty()) return;
            item = std::move(items_.front());
            items_.pop_front();
        }
        if (item.job) {
            write();  // in order: a job after polls sees them written
            guarded("writer", [&] { item.job(archive_); });
            continue;
        }
        if (batch.empty()) batch_started = std::chrono::steady_clock::now();
        guarded("writer", [&] { batch.push_back(item.poll(archive_)); });
        item.poll = nullptr;  // its captured body goes now, not after the whole batch
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
        writes.push_back(
            {poll.feed, poll.parsed ? &*poll.parsed : nullptr, poll.state, poll.now, poll.history});
    std::vector<store::PollCommit> results;
    guarded("writer", [&] { results = archive_.commit_polls(writes); });
    results.resize(prepared.size(), store::PollCommit{{}, "archive write failed: unexpected error"});
    for (std::size_t i = 0; i < prepared.size(); ++i)
        guarded("writer", [&] { prepared[i].done(archive_, std::move(results[i])); });
}

}  // namespace feedd::daemon
