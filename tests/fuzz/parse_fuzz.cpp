// libFuzzer target: any bytes, any declared content type, must parse without a crash, a hang or a
// sanitizer report, and always serialise to valid JSON.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feedd/parse/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    static const char* const content_types[] = {"", "application/rss+xml", "text/xml; charset=iso-8859-1",
                                                "application/json", "text/html; charset=shift_jis"};
    feedd::parse::ParseOptions options;
    options.base_url = "https://example.org/feeds/";
    options.content_type = content_types[size % 5];
    const auto feed = feedd::parse::parse_feed(bytes, options);
    (void)feedd::parse::to_json(feed);
    (void)feedd::parse::discover_feed_links(bytes, options.base_url);
    return 0;
}
