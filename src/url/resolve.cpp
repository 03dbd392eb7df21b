// Relative references made absolute with uriparser (RFC 3986, section 5).
#include <algorithm>

#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"
#include "url/uri.hpp"

namespace feedd::url {

namespace {

// The length of the scheme `url` starts with (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ),
// then ':'), or 0.
std::size_t scheme_length(std::string_view url) noexcept {
    if (url.empty()) return 0;
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(url[0])) return 0;
    for (std::size_t i = 1; i < url.size() && i < 40; ++i) {
        const char c = url[i];
        if (c == ':') return i;
        if (!(alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return 0;
    }
    return 0;
}

}  // namespace

bool has_scheme(std::string_view url) noexcept {
    return scheme_length(url) > 0;
}

std::string scheme(std::string_view url) {
    return text::to_lower(url.substr(0, scheme_length(url)));
}

std::string encode_unsafe(std::string_view url) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(url.size());
    for (char c : url) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte >= 0x7F ||
            std::string_view("\"<>\\^`{|}").find(c) != std::string_view::npos) {
            out += '%';
            out += hex[byte >> 4];
            out += hex[byte & 0xF];
        } else {
            out += c;
        }
    }
    return out;
}

std::string normalise_escapes(std::string_view url) {
    const std::string encoded = encode_unsafe(url);
    std::string out;
    out.reserve(encoded.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        const int high =
            encoded[i] == '%' && i + 2 < encoded.size() ? text::hex_digit_value(encoded[i + 1]) : -1;
        const int low = high >= 0 ? text::hex_digit_value(encoded[i + 2]) : -1;
        if (low < 0) {
            out += encoded[i];
            continue;
        }
        const char c = static_cast<char>(high * 16 + low);
        if (text::is_ascii_alpha(c) || text::is_ascii_digit(c) || c == '-' || c == '.' || c == '_' ||
            c == '~') {
            out += c;
        } else {
            out += '%';
            out += text::ascii_upper(encoded[i + 1]);
            out += text::ascii_upper(encoded[i + 2]);
        }
        i += 2;
    }
    return out;
}

namespace {

using detail::ParsedUri;

using text::find_any;

// The common relative references, resolved without a full parse: "/path" and "name/path" with
// no dot segments, "//host/path". What these give is exactly RFC 3986's merge; anything else
// goes to uriparser.
bool resolve_simple(std::string_view base, std::string_view reference, std::string& out) {
    const auto scheme_end = base.find("://");
    if (scheme_end == std::string_view::npos) return false;
    out.reserve(base.size() + reference.size());
    if (find_any(reference, " \\") != std::string_view::npos) return false;
    if (reference.starts_with("//")) {
        out.assign(base.substr(0, scheme_end + 1));
        out.append(reference);
        return true;
    }
    const char first = reference.front();
    if (first == '.' || first == '?' || first == '#') return false;
    const std::size_t path_end = std::min(find_any(reference, "?#"), reference.size());
    const std::string_view path = reference.substr(0, path_end);
    if (path.find("./") != std::string_view::npos || path.ends_with("/.") || path.ends_with("/.."))
        return false;
    const std::size_t authority_end = find_any(base, "/?#", scheme_end + 3);
    const std::string_view origin =
        base.substr(0, authority_end == std::string_view::npos ? base.size() : authority_end);
    if (first == '/') {
        out.assign(origin);
        out.append(reference);
        return true;
    }
    // Relative path: the base up to its last '/', before any query or fragment.
    std::string_view base_path = base.substr(origin.size());
    base_path = base_path.substr(0, std::min(find_any(base_path, "?#"), base_path.size()));
    const std::size_t slash = base_path.rfind('/');
    out.assign(origin);
    if (slash == std::string_view::npos)
        out.push_back('/');
    else
        out.append(base_path.substr(0, slash + 1));
    out.append(reference);
    return true;
}

}  // namespace

std::string resolve(std::string_view base, std::string_view reference) {
    reference = text::trim_controls(reference);
    if (reference.empty() || has_scheme(reference)) return std::string(reference);
    base = text::trim_controls(base);
    if (base.empty() || !has_scheme(base)) return std::string(reference);
    std::string out;
    if (resolve_simple(base, reference, out)) return out;
    ParsedUri base_uri, relative, result;
    if (!base_uri.parse(base) || !relative.parse(reference)) return std::string(reference);
    result.adopt();  // uriparser leaves a zeroed or filled result; freeing either is safe
    if (uriAddBaseUriA(result.get(), relative.get(), base_uri.get()) != URI_SUCCESS)
        return std::string(reference);
    int length = 0;
    if (uriToStringCharsRequiredA(result.get(), &length) != URI_SUCCESS) return std::string(reference);
    out.assign(static_cast<std::size_t>(length) + 1, '\0');
    if (uriToStringA(out.data(), result.get(), length + 1, nullptr) != URI_SUCCESS)
        return std::string(reference);
    out.resize(static_cast<std::size_t>(length));
    return out;
}

}  // namespace feedd::url
