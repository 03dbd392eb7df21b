// libFuzzer target: a response body under each Content-Encoding the fetcher reads (its first byte
// picks the header). Decoding ends decoded, too large or bad, and a decoded body never passes the
// limit.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fetch/decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static const char* const headers[] = {"gzip",     "deflate",      "br",       "zstd",
                                          "gzip, br", "x-gzip, zstd", "identity", "compress"};
    std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
    constexpr std::int64_t limit = 1 << 16;  // small, so that bombs are found within the run
    const auto decoded = feedd::fetch::detail::decode_body(body, headers[data[0] % 8], limit);
    // identity, and a coding decode_body does not know: passed through, neither decoded nor bounded
    const bool passes_identity = data[0] % 8 >= 6;
    if (decoded.error == feedd::fetch::detail::Decoded::Error::none && !passes_identity &&
        static_cast<std::int64_t>(body.size()) > limit)
        __builtin_trap();
    return 0;
}
