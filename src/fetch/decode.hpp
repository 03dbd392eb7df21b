// A response body decoded as its Content-Encoding says, by feedd rather than by curl: curl's
// decoders are zlib's streaming inflate in 16 KiB steps, and a whole gzip body decoded at once by
// libdeflate costs about a third of that (zlib was 13 % of a 10 %-changed poll's CPU).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace feedd::fetch::detail {

// What curl offers in Accept-Encoding: the codings decode_body reads, and no other.
inline constexpr const char* offered_encodings = "gzip, deflate, br, zstd";

struct Decoded {
    enum class Error { none, too_large, bad };
    Error error = Error::none;
    std::string message;  // for bad: which coding failed and how
};

// Decodes `body` in place, the codings of `content_encoding` ("gzip", "br", "gzip, br": applied
// in the order listed, so undone last to first; "identity", "" and an empty body change nothing).
// The decoded body may hold at most `limit` bytes: past it the result is too_large. Corrupt or
// truncated data is bad; after an error the body is not the server's. A coding this does not
// know passes the body through unchanged: in the wild such a value is a server's mistake
// ("Content-Encoding: utf-8"), not a compression, and the parser tells a document it cannot read
// (curl refused the whole response, as browsers other than Firefox do).
Decoded decode_body(std::string& body, std::string_view content_encoding, std::int64_t limit);

}  // namespace feedd::fetch::detail
