// One owner per uriparser UriUriA, private to src/url.
#pragma once

#include <uriparser/Uri.h>

#include <string>
#include <string_view>

namespace feedd::url::detail {

class ParsedUri {
  public:
    ParsedUri() = default;
    explicit ParsedUri(std::string_view text) { parse(text); }
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
    bool parsed() const { return parsed_; }
    UriUriA* get() { return &uri_; }
    // For a result uriparser fills (uriAddBaseUriA): it leaves it zeroed or filled, and freeing
    // either is safe.
    void adopt() { parsed_ = true; }

  private:
    std::string text_;
    UriUriA uri_{};
    bool parsed_ = false;
};

}  // namespace feedd::url::detail
