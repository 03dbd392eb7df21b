#include <boost/asio/io_context.hpp>

#include "daemon/full_text.hpp"
#include "daemon/pipeline.hpp"
#include "feedd/daemon/daemon.hpp"
#include "feedd/parse/parse.hpp"
#include "feedd/url/url.hpp"

namespace feedd::daemon {
namespace {

// Where sites commonly serve their feed when the page advertises none.
constexpr const char* kUsualPaths[] = {"/feed",      "/rss.xml",  "/atom.xml",
                                       "/index.xml", "/feed.xml", "/rss",
                                       "/atom",      "/feed/",    "/feeds/posts/default",
                                       "/index.rss", "/feed.json"};

// Fetches all `urls` at once on one event loop; results in the same order.
std::vector<FetchResult> fetch_all(const std::vector<std::string>& urls, const config::Settings& settings) {
    boost::asio::io_context io;
    std::vector<FetchResult> results(urls.size());
    {
        fetch::Fetcher fetcher(io);
        for (std::size_t i = 0; i < urls.size(); ++i) {
            fetcher.fetch(page_request(urls[i], settings),
                          [&results, i](FetchResult result) noexcept { results[i] = std::move(result); });
        }
        io.run();
    }
    return results;
}

}  // namespace

FetchResult fetch_page(const std::string& url, const config::Settings& settings) {
    return fetch_all({url}, settings).front();
}

Discovery discover(const std::string& url, const config::Settings& settings) {
    Discovery discovery;
    auto first = fetch_all({url}, settings).front();
    if (!first.ok()) {
        discovery.error =
            first.error_message.empty() ? "HTTP " + std::to_string(first.status) : first.error_message;
        return discovery;
    }
    const auto final_url = first.final_url.empty() ? url : first.final_url;
    const auto parsed = parse::parse_feed(first.body, {final_url, first.content_type});
    if (parsed.is_feed) {
        discovery.is_feed = true;
        discovery.feed_url = url;
        discovery.feed_title = parsed.title;
        return discovery;
    }
    discovery.candidates = parsed.advertised;
    if (!discovery.candidates.empty()) return discovery;

    std::vector<std::string> guesses;
    for (const char* path : kUsualPaths) guesses.push_back(url::resolve(final_url, path));
    const auto results = fetch_all(guesses, settings);
    for (std::size_t i = 0; i < guesses.size(); ++i) {
        if (!results[i].ok()) continue;
        const auto guess = parse::parse_feed(results[i].body, {guesses[i], results[i].content_type});
        if (!guess.is_feed) continue;
        const auto& found = results[i].final_url.empty() ? guesses[i] : results[i].final_url;
        const bool duplicate = std::any_of(discovery.candidates.begin(), discovery.candidates.end(),
                                           [&](const FeedLink& link) { return link.url == found; });
        if (!duplicate) discovery.candidates.push_back({found, to_string(guess.format), guess.title});
    }
    if (discovery.candidates.empty()) {
        discovery.error =
            "no feed there: the page advertises none and none of the usual paths (/feed, /rss.xml, "
            "/atom.xml, /index.xml, ...) serves one";
    }
    return discovery;
}

}  // namespace feedd::daemon
