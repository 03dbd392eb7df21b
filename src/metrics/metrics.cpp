// Prometheus text exposition format 0.0.4 (metrics.hpp).
#include "feedd/metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace feedd::metrics {
namespace {

bool name_char(char c, bool first, bool colon) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    return letter || (!first && c >= '0' && c <= '9');
}

// [a-zA-Z_:][a-zA-Z0-9_:]* for metrics, [a-zA-Z_][a-zA-Z0-9_]* for labels.
void check_name(std::string_view name, bool metric) {
    bool good = !name.empty();
    for (std::size_t i = 0; good && i < name.size(); ++i) good = name_char(name[i], i == 0, metric);
    if (!good || (!metric && name.starts_with("__")))
        throw std::invalid_argument(std::string(metric ? "bad metric name '" : "bad label name '") +
                                    std::string(name) + "'");
}

// Backslash and line feed escaped, and the double quote when `quote` (label values).
std::string escaped(std::string_view text, bool quote) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
    return out;
}

void append_labels(std::string& out, const Labels& labels) {
    if (labels.empty()) return;
    out += '{';
    bool first = true;
    for (const auto& [name, value] : labels) {
        check_name(name, false);
        if (!first) out += ',';
        first = false;
        out += name;
        out += "=\"";
        out += escape_label_value(value);
        out += '"';
    }
    out += '}';
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    return escaped(value, true);
}

std::string escape_help(std::string_view help) {
    return escaped(help, false);
}

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buffer[64];
    // Shortest form that reads back as the same double: integers come out without a fraction.
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    return error == std::errc() ? std::string(buffer, end) : std::string("NaN");
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
        throw std::invalid_argument("histogram bounds must increase");
}

void Histogram::observe(double value) noexcept {
    // Prometheus buckets are "less than or equal": a value on a bound counts in that bucket.
    const auto bucket =
        static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot out;
    out.bounds = bounds_;
    std::int64_t running = 0;
    for (const auto& bucket : buckets_) {
        running += bucket.load(std::memory_order_relaxed);
        out.cumulative.push_back(running);
    }
    out.count = running;
    out.sum = sum_.load(std::memory_order_relaxed);
    return out;
}

CounterFamily::CounterFamily(std::vector<std::string> label_names) : names_(std::move(label_names)) {
    for (const auto& name : names_) check_name(name, false);
}

void CounterFamily::add(const std::vector<std::string>& label_values, std::int64_t n) {
    if (label_values.size() != names_.size()) throw std::invalid_argument("wrong number of label values");
    std::lock_guard lock(mutex_);
    values_[label_values] += n;
}

std::vector<std::pair<Labels, std::int64_t>> CounterFamily::samples() const {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<Labels, std::int64_t>> out;
    for (const auto& [values, count] : values_) {
        Labels labels;
        for (std::size_t i = 0; i < names_.size(); ++i) labels.emplace_back(names_[i], values[i]);
        out.emplace_back(std::move(labels), count);
    }
    return out;
}

Exposition::Family& Exposition::family(std::string_view name, std::string_view help, const char* type) {
    check_name(name, true);
    for (auto& family : families_) {
        if (family.name != name) continue;
        if (family.type != type)
            throw std::invalid_argument("metric '" + std::string(name) + "' has two types");
        return family;
    }
    families_.push_back({std::string(name), std::string(help), type, {}});
    return families_.back();
}

void Exposition::sample(Family& family, std::string_view name, const Labels& labels, double value) {
    family.samples += name;
    append_labels(family.samples, labels);
    family.samples += ' ';
    family.samples += format_value(value);
    family.samples += '\n';
}

void Exposition::counter(std::string_view name, std::string_view help, double value, const Labels& labels) {
    sample(family(name, help, "counter"), name, labels, value);
}

void Exposition::gauge(std::string_view name, std::string_view help, double value, const Labels& labels) {
    sample(family(name, help, "gauge"), name, labels, value);
}

void Exposition::histogram(std::string_view name, std::string_view help, const Histogram::Snapshot& histogram,
                           const Labels& labels) {
    auto& f = family(name, help, "histogram");
    const std::string base(name);
    for (std::size_t i = 0; i < histogram.cumulative.size(); ++i) {
        Labels with_le = labels;
        with_le.emplace_back("le", i < histogram.bounds.size() ? format_value(histogram.bounds[i]) : "+Inf");
        sample(f, base + "_bucket", with_le, static_cast<double>(histogram.cumulative[i]));
    }
    sample(f, base + "_sum", labels, histogram.sum);
    sample(f, base + "_count", labels, static_cast<double>(histogram.count));
}

void Exposition::counters(std::string_view name, std::string_view help, const CounterFamily& counters) {
    auto& f = family(name, help, "counter");
    for (const auto& [labels, count] : counters.samples())
        sample(f, name, labels, static_cast<double>(count));
}

std::string Exposition::text() const {
    std::string out;
    for (const auto& family : families_) {
        out += "# HELP " + family.name + ' ' + escape_help(family.help) + '\n';
        out += "# TYPE " + family.name + ' ' + family.type + '\n';
        out += family.samples;
    }
    return out;
}

}  // namespace feedd::metrics
