#include "daemon/writer.hpp"

#include <string>
#include <vector>

#include "daemon/log.hpp"

namespace feedd::daemon {
namespace {

// A batch is cut at this many polls or this many bytes of bodies, whichever comes first: enough
// to spread a commit over many feeds, little enough to keep parsed feeds' memory small.
constexpr std::size_t kMaxBatchPolls = 64;
constexpr std::size_t kMaxBatchBytes = std::size_t{1} << 20;

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

void Writer::finish() {
    {
        std::lock_guard lock(mutex_);
        finishing_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Writer::loop() noexcept {
    for (;;) {
        std::deque<Item> batch;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return finishing_ || !items_.empty(); });
            if (items_.empty()) return;
            // A plain job runs alone; polls queued one after another are taken together, in order.
            std::size_t bytes = 0;
            do {
                bytes += items_.front().bytes;
                batch.push_back(std::move(items_.front()));
                items_.pop_front();
            } while (batch.front().poll && !items_.empty() && items_.front().poll &&
                     batch.size() < kMaxBatchPolls && bytes + items_.front().bytes <= kMaxBatchBytes);
        }
        if (batch.front().job)
            guarded("writer", [&] { batch.front().job(archive_); });
        else
            write_polls(std::move(batch));
    }
}

void Writer::write_polls(std::deque<Item> batch) {
    std::vector<PreparedPoll> prepared;
    prepared.reserve(batch.size());
    for (auto& item : batch) {
        guarded("writer", [&] { prepared.push_back(item.poll(archive_)); });
        item.poll = nullptr;  // its captured body goes now, not after the whole batch
    }
    std::vector<store::PollWrite> writes;
    writes.reserve(prepared.size());
    for (const auto& poll : prepared)
        writes.push_back({poll.feed, poll.parsed ? &*poll.parsed : nullptr, poll.state, poll.now});
    std::vector<store::PollCommit> results;
    guarded("writer", [&] { results = archive_.commit_polls(writes); });
    results.resize(prepared.size(), store::PollCommit{{}, "archive write failed: unexpected error"});
    for (std::size_t i = 0; i < prepared.size(); ++i)
        guarded("writer", [&] { prepared[i].done(archive_, std::move(results[i])); });
}

}  // namespace feedd::daemon
