// Full text (docs/ARCHITECTURE.md, "Full text"): which articles' pages the daemon fetches, the
// request for a page, and what one fetch of a page becomes in the archive. The pipeline queues and
// gates the fetches; `feedd fetch-page` runs the same steps for one article at once.
#pragma once

#include <string>
#include <string_view>

#include "feedd/config/config.hpp"
#include "feedd/model/model.hpp"
#include "feedd/parse/parse.hpp"
#include "feedd/store/store.hpp"

namespace feedd::daemon {

// The feed's `full_text`, else the global one.
[[nodiscard]] FullText full_text_mode(const FeedSource& feed, const config::Settings& settings);
// Whether a new article whose fullest entry has `text` and `link` wants its page fetched: always,
// or (auto) when its own text has fewer than full_text_short_words words. Never without an
// http(s) link.
[[nodiscard]] bool wants_page(FullText mode, std::string_view text, std::string_view link);
// Writer thread, after a poll was written: asks for the pages its articles want (new ones, and
// existing ones it joined; an article already asked for is not asked again). Returns how many
// were asked for.
std::size_t request_pages(store::Archive& archive, FullText mode, const std::vector<std::int64_t>& articles,
                          TimePoint now);

// A request for a page that is not a feed (an article's page, robots.txt, `feedd extract URL`):
// the configured user agent, proxy, timeout, body cap and private-network guard; no feed's
// credentials or headers.
[[nodiscard]] FetchRequest page_request(const std::string& url, const config::Settings& settings);

// What one fetch of an article's page gives: the archive's record (extraction, or failure and
// retry) and the log's line about it.
struct PageOutcome {
    store::PageFetch fetch;
    std::string line;  // "page 12 https://…: 640 words by heuristic; refetched after 2026-12-07…"
    bool failed = false;
    std::size_t words = 0;
};
// `result` is the fetch of task.url; the extraction uses the [[site]] rules `sites`.
[[nodiscard]] PageOutcome page_outcome(const store::PageTask& task, FetchResult result,
                                       const config::Settings& settings, const std::vector<SiteRule>& sites,
                                       TimePoint now);
// A page not fetched because of robots.txt, with `reason`. `disallowed` (its rules forbid the
// path): asked again on the refetch schedule, not counted as a failure. Otherwise (robots.txt
// could not be read): a failure, retried with backoff like one.
[[nodiscard]] PageOutcome page_refused(const store::PageTask& task, const std::string& reason,
                                       bool disallowed, const config::Settings& settings, TimePoint now);
// A page that failed because our network is down (`error`: the fetch's, or why robots.txt could
// not be read), during an outage (docs/ARCHITECTURE.md, "Offline, asleep, and clocks that jump"):
// not the page's failure. Its count and backoff stay as they were, the error carries the offline
// note, and it is tried again soon (schedule::outage_due), as a feed would be.
[[nodiscard]] PageOutcome page_offline(const store::PageTask& task, const std::string& error, long status,
                                       TimePoint since, const config::Settings& settings, TimePoint now,
                                       double jitter);
// "page of article 12 (https://…)": how the log names a page.
[[nodiscard]] std::string page_name(const store::PageTask& task);

// robots.txt of a page's site (RFC 9309), as the last fetch of it said: its rules after a 2xx;
// everything allowed after a 4xx other than 429 (there is none); everything disallowed, for now,
// after a 5xx, a 429 or no answer. Kept until `expires` (24 hours; 15 minutes when unreachable).
struct Robots {
    parse::RobotsRules rules;
    bool unreachable = false;
    bool network = false;  // unreachable at the network level (DNS, connect, timeout, reset)
    bool offline = false;  // unreachable because our network was down: its pages are not failing
    std::string why;       // of unreachable: "HTTP 503", the fetch's error
    TimePoint expires{};
};
// "https://host:port/robots.txt" of a page URL; empty when the URL has no host.
[[nodiscard]] std::string robots_url(std::string_view page_url);
// The product token feedd's User-agent group is found by: the configured user agent's, else "feedd".
[[nodiscard]] std::string robots_agent(const config::Settings& settings);
[[nodiscard]] Robots robots_from(const FetchResult& result, const config::Settings& settings, TimePoint now);
// Why robots.txt keeps feedd from `page_url` ("robots.txt of https://h disallows /p (Disallow: /p)");
// empty when it may be fetched.
[[nodiscard]] std::string robots_refusal(const Robots& robots, std::string_view page_url);

}  // namespace feedd::daemon
