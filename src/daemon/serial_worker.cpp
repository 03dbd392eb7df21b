#include "daemon/serial_worker.hpp"

#include <string>

#include "daemon/log.hpp"

namespace feedd::daemon {

SerialWorker::SerialWorker() : thread_([this] { loop(); }) {}

SerialWorker::~SerialWorker() {
    finish();
}

void SerialWorker::post(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
}

void SerialWorker::finish() {
    {
        std::lock_guard lock(mutex_);
        finishing_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

std::size_t SerialWorker::waiting() const {
    std::lock_guard lock(mutex_);
    return jobs_.size();
}

void SerialWorker::loop() noexcept {
    for (;;) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return finishing_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            log_error(std::string("worker: ") + e.what());
        } catch (...) {
            log_error("worker: unknown failure");
        }
    }
}

}  // namespace feedd::daemon
