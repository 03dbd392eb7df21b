// libFuzzer target: the OPML reader either returns feeds or throws OpmlError; nothing else.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feedd/opml/opml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const auto result =
            feedd::opml::import_opml(std::string_view(reinterpret_cast<const char*>(data), size));
        std::vector<feedd::opml::ExportFeed> feeds;
        for (const auto& feed : result.feeds) {
            feedd::opml::ExportFeed out;
            out.source.name = feed.title;
            out.source.url = feed.url;
            out.source.category = feed.category;
            out.source.tags = feed.tags;
            feeds.push_back(out);
        }
        (void)feedd::opml::export_opml(feeds, {});
    } catch (const feedd::opml::OpmlError&) {
    }
    return 0;
}
