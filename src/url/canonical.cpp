// Canonical links (docs/ARCHITECTURE.md "Identity and deduplication"), with uriparser doing the RFC 3986
// work (syntax normalisation: case of scheme and host, percent-encoding, dot segments).
#include <array>
#include <string>

#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"
#include "url/uri.hpp"

namespace feedd::url {
namespace {

using text::to_lower;

std::string range(const UriTextRangeA& r) {
    if (r.first == nullptr || r.afterLast == nullptr) return {};
    return std::string(r.first, r.afterLast);
}

// Parameters that say who sent the reader, not what they read.
bool is_tracking(std::string_view raw_key) {
    const std::string key = to_lower(raw_key);
    if (key.starts_with("utm_") || key.starts_with("_hs") || key.starts_with("pk_") ||
        key.starts_with("mtm_"))
        return true;
    constexpr std::array known{"fbclid",      "gclid",      "dclid",   "gbraid",     "wbraid",
                               "msclkid",     "mc_cid",     "mc_eid",  "yclid",      "igshid",
                               "twclid",      "ttclid",     "_ga",     "_gl",        "mkt_tok",
                               "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid", "s_cid"};
    for (auto name : known)
        if (key == name) return true;
    return false;
}

}  // namespace

std::string canonical_link(std::string_view url) {
    std::string text(text::trim(url, " \t\r\n"));
    if (text.empty()) return text;

    detail::ParsedUri parsed(text);
    if (!parsed.parsed() || parsed.get()->scheme.first == nullptr) return text;
    uriNormalizeSyntaxA(parsed.get());
    const auto& uri = *parsed.get();

    auto scheme = to_lower(range(uri.scheme));
    bool web = scheme == "http" || scheme == "https";
    if (!web) return text;  // only web links are merged across feeds; others stay as written

    auto host = to_lower(range(uri.hostText));
    if (uri.hostData.ip6 != nullptr || uri.hostData.ipFuture.first != nullptr) host = "[" + host + "]";
    if (host.starts_with("www.")) host = host.substr(4);
    while (!host.empty() && host.back() == '.') host.pop_back();  // "example.com." is the same host

    auto port = range(uri.portText);
    if ((scheme == "http" && port == "80") || (scheme == "https" && port == "443") || port.empty())
        port.clear();

    std::string path;
    for (auto* segment = uri.pathHead; segment != nullptr; segment = segment->next)
        path += "/" + range(segment->text);
    if (path.empty()) path = "/";

    std::string query;
    auto raw_query = range(uri.query);
    std::size_t begin = 0;
    while (begin <= raw_query.size() && !raw_query.empty()) {
        auto end = raw_query.find('&', begin);
        if (end == std::string::npos) end = raw_query.size();
        auto pair = raw_query.substr(begin, end - begin);
        auto key = pair.substr(0, pair.find('='));
        if (!pair.empty() && !is_tracking(key)) {
            if (!query.empty()) query += '&';
            query += pair;
        }
        begin = end + 1;
    }

    // http and https name the same story: the canonical form always says https.
    std::string out = "https://";
    auto userinfo = range(uri.userInfo);
    if (!userinfo.empty()) out += userinfo + "@";
    out += host;
    if (!port.empty()) out += ":" + port;
    out += path;
    if (!query.empty()) out += "?" + query;
    return out;
}

}  // namespace feedd::url
