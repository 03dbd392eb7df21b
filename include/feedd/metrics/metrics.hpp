// Figures for Prometheus (docs/ARCHITECTURE.md, "Metrics"): counters, gauges and fixed-bucket
// histograms that one thread updates and another reads without a lock, and the text exposition
// format (version 0.0.4) they are scraped in. Std only.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace feedd::metrics {

// Label names and values of one sample, in the order they are written.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A count that only grows. Relaxed atomics: an update costs an uncontended add, and a scrape may
// see one counter a moment ahead of another, which Prometheus tolerates.
class Counter {
  public:
    void add(std::int64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    [[nodiscard]] std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> value_{0};
};

// A value that goes up and down.
class Gauge {
  public:
    void set(std::int64_t v) noexcept { value_.store(v, std::memory_order_relaxed); }
    void add(std::int64_t n) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
    [[nodiscard]] std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

  private:
    std::atomic<std::int64_t> value_{0};
};

// Observations counted into fixed buckets (upper bounds, increasing; +Inf is implied), with their
// sum and count.
class Histogram {
  public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double value) noexcept;

    struct Snapshot {
        std::vector<double> bounds;
        std::vector<std::int64_t> cumulative;  // one per bound, then +Inf (== count)
        double sum = 0;
        std::int64_t count = 0;
    };
    [[nodiscard]] Snapshot snapshot() const;

  private:
    std::vector<double> bounds_;
    std::vector<std::atomic<std::int64_t>> buckets_;  // per bound, then above the last
    std::atomic<double> sum_{0};
};

// Counters told apart by their label values (polls by outcome, requests by route and status):
// a new combination takes a lock once, later adds to it take the lock for a map lookup.
class CounterFamily {
  public:
    explicit CounterFamily(std::vector<std::string> label_names);
    void add(const std::vector<std::string>& label_values, std::int64_t n = 1);
    // Each combination seen, in label order, with its count.
    [[nodiscard]] std::vector<std::pair<Labels, std::int64_t>> samples() const;

  private:
    std::vector<std::string> names_;
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::int64_t> values_;
};

// The text a scrape returns. Each metric family once, with its # HELP and # TYPE lines, then its
// samples, whatever order they were added in. Names are checked (a bad name is a programming
// error: std::invalid_argument); label values and help text are escaped as the format says.
class Exposition {
  public:
    void counter(std::string_view name, std::string_view help, double value, const Labels& labels = {});
    void gauge(std::string_view name, std::string_view help, double value, const Labels& labels = {});
    void histogram(std::string_view name, std::string_view help, const Histogram::Snapshot& histogram,
                   const Labels& labels = {});
    void counters(std::string_view name, std::string_view help, const CounterFamily& family);

    // text/plain; version=0.0.4
    [[nodiscard]] std::string text() const;
    static constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

  private:
    struct Family {
        std::string name, help, type;
        std::string samples;
    };
    Family& family(std::string_view name, std::string_view help, const char* type);
    void sample(Family& family, std::string_view name, const Labels& labels, double value);
    std::vector<Family> families_;
};

// A label value or help text as the exposition format writes it: backslash and line feed escaped,
// and the double quote too in a label value.
[[nodiscard]] std::string escape_label_value(std::string_view value);
[[nodiscard]] std::string escape_help(std::string_view help);
// A sample value: integers without a fraction, others as the shortest exact decimal, +Inf, -Inf, NaN.
[[nodiscard]] std::string format_value(double value);

}  // namespace feedd::metrics
