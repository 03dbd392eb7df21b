// The hash the archive stores and served documents are tagged with (text.hpp).
#include <cstdio>

#include "feedd/text/text.hpp"

namespace feedd::text {

std::string hash_hex(std::string_view data) {
    return Hasher().add(data).hex();
}

std::int64_t hash_key(std::string_view data) noexcept {
    return Hasher().add(data).key();
}

namespace {

// Each lane's 64-bit avalanche finish (MurmurHash3's fmix64).
std::uint64_t mix(std::uint64_t x) noexcept {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    x ^= x >> 33;
    return x;
}

}  // namespace

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
    char buffer[33];
    std::snprintf(buffer, sizeof buffer, "%016llx%016llx", static_cast<unsigned long long>(mix(a_)),
                  static_cast<unsigned long long>(mix(b_ ^ size_)));
    return buffer;
}

// The first lane alone, as hex() prints it first; the cast keeps the bits (C++20 defines it).
std::int64_t Hasher::key() const noexcept {
    return static_cast<std::int64_t>(mix(a_));
}

// Strings that cannot appear in XML 1.0 are dropped rather than written as character references
// no parser accepts.
std::string xml_safe(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (u < 0x20 && u != '\t' && u != '\n' && u != '\r') continue;
        // U+FFFE and U+FFFF: EF BF BE, EF BF BF.
        if (u == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBF &&
            (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xBE) {
            i += 2;
            continue;
        }
        out += text[i];
    }
    return out;
}

}  // namespace feedd::text
