// The pipeline's two clocks and its timer, behind one interface: the system's in the daemon, a
// simulated one in tests (tests/daemon/simulated_clock.hpp), so that hours of scheduling (an
// outage, a suspend, a clock set back) run in milliseconds against a real server.
//
// Two clocks because they disagree on purpose: the wall clock says when a feed is due (it is
// persisted and shown), the steady clock says how long a timer waits. On Linux the steady clock
// (CLOCK_MONOTONIC) stands still while the machine sleeps and ignores `date -s`; comparing how
// far each moved is how the pipeline notices a suspend or a clock set backwards.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace feedd::daemon {

using WallClock = std::chrono::system_clock;
using WallTime = WallClock::time_point;
using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;

class Clock {
  public:
    // One pending wake-up; a new wait replaces the previous one. Fires on the io_context's thread.
    class Timer {
      public:
        virtual ~Timer() = default;
        virtual void wait_until(SteadyTime at, std::function<void()> fire) = 0;
        virtual void cancel() = 0;
    };

    virtual ~Clock() = default;
    // Both may be read from any thread (the writer thread stamps polls).
    [[nodiscard]] virtual WallTime wall() const = 0;
    [[nodiscard]] virtual SteadyTime steady() const = 0;
    [[nodiscard]] virtual std::unique_ptr<Timer> timer(boost::asio::io_context& io) = 0;
};

// The system's clocks and a boost::asio::steady_timer.
class SystemClock final : public Clock {
  public:
    WallTime wall() const override { return WallClock::now(); }
    SteadyTime steady() const override { return SteadyClock::now(); }
    std::unique_ptr<Timer> timer(boost::asio::io_context& io) override {
        return std::make_unique<AsioTimer>(io);
    }

  private:
    class AsioTimer final : public Timer {
      public:
        explicit AsioTimer(boost::asio::io_context& io) : timer_(io) {}
        void wait_until(SteadyTime at, std::function<void()> fire) override {
            timer_.expires_at(at);
            timer_.async_wait([fire = std::move(fire)](const boost::system::error_code& error) noexcept {
                if (!error) fire();
            });
        }
        void cancel() override { timer_.cancel(); }

      private:
        boost::asio::steady_timer timer_;
    };
};

// The process's SystemClock.
inline Clock& system_clock() {
    static SystemClock clock;
    return clock;
}

}  // namespace feedd::daemon
