// One thread that runs posted jobs in order: the writer and the on_new hook runner each own one,
// so neither the archive nor a slow hook ever holds up the event loop.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace feedd::daemon {

class SerialWorker {
  public:
    SerialWorker();
    ~SerialWorker();  // runs what is queued, then joins
    SerialWorker(const SerialWorker&) = delete;
    SerialWorker& operator=(const SerialWorker&) = delete;

    void post(std::function<void()> job);
    // Runs what is queued, then ends the thread. Idempotent.
    void finish();
    std::size_t waiting() const;

  private:
    void loop() noexcept;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<std::function<void()>> jobs_;
    bool finishing_ = false;
    std::thread thread_;
};

}  // namespace feedd::daemon
