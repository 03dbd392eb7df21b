// Soak: `feedd run` against thousands of local feeds on short intervals for a bounded time, as
// systemd would run it (NOTIFY_SOCKET, WatchdogSec). It samples the daemon's memory, open files,
// threads, polls and watchdog pings, stops it with SIGTERM, polls once more with every feed
// answering, and checks the archive against what the servers published. Prints a table of the
// samples and a verdict; exit status 0 when every check passes, 1 when one fails, 2 when the soak
// itself could not run.
//
//     make soak                                      # 5 000 feeds, 10 minutes
//     make soak SOAK_SECONDS=60 SOAK_FEEDS=500       # a quick look
//
// Settings come from the environment: SOAK_SECONDS (600), SOAK_FEEDS (5000), SOAK_HOSTS (8 local
// servers on 127.0.0.1..8), SOAK_INTERVAL (30: the feeds' polling interval in seconds),
// SOAK_SAMPLE (seconds between samples; by default 5, less for short runs).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "feedd/store/store.hpp"
#include "soak/feeds.hpp"
#include "support/archive.hpp"
#include "support/http_server.hpp"
#include "support/notify_socket.hpp"
#include "support/process.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using feedd::soak::Kind;
using feedd::soak::SimFeed;
using namespace feedd::test;

namespace {

struct Options {
    int seconds = 600;
    int feeds = 5000;
    int hosts = 8;
    int interval = 30;
    int sample = 0;  // 0: chosen from `seconds`
    long watchdog_usec = 2'000'000;
};

int env_int(const char* name, int fallback, int low, int high) {
    const char* text = std::getenv(name);
    if (!text || !*text) return fallback;
    char* end = nullptr;
    const long value = std::strtol(text, &end, 10);
    if (*end != '\0' || value < low || value > high)
        throw std::runtime_error(std::string(name) + "=" + text + ": expected a whole number from " +
                                 std::to_string(low) + " to " + std::to_string(high));
    return static_cast<int>(value);
}

Options read_options() {
    Options options;
    options.seconds = env_int("SOAK_SECONDS", options.seconds, 10, 7 * 24 * 3600);
    options.feeds = env_int("SOAK_FEEDS", options.feeds, 100, 100'000);
    options.hosts = env_int("SOAK_HOSTS", options.hosts, 1, 250);
    options.interval = env_int("SOAK_INTERVAL", options.interval, 1, 3600);
    options.sample = env_int("SOAK_SAMPLE", std::clamp(options.seconds / 100, 1, 5), 1, 3600);
    return options;
}

// What the daemon said on its NOTIFY_SOCKET, read on a thread of its own so that the arrival
// time of each WATCHDOG=1 is when it was sent, give or take the scheduler.
class NotifyListener {
  public:
    struct Snapshot {
        bool ready = false;
        bool stopping = false;
        long polls = 0;
        long new_articles = 0;
        long failing = 0;
        long pings = 0;
        Clock::duration max_gap{};     // the longest gap between two pings so far
        Clock::duration window_gap{};  // the longest since the last take_window_gap()
        std::optional<Clock::time_point> last_ping;
    };

    explicit NotifyListener(NotifySocket& socket) : socket_(socket) {}
    ~NotifyListener() { stop(); }

    void start() {
        thread_ = std::thread([this] { listen(); });
    }
    void stop() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }
    // From now on pings are no longer expected (SIGTERM was sent).
    void stop_counting_pings() {
        std::lock_guard lock(mutex_);
        counting_pings_ = false;
    }
    Snapshot snapshot() const {
        std::lock_guard lock(mutex_);
        return state_;
    }
    // The longest gap since the previous call, the time since the last ping included (pings that
    // stopped altogether show as one gap that keeps growing).
    Clock::duration take_window_gap() {
        std::lock_guard lock(mutex_);
        auto gap = state_.window_gap;
        if (state_.last_ping && counting_pings_) gap = std::max(gap, Clock::now() - *state_.last_ping);
        state_.window_gap = {};
        return gap;
    }

  private:
    void listen() {
        while (!done_) {
            auto message = socket_.next(200ms);
            if (!message) continue;
            const auto now = Clock::now();
            std::lock_guard lock(mutex_);
            std::istringstream lines(*message);
            for (std::string line; std::getline(lines, line);) {
                if (line == "READY=1") state_.ready = true;
                if (line == "STOPPING=1") state_.stopping = true;
                if (line == "WATCHDOG=1" && counting_pings_) {
                    if (state_.last_ping) {
                        const auto gap = now - *state_.last_ping;
                        state_.max_gap = std::max(state_.max_gap, gap);
                        state_.window_gap = std::max(state_.window_gap, gap);
                    }
                    state_.last_ping = now;
                    ++state_.pings;
                }
                long feeds = 0, failing = 0, fresh = 0, polls = 0;
                if (std::sscanf(line.c_str(), "STATUS=%ld feeds, %ld failing, %ld new entries in %ld polls",
                                &feeds, &failing, &fresh, &polls) == 4) {
                    state_.failing = failing;
                    state_.new_articles = fresh;
                    state_.polls = polls;
                }
            }
        }
    }

    NotifySocket& socket_;
    std::thread thread_;
    std::atomic<bool> done_{false};
    mutable std::mutex mutex_;
    Snapshot state_;
    bool counting_pings_ = true;
};

struct ProcStatus {
    bool alive = false;
    double rss_mib = 0;   // VmRSS: what the kernel charges the process
    double anon_mib = 0;  // RssAnon: its heap and stacks (VmRSS minus mapped files and shared memory)
    int threads = 0;
    int fds = 0;
    double cpu_seconds = 0;  // user + system so far
};

ProcStatus read_proc(pid_t pid) {
    ProcStatus status;
    const std::filesystem::path proc = "/proc/" + std::to_string(pid);
    std::ifstream in(proc / "status");
    for (std::string line; std::getline(in, line);) {
        long value = 0;
        if (std::sscanf(line.c_str(), "VmRSS: %ld kB", &value) == 1) {
            status.rss_mib = static_cast<double>(value) / 1024.0;
            status.alive = true;
        }
        if (std::sscanf(line.c_str(), "RssAnon: %ld kB", &value) == 1)
            status.anon_mib = static_cast<double>(value) / 1024.0;
        if (std::sscanf(line.c_str(), "Threads: %ld", &value) == 1) status.threads = static_cast<int>(value);
    }
    std::ifstream stat(proc / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name (which may hold spaces), from the 3rd: utime and stime are
    // the 14th and 15th.
    if (const auto paren = text.rfind(')'); paren != std::string::npos) {
        std::istringstream fields(text.substr(paren + 2));
        std::string field;
        long ticks = 0;
        for (int n = 3; n <= 15 && fields >> field; ++n)
            if (n >= 14) ticks += std::atol(field.c_str());
        status.cpu_seconds = static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    std::error_code error;
    for (auto it = std::filesystem::directory_iterator(proc / "fd", error);
         !error && it != std::filesystem::directory_iterator(); it.increment(error))
        ++status.fds;
    return status;
}

struct Sample {
    double t = 0;  // seconds since READY
    ProcStatus proc;
    long polls = 0;
    long new_articles = 0;
    long failing = 0;
    double gap_ms = 0;  // longest watchdog gap in the sample's window
    long published = 0;
    std::size_t requests = 0;
};

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto middle = values.size() / 2;
    return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

template <class Pick>
std::vector<double> values_between(const std::vector<Sample>& samples, double from, double to, Pick pick) {
    std::vector<double> out;
    for (const auto& sample : samples)
        if (sample.t >= from && sample.t < to) out.push_back(pick(sample));
    return out;
}

double max_of(const std::vector<double>& values) {
    return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

// Least-squares slope of `pick` over the samples from `from` on, per minute.
template <class Pick>
double trend_per_minute(const std::vector<Sample>& samples, double from, Pick pick) {
    double n = 0, sum_t = 0, sum_v = 0, sum_tt = 0, sum_tv = 0;
    for (const auto& sample : samples) {
        if (sample.t < from) continue;
        const double v = pick(sample);
        n += 1, sum_t += sample.t, sum_v += v, sum_tt += sample.t * sample.t, sum_tv += sample.t * v;
    }
    const double denominator = n * sum_tt - sum_t * sum_t;
    return n < 2 || denominator == 0 ? 0 : 60 * (n * sum_tv - sum_t * sum_v) / denominator;
}

struct Verdict {
    std::vector<std::pair<bool, std::string>> checks;
    void check(bool ok, std::string what) { checks.emplace_back(ok, std::move(what)); }
    bool passed() const {
        return std::all_of(checks.begin(), checks.end(), [](const auto& c) { return c.first; });
    }
};

std::string fixed(double value, int decimals = 1) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string tail_lines(const std::string& text, std::size_t count) {
    std::size_t at = text.size();
    for (std::size_t n = 0; n <= count && at != std::string::npos && at > 0; ++n)
        at = text.rfind('\n', at - 1);
    return at == std::string::npos ? text : text.substr(at + 1);
}

std::string reproduce(const Options& options) {
    return "make soak SOAK_SECONDS=" + std::to_string(options.seconds) +
           " SOAK_FEEDS=" + std::to_string(options.feeds) + " SOAK_HOSTS=" + std::to_string(options.hosts) +
           " SOAK_INTERVAL=" + std::to_string(options.interval);
}

// Each feed's own interval: from 3/4 to 5/4 of SOAK_INTERVAL, so that the polls spread out instead
// of coming in one wave per interval.
int interval_of(const Options& options, int index) {
    return std::max(1, options.interval * (75 + index * 37 % 51) / 100);
}

std::string config_text(const Options& options, const std::vector<std::unique_ptr<HttpServer>>& servers,
                        const std::vector<std::unique_ptr<SimFeed>>& feeds) {
    const int interval = options.interval;
    // Every host (registered domain: here an address) gets its share of the global limit.
    const int concurrency = 64;
    const int per_host = std::clamp(concurrency / options.hosts + 1, 1, 100);
    std::string text =
        "[settings]\n"
        "database = \"soak.db\"\n"
        "allow_private_networks = true\n"
        "interval = \"" +
        std::to_string(interval) + "s\"\nmin_interval = \"" + std::to_string(interval_of(options, 0)) +
        "s\"\nmax_interval = \"" + std::to_string(std::max(interval * 4, 60)) +
        "s\"\n"
        // Broken feeds keep being retried within the run.
        "backoff_cap = \"" +
        std::to_string(interval * 3) + "s\"\nconcurrency = " + std::to_string(concurrency) +
        "\nper_host = " + std::to_string(per_host) +
        "\nper_host_gap = \"0s\"\n"
        "timeout = \"5s\"\n"
        "shutdown_grace = \"2s\"\n"
        "log_level = \"warning\"\n";
    for (std::size_t i = 0; i < feeds.size(); ++i) {
        const auto& server = *servers[i % servers.size()];
        text += "\n[[feed]]\nname = \"" + feeds[i]->name() + "\"\nurl = \"" +
                server.url("/" + feeds[i]->name() + ".xml") + "\"\ninterval = \"" +
                std::to_string(interval_of(options, static_cast<int>(i))) + "s\"\n";
    }
    return text;
}

int soak(const Options& options) {
    std::cout << "soak: feedd run against " << options.feeds << " local feeds on " << options.hosts
              << " hosts, interval " << options.interval << " s, for " << options.seconds
              << " s (sample every " << options.sample << " s, WATCHDOG_USEC=" << options.watchdog_usec << ")"
              << std::endl;
    TempDir dir;
    // Declared before the servers whose handlers use them, so they outlive the servers' threads.
    std::atomic<bool> healthy{false};
    std::atomic<long> published{0};
    std::vector<std::unique_ptr<SimFeed>> feeds;

    // The servers, one thread each, on 127.0.0.1, 127.0.0.2, ...: separate hosts for the daemon's
    // per-host limits.
    std::vector<std::unique_ptr<HttpServer>> servers;
    for (int h = 0; h < options.hosts; ++h) {
        servers.push_back(std::make_unique<HttpServer>(0, "127.0.0." + std::to_string(h + 1)));
        servers.back()->keep_log(false);
    }
    const auto epoch = Clock::now();
    std::map<Kind, int> mix;
    for (int i = 0; i < options.feeds; ++i) {
        // Changing feeds change every 2 to 6 intervals, so most of their polls are 304s.
        const auto period = std::chrono::seconds(interval_of(options, i) * (2 + i % 5));
        auto feed = std::make_unique<SimFeed>(i, epoch, period);
        ++mix[feed->kind()];
        servers[static_cast<std::size_t>(i) % servers.size()]->route(
            "/" + feed->name() + ".xml",
            [raw = feed.get(), &healthy, &published](const feedd::test::Request& request) {
                return raw->answer(request, healthy.load(), published);
            });
        feeds.push_back(std::move(feed));
    }
    std::cout << "feeds:";
    for (const auto& [kind, count] : mix)
        std::cout << " " << count << " " << feedd::soak::kind_name(kind) << ";";
    std::cout << std::endl;
    const auto config = dir / "feeds.toml";
    write_file(config, config_text(options, servers, feeds));
    auto requests = [&servers] {
        std::size_t total = 0;
        for (const auto& server : servers) total += server->request_count();
        return total;
    };

    // A first poll fills the archive, so the daemon starts as after a restart (every feed has
    // its next poll stored) instead of spreading 5 000 first polls over ten minutes.
    const auto first_poll_start = Clock::now();
    const auto first = run_feedd(dir.path(), {"--config", config.string(), "poll", "--once"});
    const double first_poll_seconds = std::chrono::duration<double>(Clock::now() - first_poll_start).count();
    std::cout << "first poll: " << fixed(first_poll_seconds) << " s, exit " << first.exit_code << ", "
              << published.load() << " items published" << std::endl;
    if (first.exit_code != 0 && first.exit_code != 1) {
        std::cerr << "soak: the first poll failed:\n" << tail_lines(first.err, 20);
        return 2;
    }

    FeeddDaemon daemon(dir, {{"WATCHDOG_USEC", std::to_string(options.watchdog_usec)}});
    NotifyListener listener(daemon.notify);
    listener.start();
    const auto ready_deadline = Clock::now() + 120s;
    while (!listener.snapshot().ready) {
        if (!daemon.process.running() || Clock::now() > ready_deadline) {
            std::cerr << "soak: the daemon never said READY=1:\n" << tail_lines(daemon.log(), 20);
            return 2;
        }
        std::this_thread::sleep_for(50ms);
    }
    const auto start = Clock::now();
    const auto end = start + std::chrono::seconds(options.seconds);
    std::vector<Sample> samples;
    bool died = false;
    listener.take_window_gap();
    for (auto next = start;; next += std::chrono::seconds(options.sample)) {
        std::this_thread::sleep_until(std::min(next, end));
        const auto now = Clock::now();
        Sample sample;
        sample.t = std::chrono::duration<double>(now - start).count();
        sample.proc = read_proc(daemon.process.pid());
        if (!sample.proc.alive || !daemon.process.running()) {
            died = true;
            break;
        }
        const auto heard = listener.snapshot();
        sample.polls = heard.polls;
        sample.new_articles = heard.new_articles;
        sample.failing = heard.failing;
        sample.gap_ms = std::chrono::duration<double, std::milli>(listener.take_window_gap()).count();
        sample.published = published.load();
        sample.requests = requests();
        samples.push_back(sample);
        if (now >= end) break;
    }
    const auto heard = listener.snapshot();
    const double cpu_seconds =
        samples.empty() ? 0 : samples.back().proc.cpu_seconds - samples.front().proc.cpu_seconds;

    // The stop, as systemd does it.
    listener.stop_counting_pings();
    const auto stop_start = Clock::now();
    daemon.process.signal(SIGTERM);
    auto stopped_result = daemon.process.wait_for(60s);
    const double stop_seconds = std::chrono::duration<double>(Clock::now() - stop_start).count();
    const bool stopped = stopped_result.has_value();
    if (!stopped) daemon.process.signal(SIGKILL);
    const auto daemon_result = stopped ? std::move(*stopped_result) : daemon.process.wait();
    listener.stop();
    const bool said_stopping = listener.snapshot().stopping;

    // One more poll with every feed answering: whatever was published is then archived.
    healthy = true;
    const auto final_poll = run_feedd(dir.path(), {"--config", config.string(), "poll", "--once", "--force"});
    const std::size_t total_requests = requests();
    servers.clear();  // joins the servers' threads: the feeds are ours to read from here on

    // The archive against what the servers published.
    auto archive = open_read_only(dir / "soak.db");
    const auto problems = archive.check();
    const auto rows = all_articles(archive);
    std::map<std::string, std::size_t> index_of;
    for (std::size_t i = 0; i < feeds.size(); ++i) index_of[feeds[i]->name()] = i;
    std::vector<std::map<int, int>> archived(feeds.size());
    long foreign = 0;
    for (const auto& row : rows) {
        const auto at = row.title.find(" item ");
        const auto it = at == std::string::npos ? index_of.end() : index_of.find(row.title.substr(0, at));
        if (it == index_of.end() || row.feeds != std::vector<std::string>{it->first}) {
            ++foreign;
            continue;
        }
        ++archived[it->second][std::atoi(row.title.c_str() + at + 6)];
    }
    long missing = 0, duplicated = 0, unpublished = 0, expected = 0;
    std::vector<std::string> examples;
    for (std::size_t i = 0; i < feeds.size(); ++i) {
        const auto& feed = *feeds[i];
        for (int item = 1; item <= feed.highest_served(); ++item) {
            if (!feed.served(item)) continue;
            ++expected;
            const auto found = archived[i].find(item);
            const int count = found == archived[i].end() ? 0 : found->second;
            if (count == 0) ++missing;
            if (count > 1) ++duplicated;
            if (count != 1 && examples.size() < 5)
                examples.push_back(SimFeed::title(feed.name(), item) + " archived " + std::to_string(count) +
                                   " times");
        }
        for (const auto& [item, count] : archived[i]) {
            if (feed.served(item)) continue;
            ++unpublished;
            if (examples.size() < 5)
                examples.push_back(SimFeed::title(feed.name(), item) + " was never published");
        }
    }
    long still_failing = 0;
    for (const auto& state : archive.feed_states())
        if (state.consecutive_failures > 0 || (state.last_status != 200 && state.last_status != 304))
            ++still_failing;

    // The table.
    std::cout
        << "\n"
        << "     t s   RSS MiB  anon MiB   fds  threads   cpu %     polls  polls/s  new articles  failing  "
           "watchdog max gap ms\n";
    const std::size_t every = std::max<std::size_t>(1, samples.size() / 40);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        if (i % every != 0 && i + 1 != samples.size()) continue;
        const auto& s = samples[i];
        const auto& before = i >= every ? samples[i - every] : samples[0];
        const double span = std::max(0.001, s.t - before.t);
        const double rate = i == 0 ? 0 : static_cast<double>(s.polls - before.polls) / span;
        const double cpu = i == 0 ? 0 : 100 * (s.proc.cpu_seconds - before.proc.cpu_seconds) / span;
        char line[256];
        std::snprintf(line, sizeof line,
                      "%8.0f  %8.1f  %8.1f  %4d  %7d  %6.1f  %8ld  %7.1f  %12ld  %7ld  %19.0f\n", s.t,
                      s.proc.rss_mib, s.proc.anon_mib, s.proc.fds, s.proc.threads, cpu, s.polls, rate,
                      s.new_articles, s.failing, s.gap_ms);
        std::cout << line;
    }

    // The checks.
    Verdict verdict;
    const double run = options.seconds;
    verdict.check(!died, died ? "the daemon died during the run:\n" + tail_lines(daemon.log(), 20)
                              : "the daemon ran for " + std::to_string(options.seconds) + " s");
    if (!samples.empty()) {
        auto rss = [](const Sample& s) { return s.proc.rss_mib; };
        auto anon = [](const Sample& s) { return s.proc.anon_mib; };
        const double warm = median(values_between(samples, run / 4, run / 2, rss));
        const double late = median(values_between(samples, run * 3 / 4, run + 1, rss));
        const double limit = warm * 1.10 + 4;
        verdict.check(late <= limit,
                      "memory after warm-up: median VmRSS " + fixed(warm) + " MiB in the 2nd quarter, " +
                          fixed(late) + " MiB in the last (limit " + fixed(limit) + "); RssAnon " +
                          fixed(median(values_between(samples, run / 4, run / 2, anon))) + " -> " +
                          fixed(median(values_between(samples, run * 3 / 4, run + 1, anon))) +
                          " MiB; VmRSS at start " + fixed(samples.front().proc.rss_mib) + ", peak " +
                          fixed(max_of(values_between(samples, 0, run + 1, rss))) + ", end " +
                          fixed(samples.back().proc.rss_mib) + " MiB; RssAnon trend over the second half " +
                          fixed(1024 * trend_per_minute(samples, run / 2, anon), 0) + " KiB/min");
        auto fds = [](const Sample& s) { return static_cast<double>(s.proc.fds); };
        const double fds_early = max_of(values_between(samples, 0, run / 2, fds));
        const double fds_late = max_of(values_between(samples, run / 2, run + 1, fds));
        verdict.check(fds_late <= fds_early + 4, "open files: at most " + fixed(fds_early, 0) +
                                                     " in the first half, " + fixed(fds_late, 0) +
                                                     " in the second (slack 4)");
        auto threads = [](const Sample& s) { return static_cast<double>(s.proc.threads); };
        const double threads_early = max_of(values_between(samples, 0, run / 2, threads));
        const double threads_late = max_of(values_between(samples, run / 2, run + 1, threads));
        verdict.check(threads_late <= threads_early, "threads: at most " + fixed(threads_early, 0) +
                                                         " in the first half, " + fixed(threads_late, 0) +
                                                         " in the second");
    }
    const double period_ms = static_cast<double>(options.watchdog_usec) / 2000.0;
    const double max_gap_ms = std::chrono::duration<double, std::milli>(heard.max_gap).count();
    double worst_window = 0;
    for (const auto& s : samples) worst_window = std::max(worst_window, s.gap_ms);
    const double worst_gap = std::max(max_gap_ms, worst_window);
    const long pings_expected = static_cast<long>(run * 1000 / period_ms);
    verdict.check(worst_gap < period_ms * 1.5 && heard.pings >= pings_expected * 9 / 10,
                  "watchdog: " + std::to_string(heard.pings) + " pings (about " +
                      std::to_string(pings_expected) + " due), longest gap " + fixed(worst_gap, 0) +
                      " ms; WatchdogSec " + fixed(period_ms * 2, 0) + " ms, pings due every " +
                      fixed(period_ms, 0) + " ms, a gap must stay under " + fixed(period_ms * 1.5, 0) +
                      " ms");
    // The healthy feeds' share of the polls that were due: a daemon that fell behind (or stalled)
    // polls far fewer.
    const double due = static_cast<double>(options.feeds) * 0.94 * run / (options.interval * 1.05);
    verdict.check(static_cast<double>(heard.polls) >= due / 2,
                  "polls: " + std::to_string(heard.polls) + " in " + std::to_string(options.seconds) +
                      " s (" + fixed(heard.polls / run) + "/s; about " + fixed(due, 0) + " due), " +
                      std::to_string(heard.new_articles) + " new articles, " +
                      std::to_string(total_requests) + " requests served in all; the daemon used " +
                      fixed(cpu_seconds) + " s of CPU (" + fixed(100 * cpu_seconds / run) +
                      " % of one core)");
    verdict.check(stopped && said_stopping && daemon_result.exit_code == 0,
                  "SIGTERM: STOPPING=1, exit " + std::to_string(daemon_result.exit_code) + " after " +
                      fixed(stop_seconds, 2) + " s");
    verdict.check(final_poll.exit_code == 0,
                  "final poll with every feed answering: exit " + std::to_string(final_poll.exit_code) +
                      (final_poll.exit_code == 0 ? "" : "\n" + tail_lines(final_poll.err, 10)));
    std::string integrity = "PRAGMA integrity_check and the archive's own checks: ";
    for (const auto& problem : problems) integrity += problem + "; ";
    verdict.check(problems.empty(), integrity + (problems.empty() ? "ok" : ""));
    std::string exactly_once = std::to_string(expected) + " items published, " + std::to_string(rows.size()) +
                               " articles archived: " + std::to_string(missing) + " missing, " +
                               std::to_string(duplicated) + " more than once, " +
                               std::to_string(unpublished) + " never published, " + std::to_string(foreign) +
                               " not from their feed";
    for (const auto& example : examples) exactly_once += "\n      e.g. " + example;
    verdict.check(missing == 0 && duplicated == 0 && unpublished == 0 && foreign == 0 && expected > 0,
                  exactly_once);
    verdict.check(still_failing == 0, "fetch state after the final poll: " + std::to_string(still_failing) +
                                          " feeds failing or not at HTTP 200/304");
    const auto& log = daemon_result.err;
    const bool write_failed = log.find("archive write failed") != std::string::npos;
    verdict.check(!write_failed,
                  write_failed ? "the daemon's log reports failed archive writes:\n" + tail_lines(log, 10)
                               : "no archive write failed");

    std::cout << "\n";
    for (const auto& [ok, what] : verdict.checks) std::cout << (ok ? "  ok    " : "  FAIL  ") << what << "\n";
    std::cout << "\nfirst poll (empty archive, " << options.feeds << " feeds): " << fixed(first_poll_seconds)
              << " s\nverdict: " << (verdict.passed() ? "PASS" : "FAIL")
              << "\nreproduce: " << reproduce(options) << std::endl;
    return verdict.passed() ? 0 : 1;
}

}  // namespace

int main() {
    try {
        return soak(read_options());
    } catch (const std::exception& e) {
        std::cerr << "soak: " << e.what() << "\n";
        return 2;
    }
}
