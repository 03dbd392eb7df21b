// The single writer thread: it owns the archive's one write connection and runs parse + store
// jobs in order, so SQLite sees one writer and the event loop never waits on the disk.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "feedd/store/store.hpp"

namespace feedd::daemon {

class Writer {
  public:
    using Job = std::function<void(store::Archive&)>;

    explicit Writer(store::Archive archive);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Jobs must not throw (they report through the event loop); the queue is bounded by the
    // caller, which starts no fetch while too many results wait here.
    void post(Job job);
    // Runs what is queued, then ends the thread.
    void finish();

  private:
    void loop() noexcept;

    store::Archive archive_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> jobs_;
    bool finishing_ = false;
    std::thread thread_;
};

}  // namespace feedd::daemon
