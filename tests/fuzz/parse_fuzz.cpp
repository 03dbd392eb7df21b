// libFuzzer target: any bytes, any declared content type, must parse without a crash, a hang or a
// sanitizer report, and always serialise to valid JSON; read as an article page, likewise.
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
    // The same bytes as an article page: the extractor reads what servers send as HTML.
    const auto page = feedd::parse::extract_article(
        bytes, {options.base_url, options.content_type, {{"example.org", "//article", {"//aside"}}}});
    // A script element is never copied, whatever the page (an unknown <scriptx> may be: it runs nothing).
    for (auto at = page.html.find("<script"); at != std::string::npos;
         at = page.html.find("<script", at + 1)) {
        const char next = at + 7 < page.html.size() ? page.html[at + 7] : '>';
        if (next == '>' || next == ' ' || next == '/' || next == '\t' || next == '\n') __builtin_trap();
    }
    return 0;
}
