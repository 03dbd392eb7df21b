// The single writer thread: it owns the archive's one write connection and runs parse + store
// jobs in order, so SQLite sees one writer and the event loop never waits on the disk.
#pragma once

#include <functional>

#include "daemon/serial_worker.hpp"
#include "feedd/store/store.hpp"

namespace feedd::daemon {

class Writer {
  public:
    using Job = std::function<void(store::Archive&)>;

    explicit Writer(store::Archive archive) : archive_(std::move(archive)) {}
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Jobs report through the event loop; the queue is bounded by the caller, which starts no
    // fetch while too many results wait here.
    void post(Job job) {
        worker_.post([this, job = std::move(job)] { job(archive_); });
    }
    // Runs what is queued, then ends the thread.
    void finish() { worker_.finish(); }

  private:
    store::Archive archive_;  // declared first: the worker's thread ends before it closes
    SerialWorker worker_;
};

}  // namespace feedd::daemon
