#include "daemon/writer.hpp"

#include "daemon/log.hpp"

namespace feedd::daemon {

Writer::Writer(store::Archive archive) : archive_(std::move(archive)), thread_([this] { loop(); }) {}

Writer::~Writer() { finish(); }

void Writer::post(Job job) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back(std::move(job));
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
        Job job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return finishing_ || !jobs_.empty(); });
            if (jobs_.empty()) return;
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            job(archive_);
        } catch (const std::exception& e) {
            log_error(std::string("writer: ") + e.what());
        } catch (...) {
            log_error("writer: unknown failure");
        }
    }
}

}  // namespace feedd::daemon
