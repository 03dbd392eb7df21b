#include "daemon/full_text.hpp"

#include "daemon/refresh.hpp"

#include "feedd/daemon/daemon.hpp"
#include "feedd/fetch/fetch.hpp"
#include "feedd/parse/parse.hpp"
#include "feedd/schedule/schedule.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::daemon {
namespace {

std::string when(const std::optional<TimePoint>& next) {
    return next ? format_utc(*next) : std::string("never");
}

// A failed fetch (or a refusal): counted, retried with backoff, given up after a few.
PageOutcome failure(const store::PageTask& task, PageOutcome outcome, std::optional<TimePoint> retry_after,
                    const config::Settings& settings, TimePoint now) {
    auto& fetch = outcome.fetch;
    fetch.failures = task.failures + 1;
    fetch.unchanged = task.unchanged;
    fetch.next_try = schedule::page_retry(schedule_policy(settings), fetch.failures, retry_after, now);
    outcome.failed = true;
    outcome.line = page_name(task) + ": " + fetch.error +
                   (fetch.next_try ? "; retry at " + format_utc(*fetch.next_try)
                                   : "; given up after " + std::to_string(fetch.failures) + " failures");
    return outcome;
}

}  // namespace

std::string page_name(const store::PageTask& task) {
    return "page of article " + std::to_string(task.article_id) + " (" + task.url + ")";
}

FullText full_text_mode(const FeedSource& feed, const config::Settings& settings) {
    return feed.full_text.value_or(settings.full_text);
}

bool wants_page(FullText mode, std::string_view text, std::string_view link) {
    const auto scheme = url::scheme(link);
    if (scheme != "http" && scheme != "https") return false;
    switch (mode) {
        case FullText::always: return true;
        case FullText::automatic: return text::count_words(text) < full_text_short_words;
        case FullText::off: break;
    }
    return false;
}

std::size_t request_pages(store::Archive& archive, FullText mode, const std::vector<std::int64_t>& articles,
                          TimePoint now) {
    if (mode == FullText::off || articles.empty()) return 0;
    std::vector<store::PageRequest> requests;
    for (const auto id : articles) {
        const auto article = archive.article(id);
        if (!article || article->entries.empty()) continue;
        const auto& entry = article->fullest();
        if (wants_page(mode, entry.text, entry.entry.link)) requests.push_back({id, entry.entry.link});
    }
    archive.request_pages(requests, now);
    return requests.size();
}

FetchRequest page_request(const std::string& url, const config::Settings& settings) {
    FetchRequest request;
    request.url = url;
    request.user_agent = settings.user_agent.empty() ? fetch::default_user_agent() : settings.user_agent;
    request.proxy = settings.proxy;
    request.timeout = settings.timeout;
    request.connect_timeout = std::min(settings.timeout, request.connect_timeout);
    request.max_body = settings.max_body;
    request.allow_private_networks = settings.allow_private_networks;
    return request;
}

PageOutcome page_outcome(const store::PageTask& task, FetchResult result, const config::Settings& settings,
                         const std::vector<SiteRule>& sites, TimePoint now) {
    PageOutcome outcome;
    auto& fetch = outcome.fetch;
    fetch.article_id = task.article_id;
    fetch.url = task.url;
    fetch.final_url = result.final_url.empty() ? task.url : result.final_url;
    fetch.status = result.status;
    fetch.tried_at = now;
    if (!result.ok()) {
        fetch.error =
            !result.error_message.empty() ? result.error_message : "HTTP " + std::to_string(result.status);
        return failure(task, std::move(outcome), result.retry_after, settings, now);
    }
    parse::PageOptions options;
    options.url = fetch.final_url;
    options.content_type = result.content_type;
    options.rules = sites;
    auto page = parse::extract_article(result.body, options);
    if (page.words == 0) {
        fetch.error = "no article found on the page";
        return failure(task, std::move(outcome), std::nullopt, settings, now);
    }
    const bool changed = task.text_hash.empty() || text::hash_hex(page.text) != task.text_hash;
    fetch.unchanged = changed ? 0 : task.unchanged + 1;
    fetch.next_try = schedule::page_refetch(settings.refetch_pages_after, fetch.unchanged, now);
    fetch.title = std::move(page.title);
    fetch.html = std::move(page.html);
    fetch.text = std::move(page.text);
    fetch.method = std::move(page.method);
    outcome.words = page.words;
    outcome.line = page_name(task) + ": " + std::to_string(page.words) + " words by " + fetch.method +
                   (task.text_hash.empty() ? ""
                    : changed              ? " (changed)"
                                           : " (unchanged)") +
                   "; fetched again: " + when(fetch.next_try);
    if (!page.warning.empty()) outcome.line += " (" + page.warning + ")";
    return outcome;
}

PageOutcome page_offline(const store::PageTask& task, const std::string& error, long status, TimePoint since,
                         const config::Settings& settings, TimePoint now, double jitter) {
    PageOutcome outcome;
    auto& fetch = outcome.fetch;
    fetch.article_id = task.article_id;
    fetch.url = task.url;
    fetch.final_url = task.url;
    fetch.status = status;
    fetch.tried_at = now;
    fetch.error = offline_note(since) + ": " + error;
    fetch.failures = task.failures;
    fetch.unchanged = task.unchanged;
    fetch.next_try = schedule::outage_due(schedule_policy(settings), now, jitter);
    outcome.failed = true;
    outcome.line = page_name(task) + ": " + fetch.error + " (not counted against the page); retry at " +
                   format_utc(*fetch.next_try);
    return outcome;
}

PageOutcome page_refused(const store::PageTask& task, const std::string& reason, bool disallowed,
                         const config::Settings& settings, TimePoint now) {
    PageOutcome outcome;
    outcome.fetch.article_id = task.article_id;
    outcome.fetch.url = task.url;
    outcome.fetch.tried_at = now;
    outcome.fetch.error = "not fetched: " + reason;
    if (!disallowed) return failure(task, std::move(outcome), std::nullopt, settings, now);
    // The site's decision, not a failure: no backoff, no giving up; asked again when an archived
    // page would be fetched again, in case robots.txt changed by then.
    outcome.fetch.failures = task.failures;
    outcome.fetch.unchanged = task.unchanged;
    outcome.fetch.next_try = schedule::page_refetch(settings.refetch_pages_after, task.unchanged, now);
    outcome.failed = true;
    outcome.line =
        page_name(task) + ": " + outcome.fetch.error + "; asked again: " + when(outcome.fetch.next_try);
    return outcome;
}

std::string robots_url(std::string_view page_url) {
    const auto parts = url::parse(page_url);
    if (!parts || parts->host.empty()) return {};
    return parts->scheme + "://" + parts->host + (parts->port.empty() ? "" : ":" + parts->port) +
           "/robots.txt";
}

std::string robots_agent(const config::Settings& settings) {
    std::string_view agent = settings.user_agent.empty() ? std::string_view("feedd") : settings.user_agent;
    const auto end = agent.find_first_of("/ ");
    return std::string(agent.substr(0, end));
}

Robots robots_from(const FetchResult& result, const config::Settings& settings, TimePoint now) {
    using namespace std::chrono_literals;
    Robots robots;
    if (result.ok()) {
        robots.rules = parse::parse_robots(result.body, robots_agent(settings));
    } else if (result.error == FetchErrorKind::http && result.status >= 400 && result.status < 500 &&
               result.status != 429) {
        // No robots.txt (404, 403, ...): nothing is asked of crawlers.
    } else {
        robots.unreachable = true;
        robots.network = schedule::OutageDetector::network_level(result.error);
        robots.why =
            !result.error_message.empty() ? result.error_message : "HTTP " + std::to_string(result.status);
    }
    robots.expires = now + (robots.unreachable ? std::chrono::seconds(15min) : std::chrono::seconds(24h));
    return robots;
}

std::string robots_refusal(const Robots& robots, std::string_view page_url) {
    const auto at = robots_url(page_url);
    const auto origin = at.substr(0, at.size() - std::string_view("/robots.txt").size());
    if (robots.unreachable)
        return at + " could not be read (" + robots.why + "): nothing is fetched from " + origin + " for now";
    const auto parts = url::parse(page_url);
    const std::string path = parts ? (parts->path.empty() ? "/" : parts->path) + parts->query : "/";
    std::string rule;
    if (parse::robots_allow(robots.rules, path, &rule)) return {};
    return "robots.txt of " + origin + " disallows " + path + " (" + rule + ")";
}

}  // namespace feedd::daemon
