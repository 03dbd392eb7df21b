// UTF-8 validation: the one rule (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF) in two speeds, a sequence at a time and a DFA for whole documents.
#include <array>
#include <cstdint>
#include <cstring>

#include "feedd/text/text.hpp"

namespace feedd::text {

std::size_t utf8_sequence_length(std::string_view text) noexcept {
    if (text.empty()) return 0;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t left = text.size();
    const unsigned char c = p[0];
    if (c < 0x80) return 1;
    auto cont = [&](std::size_t i) { return i < left && (p[i] & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && p[1] < 0xA0) return 0;  // overlong
        if (c == 0xED && p[1] > 0x9F) return 0;  // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && p[1] < 0x90) return 0;
        if (c == 0xF4 && p[1] > 0x8F) return 0;
        return 4;
    }
    return 0;
}

namespace {

// Where the first invalid byte is, one sequence at a time: the slow path once a fault is known.
std::size_t locate_invalid_utf8(const unsigned char* p, std::size_t n) noexcept {
    std::size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length({reinterpret_cast<const char*>(p + i), n - i});
        if (length == 0) return i;
        i += length;
    }
    return std::string_view::npos;
}

// UTF-8 (RFC 3629) as a DFA whose transitions are packed into one 64-bit row per byte: the next
// state is (row >> state) & 63, with states numbered in steps of 6 bits. No branches per byte,
// so text dense in non-ASCII characters validates at a steady rate.
enum Utf8State : unsigned {
    kAccept = 0,
    kError = 6,
    kOneMore = 12,
    kTwoMore = 18,
    kAfterE0 = 24,
    kAfterED = 30,
    kThreeMore = 36,
    kAfterF0 = 42,
    kAfterF4 = 48
};

constexpr std::uint64_t transition(unsigned from, unsigned to) {
    return static_cast<std::uint64_t>(to) << from;
}

constexpr std::array<std::uint64_t, 256> make_utf8_table() {
    std::array<std::uint64_t, 256> table{};
    const unsigned states[] = {kAccept,  kError,     kOneMore, kTwoMore, kAfterE0,
                               kAfterED, kThreeMore, kAfterF0, kAfterF4};
    for (unsigned byte = 0; byte < 256; ++byte) {
        std::uint64_t row = 0;
        for (unsigned state : states) {
            unsigned next = kError;
            if (state == kAccept) {
                if (byte < 0x80)
                    next = kAccept;
                else if (byte >= 0xC2 && byte <= 0xDF)
                    next = kOneMore;
                else if (byte == 0xE0)
                    next = kAfterE0;
                else if (byte == 0xED)
                    next = kAfterED;
                else if (byte >= 0xE1 && byte <= 0xEF)
                    next = kTwoMore;
                else if (byte == 0xF0)
                    next = kAfterF0;
                else if (byte >= 0xF1 && byte <= 0xF3)
                    next = kThreeMore;
                else if (byte == 0xF4)
                    next = kAfterF4;
            } else if (state != kError) {
                const bool low = byte >= 0x80 && byte <= 0x8F, mid = byte >= 0x90 && byte <= 0x9F,
                           high = byte >= 0xA0 && byte <= 0xBF;
                const bool continuation = low || mid || high;
                switch (state) {
                    case kOneMore: next = continuation ? kAccept : kError; break;
                    case kTwoMore: next = continuation ? kOneMore : kError; break;
                    case kAfterE0: next = high ? kOneMore : kError; break;
                    case kAfterED: next = (low || mid) ? kOneMore : kError; break;
                    case kThreeMore: next = continuation ? kTwoMore : kError; break;
                    case kAfterF0: next = (mid || high) ? kTwoMore : kError; break;
                    case kAfterF4: next = low ? kTwoMore : kError; break;
                    default: break;
                }
            }
            row |= transition(state, next);
        }
        table[byte] = row;
    }
    return table;
}

constexpr auto kUtf8Table = make_utf8_table();

}  // namespace

namespace {

constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;

bool ascii_block(const unsigned char* p) {
    std::uint64_t a, b, c, d;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + 8, 8);
    std::memcpy(&c, p + 16, 8);
    std::memcpy(&d, p + 24, 8);
    return !((a | b | c | d) & kHighBits);
}

// One DFA step. The shift count is taken modulo 64, as x86's shift instructions do anyway, so
// the state needs no mask inside the loop: the chain from byte to byte is a single shift.
inline std::uint64_t step(std::uint64_t state, unsigned char byte) {
    return kUtf8Table[byte] >> (state & 63);
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    // The DFA is a chain of dependent steps; two halves of the text validated in lockstep keep
    // two chains in flight. The second half starts on a character boundary. Blocks of 32 bytes
    // that are ASCII between whole characters are skipped.
    std::size_t mid = (n / 2) & ~std::size_t{31};
    while (mid > 0 && mid < n && (p[mid] & 0xC0) == 0x80) --mid;
    const std::size_t blocks = std::min(mid / 32, (n - mid) / 32);
    const unsigned char* q = p + mid;
    std::uint64_t first = kAccept, second = kAccept;
    for (std::size_t b = 0; b < blocks; ++b, p += 32, q += 32) {
        const bool skip_first = (first & 63) == kAccept && ascii_block(p);
        const bool skip_second = (second & 63) == kAccept && ascii_block(q);
        if (skip_first && skip_second) continue;
        if (skip_first) {
            for (std::size_t k = 0; k < 32; ++k) second = step(second, q[k]);
        } else if (skip_second) {
            for (std::size_t k = 0; k < 32; ++k) first = step(first, p[k]);
        } else {
            for (std::size_t k = 0; k < 32; ++k) {
                first = step(first, p[k]);
                second = step(second, q[k]);
            }
        }
        if ((first & 63) == kError || (second & 63) == kError) break;
    }
    const auto* begin = reinterpret_cast<const unsigned char*>(text.data());
    if ((first & 63) == kError || (second & 63) == kError) return locate_invalid_utf8(begin, n);
    for (const unsigned char* end = begin + mid; p < end; ++p) first = step(first, *p);
    if ((first & 63) != kAccept) return locate_invalid_utf8(begin, n);
    for (const unsigned char* end = begin + n; q < end; ++q) second = step(second, *q);
    return (second & 63) == kAccept ? std::string_view::npos : locate_invalid_utf8(begin, n);
}

}  // namespace feedd::text
