// libFuzzer target: whatever HTML goes in, the sanitiser's output is made only of text and tags it
// writes itself (every '<' starts a tag, every attribute value quoted), with no script, style,
// svg, math or form element and no event handler or style attribute, every URL kept is http(s),
// mailto, tel, ftp, magnet or a raster data: image, and sanitising it again changes nothing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "feedd/html/html.hpp"

namespace {

bool starts_with_any(std::string_view value, std::initializer_list<std::string_view> prefixes) {
    for (auto prefix : prefixes)
        if (value.starts_with(prefix)) return true;
    return false;
}

void check_tag(std::string_view tag) {
    std::size_t i = tag.starts_with('/') ? 1 : 0;
    const std::size_t name_start = i;
    while (i < tag.size() && ((tag[i] >= 'a' && tag[i] <= 'z') || (tag[i] >= '0' && tag[i] <= '9'))) ++i;
    const auto name = tag.substr(name_start, i - name_start);
    if (name.empty() || name == "script" || name == "style" || name == "svg" || name == "math" ||
        name == "form" || name == "input" || name == "object" || name == "embed" || name == "base" ||
        name == "meta" || name == "link")
        std::abort();
    while (i < tag.size()) {
        if (tag[i] != ' ') std::abort();
        const std::size_t attribute_start = ++i;
        while (i < tag.size() && tag[i] != '=') ++i;
        const auto attribute = tag.substr(attribute_start, i - attribute_start);
        if (attribute.empty() || attribute.starts_with("on") || attribute == "style" ||
            attribute.find_first_of(" \"'<>/") != std::string_view::npos)
            std::abort();
        if (i + 1 >= tag.size() || tag[i + 1] != '"') std::abort();
        const std::size_t value_start = i + 2;
        const std::size_t value_end = tag.find('"', value_start);
        if (value_end == std::string_view::npos) std::abort();
        const auto value = tag.substr(value_start, value_end - value_start);
        if (attribute == "href" || attribute == "src" || attribute == "poster" || attribute == "cite" ||
            attribute == "srcset") {
            // Relative references stay only when there is no base: the target passes one.
            if (!starts_with_any(
                    value, {"https://", "http://", "mailto:", "tel:", "ftp:", "magnet:", "data:image/"}))
                std::abort();
        }
        i = value_end + 1;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view html(reinterpret_cast<const char*>(data), size);
    const std::string base = "https://example.org/dir/page.html";
    const std::string out = feedd::html::sanitize(html, base);
    for (std::size_t at = out.find('<'); at != std::string::npos; at = out.find('<', at + 1)) {
        const std::size_t end = out.find('>', at);
        if (end == std::string::npos) std::abort();
        check_tag(std::string_view(out).substr(at + 1, end - at - 1));
    }
    if (feedd::html::sanitize(out, base) != out) std::abort();
    return 0;
}
