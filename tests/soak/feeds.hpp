// The soak's population of feeds: what each one answers over time, and which items it has
// published (sent in a 200 response), so that the archive can be checked against it at the end.
#pragma once

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "support/faults.hpp"

namespace feedd::soak {

// How a feed behaves. The mix (by index % 100) is in kind_of().
enum class Kind {
    growing,     // a new item every `period`; ETag, so the polls between changes get a 304
    fixed_etag,  // never changes after the start; ETag
    fixed_date,  // never changes; Last-Modified / If-Modified-Since instead of an ETag
    hot,         // one new item with every 200 it sends; no validators, so always a 200
    editing,     // the newest item's text is rewritten every `period`, a new item every 3rd period
    flaky,       // like growing, but every 3rd request answers 500
    stalling,    // like growing, but every 4th request sends nothing until the client gives up
    broken,      // always 500 (until the final check, when every feed answers)
};

inline Kind kind_of(int index) {
    const int slot = index % 100;
    if (slot < 45) return Kind::growing;
    if (slot < 60) return Kind::fixed_etag;
    if (slot < 70) return Kind::fixed_date;
    if (slot < 85) return Kind::hot;
    if (slot < 94) return Kind::editing;
    if (slot < 97) return Kind::flaky;
    if (slot < 99) return Kind::stalling;
    return Kind::broken;
}

inline const char* kind_name(Kind kind) {
    switch (kind) {
        case Kind::growing: return "growing (ETag)";
        case Kind::fixed_etag: return "unchanged (ETag)";
        case Kind::fixed_date: return "unchanged (Last-Modified)";
        case Kind::hot: return "new item every poll";
        case Kind::editing: return "newest item edited";
        case Kind::flaky: return "every 3rd request 500";
        case Kind::stalling: return "every 4th request stalls";
        case Kind::broken: return "always 500";
    }
    return "";
}

constexpr int kInitialItems = 10;
constexpr int kWindow = 20;  // items in one response: the newest ones

// One feed. Its handler runs on the thread of the server that hosts it, and nothing else touches
// it until that server is destroyed (joining its thread), so it needs no lock; `healthy` is the
// one value that crosses threads.
class SimFeed {
  public:
    SimFeed(int index, std::chrono::steady_clock::time_point epoch, std::chrono::seconds period)
        : kind_(kind_of(index)),
          name_(make_name(index)),
          epoch_(epoch),
          period_(period),
          // Feeds with one period would all change in the same second: offset each one.
          offset_(std::chrono::milliseconds(static_cast<long>(index) * 7919 % (period.count() * 1000))) {}

    const std::string& name() const { return name_; }
    Kind kind() const { return kind_; }
    static std::string make_name(int index) {
        std::string digits = std::to_string(index);
        return "f" + std::string(digits.size() < 5 ? 5 - digits.size() : 0, '0') + digits;
    }
    static std::string title(const std::string& feed, int item) {
        return feed + " item " + std::to_string(item);
    }

    feedd::test::Response answer(const feedd::test::Request& request, bool healthy,
                                 std::atomic<long>& published) {
        using feedd::test::Response;
        ++requests_;
        if (!healthy) {
            if (kind_ == Kind::broken || (kind_ == Kind::flaky && requests_ % 3 == 0))
                return Response::with_status(500, "soak: failing on purpose");
            if (kind_ == Kind::stalling && requests_ % 4 == 0) {
                static const auto stall = feedd::test::faults::stall_before_headers();
                return stall(request);
            }
        }
        const int version = this->version();
        const int count = items(version);
        auto response = Response::text({}, "application/rss+xml");
        if (kind_ == Kind::fixed_date) {
            const std::string modified = "Mon, 01 Jan 2024 00:00:00 GMT";
            response.headers.emplace_back("Last-Modified", modified);
            if (request.header("if-modified-since") == modified) return not_modified(std::move(response));
        } else if (kind_ != Kind::hot) {
            const std::string etag = "\"" + std::to_string(count) + "-" + std::to_string(version) + "\"";
            response.headers.emplace_back("ETag", etag);
            if (request.header("if-none-match") == etag) return not_modified(std::move(response));
        }
        response.body = body(count, version);
        const int first = std::max(1, count - kWindow + 1);
        if (served_.size() < static_cast<std::size_t>(count) + 1)
            served_.resize(static_cast<std::size_t>(count) + 1);
        for (int item = first; item <= count; ++item) {
            if (!served_[static_cast<std::size_t>(item)]) {
                served_[static_cast<std::size_t>(item)] = true;
                ++published;
            }
        }
        if (kind_ == Kind::hot) ++hot_answers_;
        return response;
    }

    // Whether item `item` was ever sent in a 200. Read after the server has stopped.
    bool served(int item) const {
        return item > 0 && static_cast<std::size_t>(item) < served_.size() &&
               served_[static_cast<std::size_t>(item)];
    }
    int highest_served() const { return static_cast<int>(served_.size()) - 1; }

  private:
    static feedd::test::Response not_modified(feedd::test::Response response) {
        response.status = 304;
        response.body.clear();
        return response;
    }

    int version() const {
        if (kind_ == Kind::fixed_etag || kind_ == Kind::fixed_date || kind_ == Kind::hot) return 0;
        const auto age = std::chrono::steady_clock::now() - epoch_ + offset_;
        return static_cast<int>(age / period_);
    }

    int items(int version) const {
        switch (kind_) {
            case Kind::hot: return kInitialItems + hot_answers_;
            case Kind::editing: return kInitialItems + version / 3;
            case Kind::fixed_etag:
            case Kind::fixed_date: return kInitialItems;
            default: return kInitialItems + version;
        }
    }

    std::string body(int count, int version) const {
        std::string xml =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Soak feed " +
            name_ + "</title><link>https://soak.example/" + name_ +
            "/</link><description>One of the soak's feeds: " + kind_name(kind_) + ".</description>\n";
        for (int item = count; item >= std::max(1, count - kWindow + 1); --item) {
            const std::string link = "https://soak.example/" + name_ + "/" + std::to_string(item) + ".html";
            std::string text = "<p>" + title(name_, item) +
                               ": the archive keeps every word of it, once, in one piece, for years.</p>";
            if (kind_ == Kind::editing && item == count)
                text += "<p>Developing story, edition " + std::to_string(version) + ".</p>";
            xml += "<item><title>" + title(name_, item) + "</title><link>" + link +
                   "</link><guid isPermaLink=\"false\">" + name_ + "-" + std::to_string(item) +
                   "</guid><pubDate>" + date(item) + "</pubDate><description><![CDATA[" + text +
                   "]]></description></item>\n";
        }
        return xml + "</channel></rss>\n";
    }

    // Item n of every feed is dated n minutes after 2024-01-01.
    static std::string date(int item) {
        const time_t when = 1704067200 + static_cast<time_t>(item) * 60;
        tm parts{};
        gmtime_r(&when, &parts);
        char text[64];
        strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &parts);
        return text;
    }

    Kind kind_;
    std::string name_;
    std::chrono::steady_clock::time_point epoch_;
    std::chrono::seconds period_;
    std::chrono::milliseconds offset_;
    long requests_ = 0;
    int hot_answers_ = 0;
    std::vector<bool> served_;
};

}  // namespace feedd::soak
