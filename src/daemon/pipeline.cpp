#include "daemon/pipeline.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "daemon/completeness.hpp"
#include "daemon/full_text.hpp"
#include "daemon/log.hpp"
#include "daemon/refresh.hpp"
#include "feedd/parse/parse.hpp"
#include "feedd/schedule/schedule.hpp"
#include "feedd/url/url.hpp"

namespace feedd::daemon {
namespace {

// Bytes of results that may wait for the writer before no new fetch starts: bounds memory when the
// disk is slower than the network. A result counts its body and at least kResultCost, so that
// many small answers (304s, errors) wait together and share one commit, and a few large bodies
// hold fetching back. Twice the writer's batch, so that fetches go on while a batch fills.
constexpr std::size_t kMaxPendingBytes = std::size_t{4} << 20;
constexpr std::size_t kResultCost = 4096;
// First polls of feeds never polled before are spread over at most this long, one step apart.
constexpr auto kSpreadStep = std::chrono::milliseconds(100);
constexpr auto kSpreadWindow = std::chrono::minutes(10);
// Feeds that fell due while the machine slept or was offline: prompt, but this far apart within
// the window, so waking does not hit every host at once or hold the event loop (and its watchdog
// pings) with a burst.
constexpr auto kCatchUpStep = std::chrono::seconds(3);
constexpr auto kCatchUpWindow = std::chrono::minutes(5);
// Offline, one probe this often checks for the network.
constexpr auto kProbeEvery = std::chrono::minutes(1);
// The daemon looks at its clocks at least this often (a suspend shows within it after waking)...
constexpr auto kClockCheck = std::chrono::seconds(10);
// ...and calls a disagreement this large between them a jump: far above NTP's slewing, far below
// a suspend worth spreading for.
constexpr auto kClockJump = std::chrono::seconds(30);
// Full text: pages claimed from the archive at a time, at most this many queued in memory, and how
// long a claimed page is not due again (a fetch that never reported back is tried again then).
constexpr int kPageClaim = 16;
constexpr std::size_t kMaxQueuedPages = 256;
constexpr auto kPageLease = std::chrono::hours(1);

schedule::HostLimits limits_for(const config::Settings& settings) {
    schedule::HostLimits limits;
    limits.concurrency = static_cast<std::size_t>(settings.concurrency);
    limits.per_host = static_cast<std::size_t>(settings.per_host);
    limits.per_host_gap = settings.per_host_gap;
    // A host-wide pause lasts no longer than one feed's retry may (schedule::next_due's bound).
    limits.max_pause = std::max(settings.backoff_cap, settings.max_interval);
    return limits;
}

schedule::Instant to_instant(WallTime t) {
    return std::chrono::time_point_cast<Duration>(t);
}

// How long `count` first polls are spread over: a step each, within the window.
Duration spread_window(std::size_t count) {
    return std::min<Duration>(kSpreadWindow, kSpreadStep * static_cast<long>(count));
}

Duration catch_up_window(std::size_t count) {
    return std::min<Duration>(kCatchUpWindow, kCatchUpStep * static_cast<long>(count));
}

std::string whole_minutes(WallClock::duration duration) {
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(duration).count();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(duration).count();
    return minutes >= 2 ? std::to_string(minutes) + " min" : std::to_string(seconds) + " s";
}

// What `on_new` gets on stdin: one JSON object per new article.
std::string new_articles_ndjson(const std::string& feed, const std::vector<store::ArticleRow>& rows) {
    std::string out;
    for (const auto& row : rows) {
        nlohmann::json line = {{"id", row.id},         {"feed", feed},
                               {"title", row.title},   {"link", row.link},
                               {"author", row.author}, {"summary", row.summary},
                               {"feeds", row.feeds},   {"first_seen", format_utc(row.first_seen)},
                               {"published", nullptr}};
        if (row.published) line["published"] = format_utc(*row.published);
        out += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        out += '\n';
    }
    return out;
}

TimePoint to_seconds(WallTime t) {
    return std::chrono::floor<std::chrono::seconds>(t);
}

}  // namespace

Pipeline::Pipeline(boost::asio::io_context& io, fetch::Fetcher& fetcher, Writer& writer,
                   config::Config config, std::map<std::string, FeedState> states, bool once,
                   HookRunner* on_new, Clock& clock)
    : io_(io),
      clock_(clock),
      fetcher_(fetcher),
      writer_(writer),
      config_(std::move(config)),
      states_(std::move(states)),
      once_(once),
      on_new_(on_new),
      gate_(limits_for(config_.settings)),
      last_wall_(clock_.wall()),
      last_steady_(clock_.steady()),
      timer_(clock_.timer(io)),
      grace_timer_(io) {
    for (const auto& feed : config_.feeds) sources_[feed.name] = &feed;
    for (const auto& [name, state] : states_) note_state(name);
}

void Pipeline::note_state(const std::string& name) {
    host_keys_.erase(name);
    const auto& state = states_.at(name);
    if (state.consecutive_failures > 0 || state.gone)
        failing_.insert(name);
    else
        failing_.erase(name);
}

FeedState Pipeline::state_of(const std::string& name) const {
    if (auto it = states_.find(name); it != states_.end()) return it->second;
    FeedState state;
    state.name = name;
    return state;
}

const FeedSource* Pipeline::source(const std::string& name) const {
    auto it = sources_.find(name);
    return it == sources_.end() ? nullptr : it->second;
}

void Pipeline::schedule(const std::string& name, WallTime due) {
    due_.set(name, to_instant(due));
    if (due < timer_at_) arm_timer(due);
}

void Pipeline::schedule_from_state(WallTime now) {
    std::vector<std::string> fresh;
    for (const auto& [name, source] : sources_) {
        const auto& feed = *source;
        if (!feed.enabled) continue;
        const auto state = reconcile_with_config(feed, state_of(name));
        if (state.gone) {
            log_warning(name + ": not polled: the server said 410 Gone (`feedd feeds enable " + name +
                        "` resets it)");
            continue;
        }
        if (state.next_poll && state.configured_url == feed.url) {
            schedule(name, std::max(now, WallTime(*state.next_poll)));
        } else {
            fresh.push_back(name);
        }
    }
    spread(fresh, now, spread_window(fresh.size()));
}

void Pipeline::spread(const std::vector<std::string>& names, WallTime now, Duration window) {
    // A stampede of first polls would hit every host at once after a start or an import.
    const auto seconds = to_seconds(now);
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (busy_.count(names[i])) continue;
        const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
        FeedState never_polled;
        const auto due = schedule::first_due(never_polled, i, names.size(), seconds, window, jitter);
        // first_due works in seconds; keep sub-second spreading for short windows.
        schedule(names[i], std::max(now, WallTime(due) + (now - WallTime(seconds))));
    }
}

void Pipeline::reconfigure(config::Config config, WallTime now) {
    // Into config.feeds, whose elements keep their addresses when the vector moves into config_.
    std::map<std::string, const FeedSource*> next;
    for (const auto& feed : config.feeds) next[feed.name] = &feed;
    std::vector<std::string> fresh;
    for (const auto& [name, old] : sources_) {
        auto it = next.find(name);
        if (it == next.end() || !it->second->enabled) {
            due_.remove(name);
            for (auto& [key, ready] : ready_) std::erase(ready, name);
            // A walk waiting for its next page ends; one with a page in flight ends when it comes.
            for (auto& [key, pages] : pages_ready_) {
                if (std::erase(pages, name) > 0) {
                    walks_.erase(name);
                    busy_.erase(name);
                }
            }
            log_info(name +
                     ": no longer polled (removed or disabled in the configuration; its articles stay)");
        } else if (it->second->url != old->url) {
            fresh.push_back(name);
        }
    }
    for (const auto& [name, feed] : next) {
        if (!sources_.count(name) && feed->enabled) fresh.push_back(name);
    }
    sources_ = std::move(next);
    host_keys_.clear();  // a URL changed in feeds.toml drops what was learned of the old one
    config_ = std::move(config);
    gate_.set_limits(limits_for(config_.settings));
    writer_.post([this, feeds = config_.feeds](store::Archive& archive) { record_feeds(archive, feeds); });
    if (shared_) {
        // Claimed from the archive when due, by this node or another.
        for (const auto& name : fresh) log_info(name + ": new or changed in the configuration");
    } else {
        for (const auto& name : fresh) log_info(name + ": scheduled (new or changed in the configuration)");
        spread(fresh, now, spread_window(fresh.size()));
    }
    dispatch();
}

void Pipeline::record_feeds(store::Archive& archive, std::vector<FeedSource> feeds) {
    try {
        archive.sync_feeds(feeds);
        unrecorded_feeds_.reset();
    } catch (const std::exception& e) {
        // Polling goes on with the new configuration; the archive's list of feeds (removed ones,
        // changed titles and categories) follows with a later write.
        if (!unrecorded_feeds_)
            log_warning(std::string("reload: the archive's list of feeds is not updated yet: ") + e.what());
        unrecorded_feeds_ = std::move(feeds);
    }
}

void Pipeline::arm_timer(WallTime when) {
    timer_at_ = when;
    if (when == WallTime::max()) {
        timer_->cancel();
        return;
    }
    // Waits on the steady clock for as long as the wall clock has to go: a later clock jump is
    // check_clock's to notice, within kClockCheck.
    const auto wait = std::max(SteadyClock::duration::zero(),
                               std::chrono::duration_cast<SteadyClock::duration>(when - clock_.wall()));
    timer_->wait_until(clock_.steady() + wait, [this, when]() noexcept {
        if (when != timer_at_) return;
        timer_at_ = WallTime::max();
        dispatch();
    });
}

void Pipeline::check_clock() {
    const auto wall = clock_.wall();
    const auto steady = clock_.steady();
    const auto jump =
        (wall - last_wall_) - std::chrono::duration_cast<WallClock::duration>(steady - last_steady_);
    last_wall_ = wall;
    last_steady_ = steady;
    if (jump > kClockJump) {
        // A suspend (the steady clock stood still) or the clock set forward: what fell due
        // meanwhile is due now, all of it; spread it rather than fire it together.
        log_info(
            "the wall clock moved " + whole_minutes(jump) +
            " further than the monotonic clock (a suspend, or the clock set forward): feeds that fell due "
            "meanwhile are spread over the next minutes");
        catch_up(wall);
    } else if (jump < -kClockJump) {
        // Set back: what was due in ten minutes is still due in ten minutes, not in an hour and ten.
        log_info("the wall clock was set back " + whole_minutes(-jump) + ": due times move back with it");
        const auto by = std::chrono::duration_cast<Duration>(jump);
        due_.shift(by);
        gate_.shift(by);
        if (next_probe_ != WallTime{}) next_probe_ += jump;
    }
}

void Pipeline::catch_up(WallTime now) {
    std::vector<std::string> names;
    for (auto& [key, ready] : ready_) names.insert(names.end(), ready.begin(), ready.end());
    ready_.clear();
    for (auto& name : due_.pop_due(to_instant(now))) names.push_back(std::move(name));
    for (const auto& name : std::exchange(held_, {})) {
        if (due_.due(name)) {
            due_.remove(name);
            names.push_back(name);
        }
    }
    spread(names, now, catch_up_window(names.size()));
}

void Pipeline::dispatch() {
    start_due();
    // Every completion ends here, after its result went to the writer, and every start is made
    // here: the writer learns how many more results are on their way.
    writer_.expect(gate_.in_flight());
}

void Pipeline::start_due() {
    if (stopping_) return;
    if (!once_) check_clock();
    const auto now = clock_.wall();
    if (shared_ && leases_valid_until_ && clock_.steady() >= *leases_valid_until_) {
        // No heartbeat reached the archive within a lease: another node may poll these feeds now,
        // and send requests to these hosts.
        hosts_held_.clear();
        if (!due_.empty() || !ready_.empty()) {
            log_warning("leases ran out without a heartbeat: " + std::to_string(due_.size()) +
                        " feeds not polled here (other nodes take them)");
            due_.clear();
            ready_.clear();
        }
    }
    if (outage_.in_outage() && !once_) {
        probe(now);
        return;
    }
    for (const auto& name : due_.pop_due(to_instant(now))) {
        const auto* feed = source(name);
        if (!feed || busy_.count(name)) continue;
        auto& ready = ready_[host_key(*feed)];
        if (std::find(ready.begin(), ready.end(), name) == ready.end()) ready.push_back(name);
    }
    auto wake = next_due().value_or(WallTime::max());
    // History pages and polls wait for the same gates: a page is one more request to its host.
    auto drain = [&](std::map<std::string, std::deque<std::string>>& queues, auto begin) {
        for (auto it = queues.begin(); it != queues.end();) {
            auto& [key, ready] = *it;
            if (!may_start(key)) {  // shared: waits until a claim takes its host
                ++it;
                continue;
            }
            while (!ready.empty() && pending_bytes_ < kMaxPendingBytes) {
                const auto earliest = gate_.earliest_start(key, to_instant(now));
                if (!earliest) break;  // a limit on requests in flight: a completion dispatches again
                if (*earliest > to_instant(now)) {
                    wake = std::min(wake, WallTime(*earliest));
                    break;
                }
                const auto name = ready.front();
                ready.pop_front();
                (this->*begin)(name, key);
            }
            it = ready.empty() ? queues.erase(it) : std::next(it);
        }
    };
    drain(pages_ready_, &Pipeline::start_page);
    drain(ready_, &Pipeline::start);
    drain_article_pages(now, wake);
    gate_.prune(to_instant(now));
    if (!once_) wake = std::min(wake, now + kClockCheck);
    if (wake != timer_at_) arm_timer(wake);
    check_idle();
}

void Pipeline::probe(WallTime now) {
    auto wake = now + kClockCheck;
    if (gate_.in_flight() == 0 && !due_.empty()) {
        if (now >= next_probe_) {
            // The feed due soonest, due yet or not: one request a minute is no burden, and the
            // probe may as well be a feed that is wanted.
            const auto name = due_.pop_due(schedule::Instant::max(), 1).front();
            const auto* feed = source(name);
            if (feed && !busy_.count(name)) {
                const auto key = host_key(*feed);
                if (may_start(key)) {
                    log_debug(name + ": probing the network");
                    next_probe_ = now + kProbeEvery;
                    start(name, key);
                } else {
                    ready_[key].push_back(name);  // its host is wanted by the next claim
                }
            }
        }
        wake = std::min(wake, std::max(now, next_probe_));
    }
    if (wake != timer_at_) arm_timer(wake);
    check_idle();
}

FetchRequest Pipeline::request_for(const FeedSource& feed, std::string url) const {
    const auto& settings = config_.settings;
    FetchRequest request;
    request.url = std::move(url);
    request.user_agent = !feed.user_agent.empty()       ? feed.user_agent
                         : !settings.user_agent.empty() ? settings.user_agent
                                                        : fetch::default_user_agent();
    request.headers = feed.headers;
    request.username = feed.username;
    // Polled where a redirect moved it, the feed's credentials still belong to feeds.toml's URL.
    request.credentials_origin = feed.url;
    request.ca_file = feed.ca_file;
    request.proxy = settings.proxy;
    request.timeout = settings.timeout;
    request.connect_timeout = std::min(settings.timeout, request.connect_timeout);
    request.max_body = settings.max_body;
    request.allow_private_networks = settings.allow_private_networks;
    if (feed.password.kind != SecretSource::Kind::none)
        request.password = config::resolve_secret(feed.password);
    return request;
}

std::string Pipeline::host_key(const FeedSource& feed) const {
    // Asked for every candidate of every claim: a URL parse and a public-suffix lookup each time
    // made claims the node's main cost with thousands of feeds.
    auto [it, added] = host_keys_.try_emplace(feed.name);
    if (added)
        it->second = fetch::registered_domain(
            url::host(effective_url(feed, reconcile_with_config(feed, state_of(feed.name)))));
    return it->second;
}

void Pipeline::start(const std::string& name, const std::string& host_key) {
    const auto& feed = *sources_.at(name);
    const auto state = reconcile_with_config(feed, state_of(name));
    gate_.on_start(host_key, to_instant(clock_.wall()));
    busy_.insert(name);

    FetchRequest request;
    try {
        request = request_for(feed, effective_url(feed, state));
    } catch (const std::exception& e) {
        FetchResult failed;
        failed.error = FetchErrorKind::other;
        failed.error_message = std::string("credentials: ") + e.what();
        boost::asio::post(io_, [this, name, host_key, failed = std::move(failed)]() mutable noexcept {
            on_fetched(name, host_key, std::move(failed));
        });
        return;
    }
    request.etag = state.etag;
    request.last_modified = state.last_modified;
    log_debug(name + ": fetching " + request.url);
    fetcher_.fetch(std::move(request), [this, name, host_key](FetchResult result) noexcept {
        on_fetched(name, host_key, std::move(result));
    });
}

bool Pipeline::note_outage(const std::string& host_key, FetchErrorKind error, WallTime now) {
    if (error != FetchErrorKind::cancelled && !schedule::OutageDetector::network_level(error)) {
        // An answer, from a feed's host or a page's: the failures before it were their own.
        suspects_.clear();
        page_suspects_.clear();
    }
    switch (outage_.record(host_key, error, to_seconds(now))) {
        case schedule::OutageDetector::Change::began: {
            log_warning(
                offline_note(*outage_.since()) +
                ": every fetch since the last answer failed at the network level, on more than one "
                "host; failures do not count against feeds; one probe a minute checks for the network");
            next_probe_ = now + kProbeEvery;
            // Feeds waiting for a slot wait for the network instead, in due order.
            for (auto& [key, ready] : ready_)
                for (const auto& name : ready) due_.set(name, to_instant(now));
            ready_.clear();
            for (const auto& [name, failures] : std::exchange(suspects_, {})) {
                if (busy_.count(name))
                    forgive_on_write_[name] = failures;
                else
                    forgive(name, failures, *outage_.since());
            }
            // Pages too: each one's failure is written again, not counted. Their own writes were
            // handed to the writer before, which runs in order.
            for (const auto& [id, suspect] : std::exchange(page_suspects_, {}))
                page_offline_now(suspect.task, suspect.error, suspect.status);
            // A robots.txt that no answer came for was the outage too: its site is not failing.
            for (auto& [at, entry] : robots_)
                if (entry.robots && entry.robots->unreachable && entry.robots->network)
                    entry.robots->offline = true;
            break;
        }
        case schedule::OutageDetector::Change::ended:
            // What robots.txt files the outage kept unread are read again before their pages.
            std::erase_if(robots_, [](const auto& entry) {
                return !entry.second.fetching && entry.second.robots && entry.second.robots->offline;
            });
            if (now < next_probe_) {
                // Over before the first probe: too short for anything to pile up. The feeds it held
                // are due now and go as usual; spreading them over minutes would only delay them.
                log_info("online again: the network answered within a minute");
                held_.clear();
                break;
            }
            log_info(
                "online again: the network answers; feeds held back or overdue are polled over the next "
                "minutes");
            catch_up(now);
            break;
        case schedule::OutageDetector::Change::none: break;
    }
    return outage_.in_outage() && schedule::OutageDetector::network_level(error);
}

void Pipeline::forgive(const std::string& name, int failures, TimePoint since) {
    auto found = states_.find(name);
    if (found == states_.end() || !source(name)) return;
    FeedState& state = found->second;
    state.consecutive_failures = failures;
    note_state(name);
    if (!offline_since_in(state.last_error)) state.last_error = offline_note(since) + ": " + state.last_error;
    if (outage_.in_outage()) held_.insert(name);
    if (!once_ && !stopping_) {
        const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
        const auto due = schedule::outage_due(schedule_policy(config_.settings, sources_.at(name)->interval),
                                              to_seconds(clock_.wall()), jitter);
        state.next_poll = due;
        // Shared, the archive's next poll is the schedule: whichever node finds it due polls it.
        if (!shared_) schedule(name, WallTime(due));
    }
    writer_.post([state](store::Archive& archive) {
        try {
            archive.set_feed_state(state);
        } catch (const std::exception& e) {
            log_warning(state.name +
                        ": its failure during the outage stays counted in the archive: " + e.what());
        }
    });
}

void Pipeline::on_fetched(const std::string& name, const std::string& host_key, FetchResult result) {
    const auto now = clock_.wall();
    gate_.on_finish(host_key, to_instant(now), result.status, result.retry_after, name);
    // Before note_outage, which forgives the suspects when this failure shows the outage (and
    // forgets them when this is an answer).
    if (schedule::OutageDetector::network_level(result.error) && !outage_.in_outage())
        suspects_.emplace(name, state_of(name).consecutive_failures);
    const bool outage = note_outage(host_key, result.error, now);
    if (outage) held_.insert(name);  // not counted in the first place
    const auto* feed = source(name);
    if ((result.error == FetchErrorKind::cancelled && stopping_) || !feed) {
        // Cut short by a stop or a reload that removed the feed: nothing learned, nothing written.
        busy_.erase(name);
        dispatch();
        check_idle();  // dispatch does nothing while stopping
        return;
    }
    const auto bytes = result.body.size();
    const auto cost = std::max(bytes, kResultCost);
    note_pending(1, cost);
    ++feeds_writing_;
    PollJob job{*feed,
                state_of(name),
                schedule_policy(config_.settings, feed->interval),
                std::uniform_real_distribution<double>(0.0, 1.0)(random_),
                outage ? outage_.since() : std::nullopt,
                once_,
                config_.settings.min_interval,
                on_new_,
                auto_interval(*feed, config_.settings),
                cost,
                history_bounds(config_.settings.backfill_pages),
                full_text_mode(*feed, config_.settings)};
    if (!result.ok()) {
        // No document (a 304, an error): nothing to prepare.
        writer_.post_ready(
            [this, job = std::move(job), result = std::move(result)](store::Archive& archive) mutable {
                return prepare_poll(archive, std::move(job), std::move(result), Document{});
            },
            bytes);
    } else {
        // A feed's first document: every entry is new, so the digest takes their text and stored
        // HTML off the writer too.
        const store::DigestOptions digest{!job.state.last_success.has_value(), writer_.packs_html()};
        writer_.post_poll(
            [this, job = std::move(job), result = std::move(result), digest]() mutable -> Writer::PollJob {
                auto document =
                    read_document(result, result.final_url.empty() ? job.feed.url : result.final_url, digest);
                return [this, job = std::move(job), result = std::move(result),
                        document = std::move(document)](store::Archive& archive) mutable {
                    return prepare_poll(archive, std::move(job), std::move(result), std::move(document));
                };
            },
            bytes);
    }
    dispatch();
    room_freed();  // the slot is free now, not when the write comes back: see claim_room
}

Pipeline::Document Pipeline::read_document(FetchResult& result, const std::string& url,
                                           store::DigestOptions options) {
    Document document;
    if (!result.ok()) return document;
    // The body is the parser's: it goes as soon as the parser holds the document.
    document.parsed = parse::parse_feed(std::move(result.body), {url, result.content_type});
    document.digest = store::digest_document(*document.parsed, options);
    return document;
}

Writer::PreparedPoll Pipeline::prepare_poll(store::Archive& archive, PollJob job, FetchResult result,
                                            Document document) {
    const auto wall_now = clock_.wall();
    const auto now = to_seconds(wall_now);
    auto refresh = apply_fetch(job.feed, job.state, result, std::move(document.parsed), now);
    // A first poll (the feed never answered before) whose document links earlier pages: the walk
    // through them begins once this poll is written.
    std::optional<HistoryWalk> history;
    if (job.history.pages > 0 && !job.state.last_success && refresh.parsed && refresh.parsed->is_feed &&
        refresh.outcome.kind == RefreshOutcome::Kind::updated) {
        history = HistoryWalk::after_document(
            job.feed, result.final_url.empty() ? effective_url(job.feed, job.state) : result.final_url,
            history_page(*refresh.parsed), job.history);
        if (history->done()) {
            log_debug(job.feed.name + ": history: " + history->report().stopped);
            history.reset();
        }
    }
    // What the archive knew of the feed's publishing before this poll: the adaptive interval's
    // input, and what a gap is judged against once the poll is written.
    std::optional<GapCheck> check;
    auto policy = job.policy;
    const bool answered = refresh.outcome.kind == RefreshOutcome::Kind::updated ||
                          refresh.outcome.kind == RefreshOutcome::Kind::not_modified;
    if (answered && (job.automatic || refresh.parsed)) try {
            GapCheck known{publishing_of(archive, job.feed.name, job.state.document_items, now),
                           {},
                           {},
                           refresh.outcome,
                           now};
            known.with_poll = known.before;
            if (refresh.parsed) {
                known.poll.arrivals = document_arrivals(*refresh.parsed, now);
                refresh.state.document_items = static_cast<int>(known.poll.arrivals.size());
                known.with_poll = with_document(std::move(known.with_poll), known.poll.arrivals);
            }
            if (job.automatic) policy.interval = schedule::adaptive_interval(policy, known.with_poll, now);
            if (!known.poll.arrivals.empty()) check = std::move(known);
        } catch (const std::exception& e) {
            // An archive that cannot be read now still takes the poll (its write says why if it
            // cannot): the feed keeps its fixed interval this time, and no gap is judged.
            log_error(job.feed.name + ": reading its publishing: " + e.what());
        }
    auto next = schedule::next_due(policy, job.state, refresh.outcome, now, job.jitter);
    if (job.outage_since) {
        // Our network is down, not the feed: this failure does not count, and the feed is tried
        // again soon so that polling resumes promptly. The note tells `feedd status` and
        // `feeds list` why.
        refresh.state.consecutive_failures = job.state.consecutive_failures;
        refresh.state.last_error = offline_note(*job.outage_since) + ": " + refresh.state.last_error;
        refresh.report.error =
            offline_note(*job.outage_since) + " (not counted against the feed): " + refresh.report.error;
        next = schedule::outage_due(job.policy, now, job.jitter);
    }
    refresh.state.next_poll = next;
    if (unrecorded_feeds_) record_feeds(archive, *unrecorded_feeds_);
    Written written{job.feed.name, refresh.state, WallTime(next), std::move(refresh.report), {},
                    job.cost,      std::nullopt};
    Writer::PreparedPoll prepared{
        job.feed, std::move(refresh.parsed), std::move(document.digest), refresh.state, now, nullptr};
    const WallTime retry_at = wall_now + job.retry_on_store_failure;
    // The notice (moved, gone, repaired) is news only once the archive took the poll.
    prepared.done = [this, job = std::move(job), written = std::move(written),
                     notice = std::move(refresh.notice), retry_at, check = std::move(check),
                     history = std::move(history)](store::Archive& archive,
                                                   store::PollCommit commit) mutable {
        if (commit.ok() && !notice.empty()) log_warning(job.feed.name + ": " + notice);
        if (commit.ok()) written.history = std::move(history);
        if (commit.ok() && check) note_gap(archive, job, std::move(*check), commit.counts, written);
        if (commit.ok() && job.full_text != FullText::off) {
            try {
                // New articles, and older ones this feed now carries too: an article first seen
                // in a feed without full text gets its page once a feed with full text has it.
                auto articles = commit.counts.new_article_ids;
                articles.insert(articles.end(), commit.counts.joined_article_ids.begin(),
                                commit.counts.joined_article_ids.end());
                written.pages_requested =
                    request_pages(archive, job.full_text, articles, to_seconds(clock_.wall())) > 0;
            } catch (const std::exception& e) {
                // The poll is written; only its articles' pages are not asked for.
                log_error(job.feed.name + ": full text: asking for the pages of its articles: " + e.what());
            }
        }
        boost::asio::post(io_, [this, written = finish_poll(
                                          archive, job, std::move(commit), std::move(written),
                                          retry_at)]() mutable noexcept { on_written(std::move(written)); });
    };
    return prepared;
}

void Pipeline::note_gap(store::Archive& archive, const PollJob& job, GapCheck check,
                        const store::IngestCounts& counts, Written& written) {
    check.poll.seen_before = static_cast<std::size_t>(counts.updated_entries + counts.unchanged_entries +
                                                      counts.tombstoned_entries);
    const auto gap = schedule::detect_gap(check.before, check.poll);
    if (!gap) return;
    log_warning(job.feed.name + ": " + gap_notice(*gap));
    try {
        archive.record_gap(job.feed.name, gap_record(*gap, check.now));
    } catch (const std::exception& e) {
        // The poll itself is written; only the record of its gap is missing.
        log_error(job.feed.name + ": recording a gap: " + e.what());
    }
    // Polled too late: the lost items, placed where they probably were, shorten the interval now
    // (the archive's copy of next_poll is corrected by the next poll's write).
    if (!job.automatic || !written.state) return;
    const auto lost = schedule::lost_arrivals(*gap);
    check.with_poll.arrivals.insert(check.with_poll.arrivals.end(), lost.begin(), lost.end());
    auto policy = job.policy;
    policy.interval = schedule::adaptive_interval(policy, check.with_poll, check.now);
    const auto sooner = schedule::next_due(policy, job.state, check.outcome, check.now, job.jitter);
    if (WallTime(sooner) < written.next) {
        written.next = WallTime(sooner);
        written.state->next_poll = sooner;
    }
}

Pipeline::Written Pipeline::finish_poll(store::Archive& archive, const PollJob& job, store::PollCommit commit,
                                        Written written, WallTime retry_at) {
    auto& report = written.report;
    if (!commit.ok()) {
        // The archive refused the write (disk full, read-only): the transaction rolled back and
        // nothing of this poll is kept, its validators included, so the retry is answered with the
        // whole feed again and catches up once the disk takes writes.
        written.write_error = std::move(commit.error);
        written.state.reset();
        written.next = retry_at;
        report.status = PollStatus::failed;
        report.error =
            written.write_error + " (nothing of this poll kept" +
            (job.once ? std::string(")")
                      : "; retrying in " + config::format_duration(job.retry_on_store_failure) + ")");
        return written;
    }
    report.new_entries = commit.counts.new_entries;
    report.updated_entries = commit.counts.updated_entries;
    // Entries the archive refused (too large) are this poll's news, not a failed write: the rest
    // of the poll is kept, and the line says which entries are missing.
    for (const auto& refused : commit.counts.refused_entries)
        report.error += (report.error.empty() ? "" : "; ") + refused;
    if (job.hooks && !commit.counts.new_article_ids.empty()) {
        try {
            job.hooks->submit(
                written.name,
                new_articles_ndjson(written.name, archive.articles(commit.counts.new_article_ids)));
        } catch (const std::exception& e) {
            log_error(written.name + ": on_new: " + e.what());
        }
    }
    return written;
}

void Pipeline::on_written(Written written) {
    note_pending(-1, written.cost);
    --feeds_writing_;
    const auto& name = written.name;
    const auto& report = written.report;
    const bool walking = written.history && !stopping_ && source(name);
    if (!walking) busy_.erase(name);
    if (!written.write_error.empty())
        write_failure_ = std::move(written.write_error);
    else if (written.state)
        write_failure_.clear();
    const bool gone = written.state && written.state->gone;
    if (written.state) {
        states_[name] = std::move(*written.state);
        note_state(name);
    }
    auto forgiven = forgive_on_write_.extract(name);
    totals_.polls.add();
    totals_.new_entries.add(report.new_entries);
    totals_.updated_entries.add(report.updated_entries);
    totals_.by_status[static_cast<std::size_t>(report.status)].add();
    totals_.bytes.add(report.bytes);
    if (report.http_status != 0 || report.elapsed > Duration::zero())
        totals_.fetch_seconds.observe(std::chrono::duration<double>(report.elapsed).count());
    const auto level = report.status == PollStatus::failed ? LogLevel::warning : LogLevel::info;
    Log::write(level, format_report(report));
    if (on_report) on_report(report);
    if (written.pages_requested) pages_due_ = clock_.wall();
    if (walking)
        begin_walk(name, std::move(*written.history), written.next);
    else if (!once_ && !stopping_ && source(name) && !gone && (!shared_ || !written.write_error.empty()))
        // Shared, a written poll gave its lease back and the archive's next poll is the schedule;
        // a refused write keeps the lease and is retried here.
        schedule(name, written.next);
    // After its own write, which the correction must follow.
    if (forgiven) forgive(name, forgiven.mapped(), outage_.since().value_or(to_seconds(clock_.wall())));
    dispatch();
    check_idle();  // dispatch does nothing while stopping
    room_freed();
}

void Pipeline::room_freed() {
    // Half the slots' worth at a time, not one feed per freed slot: each claim is a round trip that
    // sends every candidate, and half the queue is still there to fetch while it runs.
    const auto batch = std::max(1, config_.settings.concurrency / 2);
    if (shared_ && on_room && claim_room() >= batch) on_room();
}

std::vector<std::string> Pipeline::claim_candidates() const {
    // Waiting for their host (ready_) counts as held too.
    std::set<std::string_view> waiting;
    for (const auto& [key, ready] : ready_) waiting.insert(ready.begin(), ready.end());
    std::vector<std::string> names;
    for (const auto& [name, source] : sources_) {
        if (!source->enabled || busy_.count(name) || due_.due(name) || waiting.count(name)) continue;
        // Only a feed whose server said 410 may be gone (unless feeds.toml moved it since): the
        // others' states are not copied.
        const auto state = states_.find(name);
        if (state != states_.end() && state->second.gone &&
            reconcile_with_config(*source, state->second).gone)
            continue;
        names.push_back(name);
    }
    return names;
}

store::WorkClaim Pipeline::work_claim() {
    store::WorkClaim claim;
    claim.feeds = claim_candidates();
    for (const auto& name : claim.feeds) claim.hosts.push_back(host_key(*sources_.at(name)));
    std::set<std::string> in_use;
    for (const auto* queues : {&ready_, &pages_ready_})
        for (const auto& [key, queue] : *queues)
            if (!queue.empty()) in_use.insert(key);
    for (const auto& [key, queue] : articles_ready_)
        if (!queue.empty()) in_use.insert(key);
    for (const auto& [name, source] : sources_)
        if (due_.due(name)) in_use.insert(host_key(*source));
    for (const auto& key : hosts_held_)
        if (gate_.in_flight(key) > 0) in_use.insert(key);
    for (auto it = hosts_held_.begin(); it != hosts_held_.end();) {
        const auto not_before = gate_.not_before(*it);
        const store::HostHold hold{*it, not_before ? not_before->time_since_epoch().count() : 0};
        if (in_use.count(*it)) {
            claim.holding.push_back(hold);
            ++it;
        } else {
            claim.release.push_back(hold);
            it = hosts_held_.erase(it);
        }
    }
    for (const auto& key : in_use)
        if (!hosts_held_.count(key)) claim.want.push_back(key);
    return claim;
}

void Pipeline::take_hosts(const std::vector<store::HostHold>& hosts) {
    hosts_held_.clear();
    for (const auto& hold : hosts) {
        hosts_held_.insert(hold.domain);
        if (hold.not_before_ms > 0) gate_.hold(hold.domain, schedule::Instant(Duration(hold.not_before_ms)));
    }
}

std::vector<std::string> Pipeline::held_feeds() const {
    std::set<std::string> held(busy_.begin(), busy_.end());
    for (const auto& [key, ready] : ready_) held.insert(ready.begin(), ready.end());
    for (const auto& [name, source] : sources_)
        if (due_.due(name)) held.insert(name);
    return {held.begin(), held.end()};
}

std::size_t Pipeline::held_count() const {
    std::size_t waiting = 0;
    for (const auto& [key, ready] : ready_) waiting += ready.size();
    return busy_.size() + waiting + due_.size();
}

int Pipeline::claim_room() const {
    if (stopping_ || pending_bytes_ >= kMaxPendingBytes) return 0;
    if (leases_valid_until_ && clock_.steady() >= *leases_valid_until_) return 0;
    const auto held = held_count();
    if (outage_.in_outage()) return held == 0 ? 1 : 0;  // a feed for the probe
    // Enough to keep every slot busy with as many queued behind. Feeds whose result waits for the
    // writer do not count: on a shared archive a write waits its turn behind the other nodes', and
    // counting them emptied the queue while fetching slots were free. Those results are bounded
    // by kMaxPendingBytes above.
    const auto fetching = held - static_cast<std::size_t>(feeds_writing_);
    const auto most = 2 * static_cast<std::size_t>(config_.settings.concurrency);
    return fetching >= most ? 0 : static_cast<int>(most - fetching);
}

void Pipeline::take_claimed(std::vector<FeedState> claimed) {
    const auto now = clock_.wall();
    for (auto& state : claimed) {
        auto name = state.name;
        if (!source(name) || busy_.count(name)) continue;  // a reload removed it meanwhile
        states_[name] = std::move(state);
        note_state(name);
        due_.set(name, to_instant(now));
    }
    dispatch();
}

void Pipeline::leases_valid_until(SteadyTime until) {
    leases_valid_until_ = until;
}

void Pipeline::note_pending(int polls, std::size_t cost) {
    pending_writes_ += polls;
    if (polls > 0)
        pending_bytes_ += cost;
    else
        pending_bytes_ -= cost;
    totals_.backlog_polls.set(pending_writes_);
    totals_.backlog_bytes.set(static_cast<std::int64_t>(pending_bytes_));
}

void Pipeline::check_idle() {
    if (gate_.in_flight() > 0 || pending_writes_ > 0) return;
    if (stopping_) {
        if (auto done = std::exchange(on_stopped_, nullptr)) {
            grace_timer_.cancel();
            done();
        }
        return;
    }
    if (!once_ || !due_.empty() || !ready_.empty() || !pages_ready_.empty() || !pages_idle()) return;
    if (auto idle = std::exchange(on_idle, nullptr)) idle();
}

void Pipeline::stop(std::chrono::milliseconds grace, std::function<void()> done) {
    if (stopping_) return;
    stopping_ = true;
    on_stopped_ = std::move(done);
    timer_->cancel();
    timer_at_ = WallTime::max();
    due_.clear();
    ready_.clear();
    // Pages queued stay due in the archive: their lease ends and the next run fetches them.
    for (const auto& [key, queue] : std::exchange(articles_ready_, {}))
        for (const auto& task : queue) articles_queued_.erase(task.article_id);
    // Walks whose next page waits end here; those with a page in flight or being written end
    // when it comes back. What they archived stays.
    for (const auto& [key, waiting] : std::exchange(pages_ready_, {}))
        for (const auto& name : waiting) {
            if (auto walk = walks_.find(name); walk != walks_.end()) {
                log_info(name + ": history: stopped by the shutdown after " +
                         std::to_string(walk->second.walk.report().pages) + " pages");
                walks_.erase(walk);
            }
            busy_.erase(name);
        }
    if (gate_.in_flight() > 0) {
        log_info("stopping: waiting up to " + std::to_string(grace.count()) + " ms for " +
                 std::to_string(gate_.in_flight()) + " fetch(es) in flight");
        grace_timer_.expires_after(grace);
        grace_timer_.async_wait([this](const boost::system::error_code& error) noexcept {
            if (!error) fetcher_.cancel_all();
        });
    }
    check_idle();
}

HistoryBounds Pipeline::history_bounds(int pages) const {
    return {pages, config_.settings.backfill_bytes};
}

bool Pipeline::backfill(const std::string& name, int pages) {
    const auto* feed = source(name);
    if (!feed || busy_.count(name) || stopping_) return false;
    const auto state = reconcile_with_config(*feed, state_of(name));
    busy_.insert(name);
    begin_walk(name, HistoryWalk(*feed, effective_url(*feed, state), history_bounds(pages)), std::nullopt);
    dispatch();
    return true;
}

void Pipeline::begin_walk(const std::string& name, HistoryWalk walk, std::optional<WallTime> then) {
    log_info(name + ": history: walking its earlier pages from " + walk.next());
    walks_.insert_or_assign(name, Walk{std::move(walk), then});
    next_page(name);
}

void Pipeline::next_page(const std::string& name) {
    const auto& walk = walks_.at(name).walk;
    if (walk.done()) return end_walk(name);
    pages_ready_[fetch::registered_domain(url::host(walk.next()))].push_back(name);
}

void Pipeline::end_walk(const std::string& name) {
    auto found = walks_.extract(name);
    busy_.erase(name);
    if (!found) return;
    const auto& report = found.mapped().walk.report();
    Log::write(report.failed ? LogLevel::warning : LogLevel::info, format_report(report));
    if (on_backfill) on_backfill(report);
    const auto then = found.mapped().then;
    if (then && !once_ && !stopping_ && source(name) && !state_of(name).gone) schedule(name, *then);
}

void Pipeline::start_page(const std::string& name, const std::string& host_key) {
    auto found = walks_.find(name);
    const auto* feed = source(name);
    if (found == walks_.end() || !feed) {
        walks_.erase(name);
        busy_.erase(name);
        return;
    }
    const auto& walk = found->second.walk;
    gate_.on_start(host_key, to_instant(clock_.wall()));
    FetchRequest request;
    try {
        request = request_for(*feed, walk.next());
    } catch (const std::exception& e) {
        FetchResult failed;
        failed.error = FetchErrorKind::other;
        failed.error_message = std::string("credentials: ") + e.what();
        boost::asio::post(io_, [this, name, host_key, failed = std::move(failed)]() mutable noexcept {
            on_page_fetched(name, host_key, std::move(failed), false);
        });
        return;
    }
    // Unconditional (the feed's validators belong to its document), and within what is left of
    // the walk's byte bound.
    const bool budget = walk.bytes_left() < request.max_body;
    request.max_body = std::min(request.max_body, walk.bytes_left());
    log_debug(name + ": history: fetching " + request.url);
    fetcher_.fetch(std::move(request), [this, name, host_key, budget](FetchResult result) noexcept {
        on_page_fetched(name, host_key, std::move(result), budget);
    });
}

void Pipeline::on_page_fetched(const std::string& name, const std::string& host_key, FetchResult result,
                               bool budget) {
    gate_.on_finish(host_key, to_instant(clock_.wall()), result.status, result.retry_after, name);
    auto found = walks_.find(name);
    const auto* feed = source(name);
    if ((result.error == FetchErrorKind::cancelled && stopping_) || !feed || found == walks_.end()) {
        // Cut short by a stop or a reload that removed the feed: what the walk archived stays.
        walks_.erase(name);
        busy_.erase(name);
        dispatch();
        check_idle();
        return;
    }
    auto& walk = found->second.walk;
    if (!result.ok()) {
        walk.fetch_failed(result, budget);
        next_page(name);
        dispatch();
        check_idle();
        return;
    }
    const auto bytes = result.body.size();
    walk.fetched(result.final_url, static_cast<std::int64_t>(bytes));
    const auto cost = std::max(bytes, kResultCost);
    note_pending(1, cost);
    ++feeds_writing_;
    PageJob job{*feed, state_of(name), result.final_url.empty() ? walk.next() : result.final_url, cost};
    // An earlier page: its entries may be archived already, so links and hashes only.
    const store::DigestOptions digest{};
    writer_.post_poll(
        [this, job = std::move(job), result = std::move(result), digest]() mutable -> Writer::PollJob {
            auto document = read_document(result, job.url, digest);
            return [this, job = std::move(job), document = std::move(document)](store::Archive&) mutable {
                return prepare_page(std::move(job), std::move(document));
            };
        },
        bytes);
    dispatch();
}

Writer::PreparedPoll Pipeline::prepare_page(PageJob job, Document document) {
    const auto now = to_seconds(clock_.wall());
    auto& parsed = *document.parsed;  // a page's fetch succeeded (on_page_fetched)
    auto page = history_page(parsed);
    Writer::PreparedPoll prepared{job.feed, std::nullopt, {}, job.state, now, nullptr, /*history=*/true};
    if (parsed.is_feed) {
        prepared.parsed = std::move(parsed);
        prepared.digest = std::move(document.digest);
    }
    prepared.done = [this, name = job.feed.name, page = std::move(page), cost = job.cost](
                        store::Archive&, store::PollCommit commit) mutable {
        const auto& counts = commit.counts;
        page.new_items = counts.new_entries;
        page.known_items = counts.updated_entries + counts.unchanged_entries + counts.tombstoned_entries;
        for (const auto& refused : counts.refused_entries) log_warning(name + ": history: " + refused);
        boost::asio::post(io_, [this, name, page = std::move(page), error = std::move(commit.error),
                                cost]() mutable noexcept {
            on_page_written(name, std::move(page), std::move(error), cost);
        });
    };
    return prepared;
}

void Pipeline::on_page_written(const std::string& name, HistoryPage page, std::string error,
                               std::size_t cost) {
    note_pending(-1, cost);
    --feeds_writing_;
    auto found = walks_.find(name);
    if (found == walks_.end() || !source(name)) {
        walks_.erase(name);
        busy_.erase(name);
    } else {
        if (error.empty())
            found->second.walk.written(page);
        else
            found->second.walk.write_failed(error);
        if (stopping_)
            end_walk(name);
        else
            next_page(name);
    }
    dispatch();
    check_idle();
}

void Pipeline::want_pages(WallTime now) {
    if (claiming_ || stopping_ || articles_queued_.size() >= kMaxQueuedPages) return;
    // Sites no page was fetched from for a day: what their robots.txt said has expired.
    std::erase_if(robots_, [&](const auto& entry) {
        return !entry.second.fetching &&
               (!entry.second.robots || WallTime(entry.second.robots->expires) <= now);
    });
    claiming_ = true;
    pages_due_.reset();
    const auto at = to_seconds(now);
    writer_.post([this, at, feeds = page_feeds_](store::Archive& archive) {
        std::vector<store::PageTask> tasks;
        std::optional<TimePoint> next;
        try {
            tasks = archive.claim_pages(at, at + kPageLease, kPageClaim, feeds);
            next = archive.next_page_due(feeds);
        } catch (const std::exception& e) {
            log_error(std::string("full text: reading the pages due: ") + e.what());
            next = at + std::chrono::minutes(1);
        }
        boost::asio::post(io_, [this, tasks = std::move(tasks), next]() mutable noexcept {
            on_claimed(std::move(tasks), next);
        });
    });
}

void Pipeline::on_claimed(std::vector<store::PageTask> tasks, std::optional<TimePoint> next) {
    claiming_ = false;
    for (auto& task : tasks) {
        if (stopping_ || !articles_queued_.insert(task.article_id).second) continue;
        const auto key = fetch::registered_domain(url::host(task.url));
        articles_ready_[key].push_back(std::move(task));
    }
    // A poll written meanwhile may have asked for pages due now.
    if (next && (!pages_due_ || WallTime(*next) < *pages_due_)) pages_due_ = WallTime(*next);
    dispatch();
    check_idle();
}

void Pipeline::drain_article_pages(WallTime now, WallTime& wake) {
    // Pages come after feeds: at most half the global concurrency, and never to a host for which
    // a poll or a history page waits (they took their turn in `dispatch` first).
    const auto most = std::max<std::size_t>(1, static_cast<std::size_t>(config_.settings.concurrency) / 2);
    for (auto it = articles_ready_.begin(); it != articles_ready_.end();) {
        auto& [key, queue] = *it;
        if (ready_.count(key) || pages_ready_.count(key) || !may_start(key)) {
            ++it;
            continue;
        }
        while (!queue.empty() && article_fetches_ < most && pending_bytes_ < kMaxPendingBytes) {
            // robots.txt first: known and fresh, or fetched now (one more request to the host).
            const auto robots_at = robots_url(queue.front().url);
            RobotsEntry* robots = robots_at.empty() ? nullptr : &robots_[robots_at];
            if (robots && robots->fetching) break;  // its completion dispatches again
            const bool stale = robots && (!robots->robots || WallTime(robots->robots->expires) <= now);
            if (robots && !stale) {
                if (auto why = robots_refusal(*robots->robots, queue.front().url); !why.empty()) {
                    auto task = std::move(queue.front());
                    queue.pop_front();
                    const auto& known = *robots->robots;
                    if (known.offline) {
                        page_offline_now(task, "not fetched: " + why, 0);
                        continue;
                    }
                    // robots.txt unreachable at the network level may be the first sign of an outage.
                    if (known.network && !outage_.in_outage()) page_suspect(task, "not fetched: " + why, 0);
                    refuse_page(std::move(task), std::move(why), !known.unreachable);
                    continue;
                }
            }
            const auto earliest = gate_.earliest_start(key, to_instant(now));
            if (!earliest) break;
            if (*earliest > to_instant(now)) {
                wake = std::min(wake, WallTime(*earliest));
                break;
            }
            if (stale) {
                start_robots(robots_at, key);
                break;
            }
            auto task = std::move(queue.front());
            queue.pop_front();
            start_article_page(std::move(task), key);
        }
        it = queue.empty() ? articles_ready_.erase(it) : std::next(it);
    }
    if (pages_due_ && *pages_due_ <= now)
        want_pages(now);
    else if (pages_due_)
        wake = std::min(wake, *pages_due_);
}

void Pipeline::start_article_page(store::PageTask task, const std::string& host_key) {
    gate_.on_start(host_key, to_instant(clock_.wall()));
    ++article_fetches_;
    auto request = page_request(task.url, config_.settings);
    log_debug("full text: fetching " + task.url);
    fetcher_.fetch(std::move(request), [this, task = std::move(task), host_key](FetchResult result) noexcept {
        on_article_page_fetched(task, host_key, std::move(result));
    });
}

void Pipeline::start_robots(const std::string& robots_url, const std::string& host_key) {
    gate_.on_start(host_key, to_instant(clock_.wall()));
    ++article_fetches_;
    robots_[robots_url].fetching = true;
    log_debug("full text: fetching " + robots_url);
    fetcher_.fetch(page_request(robots_url, config_.settings),
                   [this, robots_url, host_key](FetchResult result) noexcept {
                       on_robots_fetched(robots_url, host_key, std::move(result));
                   });
}

void Pipeline::on_robots_fetched(const std::string& robots_url, const std::string& host_key,
                                 FetchResult result) {
    const auto now = clock_.wall();
    --article_fetches_;
    gate_.on_finish(host_key, to_instant(now), result.status, result.retry_after, robots_url);
    auto& entry = robots_[robots_url];
    entry.fetching = false;
    if (result.error == FetchErrorKind::cancelled && stopping_) {
        check_idle();
        return;
    }
    // The outage detector hears of robots.txt as of any fetch: an answer ends an outage.
    const bool offline = note_outage(host_key, result.error, now);
    entry.robots = robots_from(result, config_.settings, to_seconds(now));
    if (offline) {
        // Our network is down, not the site: its pages wait for the network (they are not
        // failing), and robots.txt is read again once it is back (note_outage drops this then).
        entry.robots->offline = true;
        entry.robots->expires = to_seconds(now) + std::chrono::seconds(kProbeEvery);
    }
    if (entry.robots->unreachable)
        log_info("full text: " + robots_url + " could not be read (" + entry.robots->why +
                 "): no page of the site is fetched until " + format_utc(entry.robots->expires));
    else
        log_debug("full text: " + robots_url + ": " + std::to_string(entry.robots->rules.rules.size()) +
                  " rule(s) for " + robots_agent(config_.settings));
    dispatch();
    check_idle();
}

void Pipeline::refuse_page(store::PageTask task, std::string reason, bool disallowed) {
    record_unfetched_page(
        task, [task, reason = std::move(reason), disallowed, settings = config_.settings](TimePoint at) {
            return page_refused(task, reason, disallowed, settings, at);
        });
}

void Pipeline::page_offline_now(const store::PageTask& task, const std::string& error, long status) {
    const auto since = outage_.since().value_or(to_seconds(clock_.wall()));
    const double jitter = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    // A page fetched or refused now is in articles_queued_ until this is written; a suspect
    // forgiven later is not any more (its own write was handed over first), and the erase after
    // this write changes nothing then.
    record_unfetched_page(task,
                          [task, error, status, since, jitter, settings = config_.settings](TimePoint at) {
                              return page_offline(task, error, status, since, settings, at, jitter);
                          });
}

void Pipeline::record_unfetched_page(store::PageTask task, std::function<PageOutcome(TimePoint)> outcome) {
    note_pending(1, kResultCost);
    writer_.post([this, task = std::move(task), outcome = std::move(outcome),
                  at = to_seconds(clock_.wall())](store::Archive& archive) {
        const auto written = outcome(at);
        try {
            archive.record_page(written.fetch);
            log_info(written.line);
        } catch (const std::exception& e) {
            log_error(page_name(task) + ": " + e.what());
        }
        boost::asio::post(io_, [this, id = task.article_id, next = written.fetch.next_try]() noexcept {
            on_article_page_written(id, kResultCost, next);
        });
    });
}

void Pipeline::page_suspect(const store::PageTask& task, const std::string& error, long status) {
    page_suspects_.insert_or_assign(task.article_id, PageSuspect{task, error, status});
}

void Pipeline::on_article_page_fetched(const store::PageTask& task, const std::string& host_key,
                                       FetchResult result) {
    const auto now = clock_.wall();
    --article_fetches_;
    // The host's gate learns of a 429 as from a feed: two of them pause the host for everyone.
    gate_.on_finish(host_key, to_instant(now), result.status, result.retry_after,
                    "article " + std::to_string(task.article_id));
    // The outage detector hears of pages as of feeds (docs/ARCHITECTURE.md, "Offline, asleep, and
    // clocks that jump"): an answer ends an outage, a network-level failure counts toward one, and
    // a page that failed because our network is down is not the page's failure.
    const bool offline = note_outage(host_key, result.error, now);
    if (result.error == FetchErrorKind::cancelled && stopping_) {
        articles_queued_.erase(task.article_id);
        dispatch();
        check_idle();
        return;
    }
    const auto message =
        !result.error_message.empty() ? result.error_message : "HTTP " + std::to_string(result.status);
    if (offline) {
        page_offline_now(task, message, result.status);
        dispatch();
        return;
    }
    // After note_outage: a failure that shows the outage is already not counted (above).
    if (schedule::OutageDetector::network_level(result.error)) page_suspect(task, message, result.status);
    const auto cost = std::max(result.body.size(), kResultCost);
    note_pending(1, cost);
    writer_.post([this, task, result = std::move(result), settings = config_.settings, sites = config_.sites,
                  at = to_seconds(now), cost](store::Archive& archive) mutable {
        auto outcome = page_outcome(task, std::move(result), settings, sites, at);
        try {
            if (archive.record_page(outcome.fetch))
                outcome.line += "; the earlier text is kept as a revision";
            Log::write(outcome.failed ? LogLevel::warning : LogLevel::info, outcome.line);
        } catch (const std::exception& e) {
            // Its lease ends and it is fetched again.
            log_error(page_name(task) + ": " + e.what());
        }
        boost::asio::post(io_, [this, id = task.article_id, cost, next = outcome.fetch.next_try]() noexcept {
            on_article_page_written(id, cost, next);
        });
    });
    dispatch();
}

void Pipeline::on_article_page_written(std::int64_t article_id, std::size_t cost,
                                       std::optional<TimePoint> next_try) {
    // The page is due again at next_try (a failure's backoff: minutes), which may be sooner than
    // any page the last claim knew of: the pages of that claim were held for its hour.
    if (next_try && (!pages_due_ || WallTime(*next_try) < *pages_due_)) pages_due_ = WallTime(*next_try);
    note_pending(-1, cost);
    articles_queued_.erase(article_id);
    dispatch();
    check_idle();
}

bool Pipeline::pages_idle() const {
    return !claiming_ && articles_ready_.empty() && article_fetches_ == 0 &&
           !(pages_due_ && *pages_due_ <= clock_.wall());
}

int Pipeline::failing_feeds() const {
    // Every poll's STATUS line asks: the failing feeds are counted, not every feed's state.
    return static_cast<int>(std::count_if(failing_.begin(), failing_.end(),
                                          [this](const auto& name) { return sources_.count(name); }));
}

std::optional<WallTime> Pipeline::next_due() const {
    const auto next = due_.next_time();
    if (!next) return std::nullopt;
    return WallTime(*next);
}

}  // namespace feedd::daemon
