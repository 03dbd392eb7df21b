#include "feedd/daemon/daemon.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <set>

#include "daemon/cluster.hpp"
#include "daemon/full_text.hpp"
#include "daemon/log.hpp"
#include "daemon/notify.hpp"
#include "daemon/pipeline.hpp"
#include "daemon/scrape.hpp"
#include "daemon/testing.hpp"
#include "daemon/writer.hpp"
#include "feedd/api/api.hpp"
#include "feedd/store/store.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::daemon {
namespace {

struct Opened {
    config::Config config;
    store::Location database;
    std::optional<store::Archive> archive;
    std::map<std::string, FeedState> states;
};

// The command line's level wins over the file's, so that `--log-level debug` survives a reload.
void apply_log_level(const config::Config& config, const RunOptions& options) {
    try {
        Log::set_level(
            parse_log_level(options.log_level.empty() ? config.settings.log_level : options.log_level));
    } catch (const std::exception& e) {
        log_warning(e.what());
    }
}

// Reads the configuration and opens the archive for writing (taking the one-writer lock).
Opened open_all(const RunOptions& options) {
    Opened opened;
    opened.config = config::load_config(options.config_path);
    for (const auto& warning : opened.config.warnings) log_warning(warning);
    const auto database = options.database.value_or(opened.config.settings.database);
    opened.database.path = database;
    opened.database.password = config::database_password(opened.config.settings, database);
    if (database != ":memory:" && !is_database_url(database.native()) && database.has_parent_path()) {
        std::filesystem::create_directories(database.parent_path());
    }
    opened.archive.emplace(store::Archive::open(opened.database, store::OpenMode::read_write));
    try {
        opened.archive->sync_feeds(opened.config.feeds);
    } catch (const store::StoreError& e) {
        // A full or read-only disk: say which archive refused.
        throw store::StoreError(store::shown_location(database.native()) + ": " + e.what());
    }
    for (auto& state : opened.archive->feed_states()) opened.states[state.name] = std::move(state);
    return opened;
}

// Runs `tick` at once and then every `every` until cancelled, on the io_context's thread: the
// daemon's periodic chores (watchdog pings, STATUS, maintenance).
class RepeatingTimer {
  public:
    RepeatingTimer(boost::asio::io_context& io, std::function<void()> tick)
        : timer_(io), tick_(std::move(tick)) {}

    void start(std::chrono::steady_clock::duration every) {
        every_ = every;
        stopped_ = false;
        fire();
    }
    // No tick after this, even one whose wait already completed.
    void cancel() {
        stopped_ = true;
        timer_.cancel();
    }

  private:
    void fire() {
        if (stopped_) return;
        tick_();
        timer_.expires_after(every_);
        timer_.async_wait([this](const boost::system::error_code& error) noexcept {
            if (!error) fire();
        });
    }

    boost::asio::steady_timer timer_;
    std::function<void()> tick_;
    std::chrono::steady_clock::duration every_{};
    bool stopped_ = true;
};

// Retention and SQLite's statistics, on the writer thread.
void maintain(Writer& writer, int keep_days) {
    writer.post([keep_days](store::Archive& archive) {
        try {
            const auto pruned =
                archive.prune(keep_days, std::chrono::floor<std::chrono::seconds>(WallClock::now()));
            if (pruned.articles > 0) {
                log_info("retention: pruned " + std::to_string(pruned.articles) + " articles (" +
                         std::to_string(pruned.entries) + " entries); tombstones keep them from coming back");
            }
        } catch (const std::exception& e) {
            log_error(std::string("retention: ") + e.what());
        }
    });
}

std::unique_ptr<HookRunner> make_hooks(const config::Config& config) {
    if (config.settings.on_new.empty()) return nullptr;
    return std::make_unique<HookRunner>(config.settings.on_new, config.settings.on_new_timeout);
}

// The settings a reload changed, by whether the running daemon takes them.
struct SettingChanges {
    std::vector<std::string> applied;
    std::vector<std::string> need_restart;
};

// Every key of [settings]: a new one must be named here, or a reload would change it silently.
SettingChanges compare_settings(const config::Settings& before, const config::Settings& after,
                                bool database_from_flag) {
    SettingChanges changes;
    auto note = [&changes](const char* name, bool changed, bool applied) {
        if (changed) (applied ? changes.applied : changes.need_restart).emplace_back(name);
    };
    // The archive is open with its lock held; --db, when given, wins over the file anyway.
    note("database", !database_from_flag && before.database != after.database, false);
    // Read for each poll or request as it starts.
    note("interval", before.interval != after.interval, true);
    note("min_interval", before.min_interval != after.min_interval, true);
    note("max_interval", before.max_interval != after.max_interval, true);
    note("backoff_cap", before.backoff_cap != after.backoff_cap, true);
    note("timeout", before.timeout != after.timeout, true);
    note("max_body", before.max_body != after.max_body, true);
    note("allow_private_networks", before.allow_private_networks != after.allow_private_networks, true);
    note("proxy", before.proxy != after.proxy, true);
    note("user_agent", before.user_agent != after.user_agent, true);
    note("keep_days", before.keep_days != after.keep_days, true);
    note("shutdown_grace", before.shutdown_grace != after.shutdown_grace, true);
    note("log_level", before.log_level != after.log_level, true);
    // Set on the pipeline's host gate and hook runner by the reload.
    note("concurrency", before.concurrency != after.concurrency, true);
    note("per_host", before.per_host != after.per_host, true);
    note("per_host_gap", before.per_host_gap != after.per_host_gap, true);
    note("on_new", before.on_new != after.on_new, true);
    note("on_new_timeout", before.on_new_timeout != after.on_new_timeout, true);
    // The node registered its lease; the archive's other nodes judge it by that one.
    note("lease", before.lease != after.lease, false);
    return changes;
}

// on_new for polls fetched from now on. A runner, once made, lives until the daemon ends: polls
// already fetched may still hand it their articles, and its queue drains with the old command.
void apply_hook_settings(std::unique_ptr<HookRunner>& hooks, Pipeline& pipeline,
                         const config::Settings& settings) {
    if (settings.on_new.empty()) {
        pipeline.set_hooks(nullptr);
        return;
    }
    if (hooks)
        hooks->reconfigure(settings.on_new, settings.on_new_timeout);
    else
        hooks = std::make_unique<HookRunner>(settings.on_new, settings.on_new_timeout);
    pipeline.set_hooks(hooks.get());
}

// A one-off run (poll --once, feeds backfill) stopped by SIGINT or SIGTERM finishes what is in
// flight within `grace`, then leaves the loop.
void finish_on_interrupt(boost::asio::signal_set& signals, boost::asio::io_context& io, Pipeline& pipeline,
                         Duration grace) {
    signals.async_wait([&io, &pipeline, grace](const boost::system::error_code& error, int) noexcept {
        if (error) return;
        log_info("interrupted: finishing what is in flight");
        pipeline.stop(grace, [&io] { io.stop(); });
    });
}

// The HTTP API when [http] listens: on this event loop, its reads on threads of their own, its
// writes through the writer.
std::unique_ptr<api::Server> start_api(boost::asio::io_context& io, const config::Config& config,
                                       const store::Location& database, Writer& writer,
                                       const Pipeline::Totals& totals) {
    if (config.http.listen.empty()) return nullptr;
    api::ServerOptions options;
    options.database = database;
    options.post_write = [&writer](std::function<void(store::Archive&)> job) { writer.post(std::move(job)); };
    options.log = [](int level, const std::string& line) {
        if (level == 0)
            log_error(line);
        else if (level == 1)
            log_warning(line);
        else
            log_info(line);
    };
    auto health = [database](store::Archive& archive) { return running_health(database, archive); };
    // Read on the API's thread at each scrape; the pipeline (and its totals) outlives the server.
    auto figures = [database, &totals](metrics::Exposition& out, store::Archive& archive) {
        write_metrics(out, totals,
                      assess_health(database, std::chrono::hours(24), /*running=*/true, &archive));
    };
    auto server = std::make_unique<api::Server>(
        io, config, api::routes(std::move(health), std::move(figures)), std::move(options));
    log_info("http: listening on " + server->endpoint() + " (" + std::to_string(config.users.size()) +
             (config.users.size() == 1 ? " user)" : " users)"));
    return server;
}

// Who this node is, for `feedd status` (store::NodeInfo).
store::NodeInfo this_node(const config::Config& config, Duration lease) {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return {host, static_cast<std::int64_t>(getpid()), FEEDD_VERSION, config_digest(config.path), lease};
}

std::string status_line(const Pipeline& pipeline) {
    const auto& totals = pipeline.totals();
    std::string line = std::to_string(pipeline.feed_count()) + " feeds, " +
                       std::to_string(pipeline.failing_feeds()) + " failing, " +
                       std::to_string(totals.new_entries.value()) + " new entries in " +
                       std::to_string(totals.polls.value()) + " polls since start";
    if (auto next = pipeline.next_due()) {
        const auto wait = std::chrono::duration_cast<std::chrono::seconds>(*next - WallClock::now());
        line += ", next poll in " + std::to_string(std::max<long long>(0, wait.count())) + " s";
    }
    if (auto since = pipeline.offline_since())
        line += "; " + offline_note(*since) + " (one probe a minute; failures not counted)";
    // A full or read-only disk shows in `systemctl status`, not only in the log.
    if (!pipeline.write_failure().empty()) line += "; " + pipeline.write_failure();
    return line;
}

}  // namespace

std::string_view to_string(PollStatus status) {
    switch (status) {
        case PollStatus::updated: return "updated";
        case PollStatus::not_modified: return "not-modified";
        case PollStatus::failed: return "failed";
        case PollStatus::gone: return "gone";
    }
    return "failed";
}

std::string offline_note(TimePoint since) {
    return "offline since " + format_utc(since);
}

std::optional<std::string> offline_since_in(std::string_view last_error) {
    constexpr std::string_view prefix = "offline since ";
    if (!last_error.starts_with(prefix)) return std::nullopt;
    const auto date = last_error.substr(prefix.size());
    return std::string(date.substr(0, date.find(": ")));
}

std::string format_report(const PollReport& report) {
    std::string line = report.feed + ": " + std::string(to_string(report.status));
    if (report.http_status) line += ", HTTP " + std::to_string(report.http_status);
    line += ", " + std::to_string(report.new_entries) + " new, " + std::to_string(report.updated_entries) +
            " updated, " + std::to_string(report.bytes) + " bytes, " +
            std::to_string(report.elapsed.count()) + " ms";
    if (!report.error.empty()) line += ": " + report.error;
    return line;
}

std::string format_report(const BackfillReport& report) {
    auto plural = [](std::int64_t n, const char* one, const char* many) {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    return report.feed + ": history: " + plural(report.pages, "earlier page", "earlier pages") + ", " +
           plural(report.new_items, "new item", "new items") + ", " + std::to_string(report.known_items) +
           " already archived, " + plural(report.bytes, "byte", "bytes") +
           "; stopped: " + (report.stopped.empty() ? std::string("interrupted") : report.stopped);
}

BackfillReport backfill(const RunOptions& options, const std::string& feed, std::optional<int> pages) {
    auto opened = open_all(options);
    apply_log_level(opened.config, options);
    if (std::none_of(opened.config.feeds.begin(), opened.config.feeds.end(),
                     [&](const FeedSource& f) { return f.name == feed; }))
        throw std::runtime_error("no feed named '" + feed + "' in " + opened.config.path.string());
    const int settings_pages = opened.config.settings.backfill_pages;
    const int bound = pages.value_or(settings_pages > 0 ? settings_pages : 10);

    Writer writer(std::move(*opened.archive));
    opened.archive.reset();
    boost::asio::io_context io;
    fetch::Fetcher fetcher(io);
    const auto grace = opened.config.settings.shutdown_grace;
    // Once mode: nothing is scheduled; the pipeline is idle when the walk has ended and is written.
    Pipeline pipeline(io, fetcher, writer, std::move(opened.config), std::move(opened.states), /*once=*/true);
    BackfillReport report;
    report.feed = feed;
    report.failed = true;  // until the walk says how it ended
    pipeline.on_backfill = [&report](const BackfillReport& done) { report = done; };
    pipeline.on_idle = [&io] { io.stop(); };
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    finish_on_interrupt(signals, io, pipeline, grace);
    if (pipeline.backfill(feed, bound)) io.run();
    writer.finish();
    return report;
}

FetchedPage fetch_article_page(const RunOptions& options, std::int64_t article_id) {
    auto opened = open_all(options);
    apply_log_level(opened.config, options);
    auto& archive = *opened.archive;
    const auto article = archive.article(article_id);
    if (!article || article->entries.empty())
        throw std::invalid_argument("no article " + std::to_string(article_id) + " in the archive");
    store::PageTask task;
    task.article_id = article_id;
    task.url = article->page ? article->page->url : article->fullest().entry.link;
    if (article->page) {
        task.failures = article->page->failures;
        if (article->page->fetched_at) task.text_hash = text::hash_hex(article->page->text);
    }
    const auto scheme = url::scheme(task.url);
    if (scheme != "http" && scheme != "https")
        throw std::invalid_argument("article " + std::to_string(article_id) +
                                    " has no http(s) link to fetch");
    const auto now = std::chrono::floor<std::chrono::seconds>(WallClock::now());
    archive.request_pages({{article_id, task.url}}, now);
    const auto& settings = opened.config.settings;
    if (const auto robots_at = robots_url(task.url); !robots_at.empty()) {
        const auto robots = robots_from(fetch_page(robots_at, settings), settings, now);
        if (auto why = robots_refusal(robots, task.url); !why.empty()) {
            const auto refused = page_refused(task, why, !robots.unreachable, settings, now);
            archive.record_page(refused.fetch);
            return {refused.line, true, {}, {}, 0};
        }
    }
    auto outcome = page_outcome(task, fetch_page(task.url, settings), settings, opened.config.sites, now);
    if (archive.record_page(outcome.fetch)) outcome.line += "; the earlier text is kept as a revision";
    return {outcome.line, outcome.failed, outcome.fetch.title, outcome.fetch.text, outcome.words};
}

// One body for both poll_once overloads; `fetcher_options` is null outside tests.
static std::vector<PollReport> poll_once_with(const RunOptions& options,
                                              const fetch::FetcherOptions* fetcher_options);

std::vector<PollReport> poll_once(const RunOptions& options) {
    return poll_once_with(options, nullptr);
}

std::vector<PollReport> poll_once(const RunOptions& options, const fetch::FetcherOptions& fetcher_options) {
    return poll_once_with(options, &fetcher_options);
}

static std::vector<PollReport> poll_once_with(const RunOptions& options,
                                              const fetch::FetcherOptions* fetcher_options) {
    auto opened = open_all(options);
    apply_log_level(opened.config, options);
    // A shared archive's running nodes poll its feeds under leases that poll --once does not take.
    if (opened.archive->shared() && store::Archive::is_locked(opened.database))
        throw store::ArchiveBusy(
            "feedd run nodes poll " + store::shown_location(opened.database.path.native()) +
            " (`feedd status` lists them): poll --once would poll their feeds again; stop "
            "them first");

    std::set<std::string> known;
    for (const auto& feed : opened.config.feeds) known.insert(feed.name);
    for (const auto& name : options.only_feeds) {
        if (!known.count(name))
            throw std::runtime_error("no feed named '" + name + "' in " + opened.config.path.string());
    }

    // Declared before the writer, whose jobs hand new articles to it.
    auto hooks = make_hooks(opened.config);
    Writer writer(std::move(*opened.archive));
    opened.archive.reset();
    boost::asio::io_context io;
    std::optional<fetch::Fetcher> fetcher_holder;
    if (fetcher_options)
        fetcher_holder.emplace(io, *fetcher_options);
    else
        fetcher_holder.emplace(io);
    auto& fetcher = *fetcher_holder;
    const auto grace = opened.config.settings.shutdown_grace;
    const auto now = WallClock::now();
    std::vector<std::string> chosen_feeds;
    for (const auto& feed : opened.config.feeds) {
        const bool named = std::find(options.only_feeds.begin(), options.only_feeds.end(), feed.name) !=
                           options.only_feeds.end();
        if (!options.only_feeds.empty() && !named) continue;
        const auto it = opened.states.find(feed.name);
        FeedState state;
        if (it != opened.states.end()) state = it->second;
        if (!options.force) {
            if (!feed.enabled && !named) continue;
            if (state.gone && state.configured_url == feed.url) continue;
            if (!named && state.next_poll && WallTime(*state.next_poll) > now) continue;
        }
        chosen_feeds.push_back(feed.name);
    }
    // Moved, not copied: with thousands of feeds the configuration and the states are megabytes.
    Pipeline pipeline(io, fetcher, writer, std::move(opened.config), std::move(opened.states), /*once=*/true,
                      hooks.get());
    for (const auto& name : chosen_feeds) pipeline.schedule(name, now);
    // `--feed X` fetches X's pages due, not other feeds'.
    pipeline.only_pages_of(options.only_feeds);
    const std::size_t chosen = chosen_feeds.size();

    std::vector<PollReport> reports;
    std::size_t done = 0;
    int new_entries = 0, updated = 0, errors = 0;
    pipeline.on_report = [&](const PollReport& report) {
        reports.push_back(report);
        ++done;
        new_entries += report.new_entries;
        updated += report.updated_entries;
        if (report.status == PollStatus::failed) ++errors;
        if (options.progress) {
            std::fprintf(stderr, "\r\033[K%zu/%zu feeds, %d new, %d updated, %d errors", done, chosen,
                         new_entries, updated, errors);
            if (done == chosen) std::fputc('\n', stderr);
        }
        if (options.on_report) options.on_report(report);
    };
    if (chosen == 0) {
        writer.finish();
        return reports;
    }
    pipeline.on_idle = [&io] { io.stop(); };
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    finish_on_interrupt(signals, io, pipeline, grace);
    io.run();
    writer.finish();
    return reports;
}

int run(const RunOptions& options) {
    auto opened = open_all(options);
    apply_log_level(opened.config, options);
    log_info("archive " + store::shown_location(opened.database.path.native()) + ", " +
             std::to_string(opened.config.feeds.size()) + " feeds from " + opened.config.path.string());

    auto hooks = make_hooks(opened.config);
    const bool shared = opened.archive->shared();
    const auto lease = opened.config.settings.lease;
    Writer writer(std::move(*opened.archive));
    opened.archive.reset();
    boost::asio::io_context io;
    fetch::Fetcher fetcher(io);
    Pipeline pipeline(io, fetcher, writer, std::move(opened.config), std::move(opened.states), /*once=*/false,
                      hooks.get());
    // Several nodes on a PostgreSQL archive: feeds are polled as this node claims them
    // (docs/ARCHITECTURE.md, "Several nodes"); alone on SQLite, from their stored next poll.
    std::unique_ptr<Cluster> cluster;
    if (shared)
        cluster =
            std::make_unique<Cluster>(io, opened.database, this_node(pipeline.config(), lease), pipeline);
    else
        pipeline.schedule_from_state(WallClock::now());
    // After the pipeline, so that it stops (and no scrape reads the totals) before they go.
    auto api_server = start_api(io, pipeline.config(), opened.database, writer, pipeline.totals());
    auto status = [&pipeline, &cluster] {
        auto line = status_line(pipeline);
        if (cluster) {
            line += "; node " + std::to_string(cluster->id()) + " holds " +
                    std::to_string(pipeline.held_count()) + " feeds";
            if (!cluster->trouble().empty()) line += "; " + cluster->trouble();
        }
        notify::status(line);
    };
    // Every poll updates STATUS: cheap (one datagram, nothing without NOTIFY_SOCKET) and it lets
    // `systemctl status` and tests follow the daemon without polling its log.
    pipeline.on_report = [&status](const PollReport&) { status(); };
    if (cluster) cluster->on_trouble = status;

    boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    // WATCHDOG=1 comes from the event loop itself, so a loop that stops turning stops the pings.
    RepeatingTimer watchdog_timer(io, [] { notify::watchdog(); });
    RepeatingTimer status_timer(io, status);
    RepeatingTimer maintenance_timer(io, [&] { maintain(writer, pipeline.config().settings.keep_days); });
    bool stopping = false;

    std::function<void()> wait_for_signal = [&] {
        signals.async_wait([&](const boost::system::error_code& error, int signal) noexcept {
            if (error) return;
            if (signal == SIGHUP) {
                notify::reloading();
                log_info("reloading " + options.config_path.string());
                try {
                    auto fresh = config::load_config(options.config_path);
                    for (const auto& warning : fresh.warnings) log_warning(warning);
                    apply_log_level(fresh, options);
                    auto changes = compare_settings(pipeline.config().settings, fresh.settings,
                                                    options.database.has_value());
                    // Users and their secrets are read first: a secret that cannot be read
                    // refuses the whole reload.
                    if (api_server) api_server->reconfigure(fresh);
                    if (fresh.http != pipeline.config().http) changes.need_restart.emplace_back("[http]");
                    apply_hook_settings(hooks, pipeline, fresh.settings);
                    const auto path = fresh.path;
                    pipeline.reconfigure(std::move(fresh), WallClock::now());
                    if (cluster) cluster->set_config_digest(config_digest(path));
                    std::string line = "reloaded: " + std::to_string(pipeline.feed_count()) + " feeds";
                    if (!changes.applied.empty())
                        line += "; settings applied: " + text::join(changes.applied, ", ");
                    if (changes.need_restart.empty()) {
                        log_info(line);
                    } else {
                        log_warning(line + "; changed but not applied until a restart: " +
                                    text::join(changes.need_restart, ", ") + " (systemctl restart feedd)");
                    }
                } catch (const config::ConfigError& e) {
                    for (const auto& problem : e.problems()) log_error(problem);
                    log_error("reload refused: the running configuration stays");
                } catch (const std::exception& e) {
                    log_error(std::string("reload refused: ") + e.what() +
                              "; the running configuration stays");
                }
                notify::ready();
                status();
                wait_for_signal();
                return;
            }
            if (stopping) return;
            stopping = true;
            notify::stopping();
            log_info(std::string("stopping on ") + (signal == SIGINT ? "SIGINT" : "SIGTERM"));
            watchdog_timer.cancel();
            status_timer.cancel();
            maintenance_timer.cancel();
            if (cluster) cluster->stop();
            pipeline.stop(pipeline.config().settings.shutdown_grace, [&] {
                signals.cancel();
                io.stop();
            });
        });
    };
    wait_for_signal();

    if (auto interval = notify::watchdog_interval()) watchdog_timer.start(*interval);
    maintenance_timer.start(std::chrono::hours(1));  // at start, then hourly
    if (cluster) cluster->start();
    notify::ready();
    status_timer.start(std::chrono::seconds(30));
    io.run();
    // The API's reader may wait on the writer: it ends first.
    if (api_server) api_server->stop();
    writer.finish();
    // Every poll is written (each gave its lease back): what the node still holds goes back.
    if (cluster) cluster->leave();
    log_info("stopped: " + std::to_string(pipeline.totals().polls.value()) + " polls, " +
             std::to_string(pipeline.totals().new_entries.value()) + " new entries");
    return 0;
}

}  // namespace feedd::daemon
