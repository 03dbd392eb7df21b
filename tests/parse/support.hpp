// Helpers the parse tests share.
#pragma once

#include <string>

#include "feedd/parse/parse.hpp"
#include "support/fixtures.hpp"

namespace feedd::test {

inline ParsedFeed parse_fixture(const std::string& name, parse::ParseOptions options = {}) {
    return parse::parse_feed(read_fixture("feeds/" + name), options);
}

// The link without tracking parameters (utm_*, fbclid, gclid, mc_cid, mc_eid), as the store
// compares links.
inline std::string without_tracking(const std::string& url) {
    const auto question = url.find('?');
    if (question == std::string::npos) return url;
    std::string kept;
    std::size_t start = question + 1;
    while (start <= url.size()) {
        std::size_t end = url.find('&', start);
        if (end == std::string::npos) end = url.size();
        const std::string parameter = url.substr(start, end - start);
        const std::string key = parameter.substr(0, parameter.find('='));
        if (!key.empty() && !key.starts_with("utm_") && key != "fbclid" && key != "gclid" &&
            key != "mc_cid" && key != "mc_eid")
            kept += (kept.empty() ? "" : "&") + parameter;
        start = end + 1;
    }
    return url.substr(0, question) + (kept.empty() ? "" : "?" + kept);
}

}  // namespace feedd::test
