// Relative references made absolute with uriparser (RFC 3986, section 5).
#include <uriparser/Uri.h>

#include "parse/internal.hpp"

namespace feedd::parse::detail {
namespace {

// One owner per UriUriA.
class ParsedUri {
  public:
    ParsedUri() = default;
    ~ParsedUri() {
        if (parsed_) uriFreeUriMembersA(&uri_);
    }
    ParsedUri(const ParsedUri&) = delete;
    ParsedUri& operator=(const ParsedUri&) = delete;

    // uriparser points into the text, so the text lives as long as the parsed URI.
    bool parse(std::string_view text) {
        text_.assign(text);
        const char* error = nullptr;
        parsed_ = uriParseSingleUriA(&uri_, text_.c_str(), &error) == URI_SUCCESS;
        return parsed_;
    }
    UriUriA* get() { return &uri_; }
    void adopt() { parsed_ = true; }

  private:
    std::string text_;
    UriUriA uri_{};
    bool parsed_ = false;
};

std::string_view trim(std::string_view text) {
    while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
    while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
    return text;
}

}  // namespace

bool has_scheme(std::string_view url) noexcept {
    if (url.empty()) return false;
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!alpha(url[0])) return false;
    for (std::size_t i = 1; i < url.size() && i < 40; ++i) {
        const char c = url[i];
        if (c == ':') return true;
        if (!(alpha(c) || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
    }
    return false;
}

std::string resolve_url(std::string_view base, std::string_view reference) {
    reference = trim(reference);
    if (reference.empty() || has_scheme(reference)) return std::string(reference);
    base = trim(base);
    if (base.empty() || !has_scheme(base)) return std::string(reference);
    ParsedUri base_uri, relative, result;
    if (!base_uri.parse(base) || !relative.parse(reference)) return std::string(reference);
    result.adopt();  // uriparser leaves a zeroed or filled result; freeing either is safe
    if (uriAddBaseUriA(result.get(), relative.get(), base_uri.get()) != URI_SUCCESS)
        return std::string(reference);
    int length = 0;
    if (uriToStringCharsRequiredA(result.get(), &length) != URI_SUCCESS) return std::string(reference);
    std::string out(static_cast<std::size_t>(length) + 1, '\0');
    if (uriToStringA(out.data(), result.get(), length + 1, nullptr) != URI_SUCCESS)
        return std::string(reference);
    out.resize(static_cast<std::size_t>(length));
    return out;
}

}  // namespace feedd::parse::detail
