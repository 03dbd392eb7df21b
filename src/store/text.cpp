// The archive's hashes (the text forms are feedd_text's).
#include "store/text.hpp"

#include <cstdio>

namespace feedd::store::detail {

std::string hash_hex(std::string_view data) {
    // Two FNV-1a lanes with different bases, each finished by a 64-bit avalanche mix.
    std::uint64_t a = 14695981039346656037ULL, b = 0x9E3779B97F4A7C15ULL;
    for (unsigned char c : data) {
        a = (a ^ c) * 1099511628211ULL;
        b = (b ^ c) * 0x100000001B3ULL;
        b ^= b >> 29;
    }
    auto mix = [](std::uint64_t x) {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDULL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53ULL;
        x ^= x >> 33;
        return x;
    };
    char buffer[33];
    std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(mix(a)),
                  static_cast<unsigned long long>(mix(b ^ data.size())));
    return buffer;
}

std::string content_hash(std::string_view title, std::string_view published, std::string_view text) {
    std::string all = collapse_space(title);
    all += '\x1f';
    all += published;
    all += '\x1f';
    all += text;
    return hash_hex(all);
}

}  // namespace feedd::store::detail
