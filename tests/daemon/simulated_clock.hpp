// Simulated time for the real Pipeline: a Clock whose wall and steady readings move only when the
// test says, and a harness that runs the pipeline against a real server until a simulated time.
// Real I/O (fetches to 127.0.0.x, the writer thread) runs at real speed while simulated time stands
// still; when nothing is in flight, time jumps to the pipeline's next timer. An hour of scheduling
// takes milliseconds, and nothing sleeps.
#pragma once

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>

#include "daemon/clock.hpp"
#include "daemon/pipeline.hpp"
#include "daemon/writer.hpp"
#include "feedd/config/config.hpp"
#include "feedd/fetch/fetch.hpp"
#include "feedd/store/store.hpp"
#include "fetch/options.hpp"

namespace feedd::test {

using daemon::SteadyTime;
using daemon::WallTime;

class SimulatedClock final : public daemon::Clock {
  public:
    explicit SimulatedClock(WallTime start) : wall_(start) {}

    WallTime wall() const override {
        std::lock_guard lock(mutex_);
        return wall_;
    }
    SteadyTime steady() const override {
        std::lock_guard lock(mutex_);
        return steady_;
    }
    std::unique_ptr<Timer> timer(boost::asio::io_context&) override {
        return std::make_unique<SimTimer>(*this);
    }

    // The earliest pending timer's steady deadline.
    std::optional<SteadyTime> next_deadline() const {
        std::optional<SteadyTime> next;
        for (const auto* timer : timers_)
            if (timer->fire_ && (!next || timer->at_ < *next)) next = timer->at_;
        return next;
    }
    // Both clocks move by `by`; timers falling due fire in order (on the caller's thread, which
    // is the io_context's).
    void advance(std::chrono::nanoseconds by) {
        const SteadyTime until = steady() + by;
        for (auto next = next_deadline(); next && *next <= until; next = next_deadline()) {
            move_both(*next - steady());
            fire_due();
        }
        move_both(until - steady());
        fire_due();
    }
    // A suspend: the wall clock moves, the steady one (CLOCK_MONOTONIC) stands still.
    void suspend(std::chrono::nanoseconds by) {
        std::lock_guard lock(mutex_);
        wall_ += std::chrono::duration_cast<WallTime::duration>(by);
    }
    // `date -s`: the wall clock alone moves, either way.
    void set_wall(WallTime to) {
        std::lock_guard lock(mutex_);
        wall_ = to;
    }

  private:
    class SimTimer final : public Timer {
      public:
        explicit SimTimer(SimulatedClock& clock) : clock_(clock) { clock_.timers_.insert(this); }
        ~SimTimer() override { clock_.timers_.erase(this); }
        void wait_until(SteadyTime at, std::function<void()> fire) override {
            at_ = at;
            fire_ = std::move(fire);
        }
        void cancel() override { fire_ = nullptr; }

        SimulatedClock& clock_;
        SteadyTime at_{};
        std::function<void()> fire_;
    };

    void move_both(SteadyTime::duration by) {
        std::lock_guard lock(mutex_);
        steady_ += by;
        wall_ += std::chrono::duration_cast<WallTime::duration>(by);
    }
    void fire_due() {
        for (auto* timer : timers_) {
            if (timer->fire_ && timer->at_ <= steady()) {
                auto fire = std::exchange(timer->fire_, nullptr);
                fire();
                return fire_due();  // the set may have changed
            }
        }
    }

    mutable std::mutex mutex_;
    WallTime wall_;
    SteadyTime steady_{std::chrono::hours(1000)};
    std::set<SimTimer*> timers_;
};

// The daemon's pipeline on simulated time: `config_text` is a feeds.toml, the archive is fresh in
// `dir`, fetches are real.
struct SimulatedDaemon {
    SimulatedDaemon(const std::filesystem::path& dir, const std::string& config_text, WallTime start,
                    fetch::FetcherOptions fetcher_options = {})
        : clock(start),
          config(config::parse_config(config_text, dir / "feeds.toml")),
          writer(open_archive(config)),
          fetcher(io, fetcher_options),
          pipeline(io, fetcher, writer, config, {}, /*once=*/false, nullptr, clock) {
        pipeline.on_report = [this](const daemon::PollReport& report) {
            reports.push_back({clock.wall(), report});
        };
    }
    ~SimulatedDaemon() {
        bool stopped = false;
        pipeline.stop(std::chrono::milliseconds(0), [&stopped] { stopped = true; });
        while (!stopped) {
            io.restart();
            io.run_one_for(std::chrono::milliseconds(50));
        }
        writer.finish();
    }

    // Runs until the simulated wall clock reaches `until`.
    void run_until(WallTime until) {
        for (;;) {
            io.restart();
            io.poll();
            if (pipeline.busy()) {
                // Real I/O: wait for its next event (a completion, a written poll).
                io.run_one_for(std::chrono::milliseconds(100));
                continue;
            }
            const auto next = clock.next_deadline();
            const auto left = until - clock.wall();
            if (left <= WallTime::duration::zero()) return;
            if (!next || *next - clock.steady() > left) {
                clock.advance(left);
                continue;
            }
            clock.advance(*next - clock.steady());
        }
    }
    void run_for(std::chrono::nanoseconds span) {
        run_until(clock.wall() + std::chrono::duration_cast<WallTime::duration>(span));
    }

    struct Report {
        WallTime at;
        daemon::PollReport report;
    };
    std::vector<Report> reports_of(const std::string& feed) const {
        std::vector<Report> out;
        for (const auto& r : reports)
            if (r.report.feed == feed) out.push_back(r);
        return out;
    }

    static store::Archive open_archive(const config::Config& config) {
        std::filesystem::create_directories(config.settings.database.parent_path());
        auto archive = store::Archive::open(config.settings.database, store::OpenMode::read_write);
        archive.sync_feeds(config.feeds);
        return archive;
    }

    SimulatedClock clock;
    config::Config config;
    boost::asio::io_context io;
    daemon::Writer writer;
    fetch::Fetcher fetcher;
    daemon::Pipeline pipeline;
    std::vector<Report> reports;
};

}  // namespace feedd::test
