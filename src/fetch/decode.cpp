#include "fetch/decode.hpp"

#include <brotli/decode.h>
#include <libdeflate.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <new>
#include <vector>

#include "feedd/text/text.hpp"

namespace feedd::fetch::detail {
namespace {

using Error = Decoded::Error;

struct FreeDeflate {
    void operator()(libdeflate_decompressor* d) const noexcept { libdeflate_free_decompressor(d); }
};
struct FreeBrotli {
    void operator()(BrotliDecoderState* s) const noexcept { BrotliDecoderDestroyInstance(s); }
};
struct FreeZstd {
    void operator()(ZSTD_DCtx* c) const noexcept { ZSTD_freeDCtx(c); }
};

// One decompressor per thread, kept: it holds 32 KiB of tables that every body would allocate.
libdeflate_decompressor& deflater() {
    thread_local std::unique_ptr<libdeflate_decompressor, FreeDeflate> kept(libdeflate_alloc_decompressor());
    if (!kept) throw std::bad_alloc();
    return *kept;
}

// The outcome of one coding undone: the decoded bytes in `out`, or why not.
struct Step {
    Error error = Error::none;
    std::string message;
};

Step bad(std::string message) {
    return {Error::bad, std::move(message)};
}

// gzip members (RFC 1952) one after another, as concatenated files are; bytes after the last
// member that do not start another are ignored, as browsers ignore them.
//
// libdeflate decodes a member whole into a buffer that must be large enough. The first guess is
// the member's own size field (its last four bytes, modulo 4 GiB; for one member, the usual case,
// exact), bounded by the limit; a buffer too small is doubled up to the limit and the member
// decoded again.
Step gunzip(std::string_view in, std::size_t limit, std::string& out) {
    auto* d = &deflater();
    std::size_t in_pos = 0, out_pos = 0;
    std::size_t capacity = 0;
    if (in.size() >= 18) {
        const auto* tail = reinterpret_cast<const unsigned char*>(in.data() + in.size() - 4);
        capacity = std::size_t{tail[0]} | std::size_t{tail[1]} << 8 | std::size_t{tail[2]} << 16 |
                   std::size_t{tail[3]} << 24;
    }
    capacity = std::min(std::max(capacity, in.size() * 4 + 1024), limit);
    out.resize(capacity);
    for (;;) {
        std::size_t consumed = 0, written = 0;
        const auto r =
            libdeflate_gzip_decompress_ex(d, in.data() + in_pos, in.size() - in_pos, out.data() + out_pos,
                                          out.size() - out_pos, &consumed, &written);
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
            if (out.size() >= limit) return {Error::too_large, {}};
            out.resize(std::min(out.size() * 2, limit));
            continue;
        }
        if (r != LIBDEFLATE_SUCCESS) {
            if (in_pos > 0) break;                          // trailing bytes after a whole member
            return bad("gzip: corrupt or truncated data");  // libdeflate does not tell them apart
        }
        in_pos += consumed;
        out_pos += written;
        if (in.size() - in_pos < 2 || static_cast<unsigned char>(in[in_pos]) != 0x1f ||
            static_cast<unsigned char>(in[in_pos + 1]) != 0x8b)
            break;
    }
    out.resize(out_pos);
    return {};
}

// "deflate" is a zlib stream (RFC 9110 8.4.1.2), though some servers send raw deflate (RFC
// 1951): curl accepts both, and so does this.
Step inflate(std::string_view in, std::size_t limit, std::string& out) {
    auto* d = &deflater();
    std::size_t capacity = std::min(in.size() * 4 + 1024, limit);
    for (bool zlib : {true, false}) {
        out.resize(capacity);
        for (;;) {
            std::size_t written = 0;
            const auto r =
                zlib ? libdeflate_zlib_decompress(d, in.data(), in.size(), out.data(), out.size(), &written)
                     : libdeflate_deflate_decompress(d, in.data(), in.size(), out.data(), out.size(),
                                                     &written);
            if (r == LIBDEFLATE_SUCCESS) {
                out.resize(written);
                return {};
            }
            if (r != LIBDEFLATE_INSUFFICIENT_SPACE) break;
            if (out.size() >= limit) return {Error::too_large, {}};
            out.resize(std::min(out.size() * 2, limit));
        }
    }
    return bad("deflate: corrupt or truncated data");
}

// Streaming decoders (brotli, zstd) write into `out` in growing steps, never past limit + 1
// bytes: one byte more than the limit is enough to know the body is too large.
std::size_t next_step(std::size_t have, std::size_t limit) {
    return std::min(std::max<std::size_t>(have, 64 * 1024), limit + 1 - have);
}

Step unbrotli(std::string_view in, std::size_t limit, std::string& out) {
    std::unique_ptr<BrotliDecoderState, FreeBrotli> state(
        BrotliDecoderCreateInstance(nullptr, nullptr, nullptr));
    if (!state) throw std::bad_alloc();
    auto next_in = reinterpret_cast<const std::uint8_t*>(in.data());
    std::size_t avail_in = in.size();
    std::size_t out_pos = 0;
    out.clear();
    for (;;) {
        if (out_pos > limit) return {Error::too_large, {}};
        out.resize(out_pos + next_step(out_pos, limit));
        auto next_out = reinterpret_cast<std::uint8_t*>(out.data() + out_pos);
        std::size_t avail_out = out.size() - out_pos;
        const auto r =
            BrotliDecoderDecompressStream(state.get(), &avail_in, &next_in, &avail_out, &next_out, nullptr);
        out_pos = out.size() - avail_out;
        if (r == BROTLI_DECODER_RESULT_SUCCESS) break;
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) continue;
        if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return bad("br: truncated");
        return bad(std::string("br: corrupt data (") +
                   BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state.get())) + ")");
    }
    if (out_pos > limit) return {Error::too_large, {}};
    out.resize(out_pos);
    return {};
}

Step unzstd(std::string_view in, std::size_t limit, std::string& out) {
    std::unique_ptr<ZSTD_DCtx, FreeZstd> context(ZSTD_createDCtx());
    if (!context) throw std::bad_alloc();
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    std::size_t out_pos = 0;
    std::size_t pending = 1;  // 0 once a frame is whole and flushed
    out.clear();
    while (input.pos < input.size || pending != 0) {
        if (out_pos > limit) return {Error::too_large, {}};
        out.resize(out_pos + next_step(out_pos, limit));
        ZSTD_outBuffer output{out.data(), out.size(), out_pos};
        const auto before = input.pos;
        pending = ZSTD_decompressStream(context.get(), &output, &input);
        out_pos = output.pos;
        if (ZSTD_isError(pending))
            return bad(std::string("zstd: corrupt data (") + ZSTD_getErrorName(pending) + ")");
        if (pending != 0 && input.pos == input.size && input.pos == before && output.pos < output.size)
            return bad("zstd: truncated");
    }
    if (out_pos > limit) return {Error::too_large, {}};
    out.resize(out_pos);
    return {};
}

// The codings of a Content-Encoding value, lowercased, in the order the server applied them.
std::vector<std::string> codings_of(std::string_view header) {
    std::vector<std::string> codings;
    std::size_t start = 0;
    while (start <= header.size()) {
        auto end = header.find(',', start);
        if (end == std::string_view::npos) end = header.size();
        auto coding = text::to_lower(text::trim(header.substr(start, end - start)));
        if (!coding.empty() && coding != "identity" && coding != "none") codings.push_back(std::move(coding));
        start = end + 1;
    }
    return codings;
}

}  // namespace

Decoded decode_body(std::string& body, std::string_view content_encoding, std::int64_t limit) {
    const auto codings = codings_of(content_encoding);
    if (codings.empty() || body.empty()) return {};  // a 204, a 304, a HEAD: nothing was encoded
    // curl's bound, which curl enforces itself too: more layers than that is no real server's.
    if (codings.size() > 5) return {Error::bad, "more than 5 content encodings"};
    const auto bound = static_cast<std::size_t>(std::max<std::int64_t>(limit, 0));
    std::string out;
    for (auto coding = codings.rbegin(); coding != codings.rend(); ++coding) {
        Step step;
        if (*coding == "gzip" || *coding == "x-gzip")
            step = gunzip(body, bound, out);
        else if (*coding == "deflate")
            step = inflate(body, bound, out);
        else if (*coding == "br")
            step = unbrotli(body, bound, out);
        else if (*coding == "zstd")
            step = unzstd(body, bound, out);
        else
            continue;  // not a coding at all ("utf-8", "text/html"): see decode.hpp
        if (step.error != Error::none) return {step.error, std::move(step.message)};
        body.swap(out);
    }
    return {};
}

}  // namespace feedd::fetch::detail
