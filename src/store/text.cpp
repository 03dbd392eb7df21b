// The archive's hashes (the text forms are feedd_text's).
#include "store/text.hpp"

#include <cstdio>

namespace feedd::store::detail {

std::string hash_hex(std::string_view data) {
    return Hasher().add(data).hex();
}

// Two FNV-1a lanes with different bases, each finished by a 64-bit avalanche mix.
Hasher& Hasher::add(std::string_view data) noexcept {
    std::uint64_t a = a_, b = b_;
    for (unsigned char c : data) {
        a = (a ^ c) * 1099511628211ULL;
        b = (b ^ c) * 0x100000001B3ULL;
        b ^= b >> 29;
    }
    a_ = a;
    b_ = b;
    size_ += data.size();
    return *this;
}

std::string Hasher::hex() const {
    auto mix = [](std::uint64_t x) {
        x ^= x >> 33;
        x *= 0xFF51AFD7ED558CCDULL;
        x ^= x >> 33;
        x *= 0xC4CEB9FE1A85EC53ULL;
        x ^= x >> 33;
        return x;
    };
    char buffer[33];
    std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(mix(a_)),
                  static_cast<unsigned long long>(mix(b_ ^ size_)));
    return buffer;
}

std::string content_hash(std::string_view title, std::string_view published, std::string_view text) {
    return Hasher().add(collapse_space(title)).add('\x1f').add(published).add('\x1f').add(text).hex();
}

}  // namespace feedd::store::detail
