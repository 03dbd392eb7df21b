// What the API serves of an entry's HTML: html::sanitize's result, kept between requests. A reader
// asks for the same newest entries again and again (every client's first page, every poll of a
// stream), and the sanitiser (gumbo, twice: the result is read back to check that it is stable)
// was half of the API's CPU. Keyed by a digest of the HTML and the base URL it is resolved
// against, so that an edited article, or a page fetched later, is a new key and never served stale;
// bounded in bytes, the least recently used dropped first. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace feedd::api {

class ServedHtml {
  public:
    struct Value {
        std::string html;   // html::sanitize(html, base_url)
        std::size_t words;  // text::count_words of its text: Miniflux's reading time
    };
    struct Figures {
        std::int64_t hits = 0, misses = 0;
        std::size_t entries = 0, bytes = 0;
    };

    static constexpr std::size_t default_bytes = 32 << 20;

    // `max_bytes`: what the kept values may take (their HTML plus a fixed cost per value). A value
    // over an eighth of it is made each time and not kept: one huge article does not push out
    // the pages every client reads.
    explicit ServedHtml(std::size_t max_bytes = default_bytes) : max_bytes_(max_bytes) {}

    // The sanitised form of `html` with relative URLs resolved against `base_url`.
    [[nodiscard]] std::shared_ptr<const Value> get(std::string_view html, std::string_view base_url);
    [[nodiscard]] Figures figures() const;

  private:
    struct Slot {
        std::string key;
        std::shared_ptr<const Value> value;
        std::size_t cost;
    };
    static std::size_t cost_of(const Value& value);

    const std::size_t max_bytes_;
    mutable std::mutex mutex_;
    std::list<Slot> slots_;                                                  // most recently used first
    std::unordered_map<std::string_view, std::list<Slot>::iterator> index_;  // views of Slot::key
    std::size_t bytes_ = 0;
    std::int64_t hits_ = 0, misses_ = 0;
};

}  // namespace feedd::api
