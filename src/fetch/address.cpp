#include "fetch/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace feedd::fetch::detail {
namespace {

bool internal_v4(std::uint32_t a) noexcept {
    struct Range {
        std::uint32_t network;
        int prefix;
    };
    static constexpr std::array<Range, 16> ranges{{
        {0x00000000, 8},   // "this" network, unspecified
        {0x0A000000, 8},   // private
        {0x64400000, 10},  // CGNAT
        {0x7F000000, 8},   // loopback
        {0xA9FE0000, 16},  // link-local (cloud metadata lives here)
        {0xAC100000, 12},  // private
        {0xC0000000, 24},  // IETF protocol assignments
        {0xC0000200, 24},  // TEST-NET-1
        {0xC0586300, 24},  // 6to4 relay anycast
        {0xC0A80000, 16},  // private
        {0xC6120000, 15},  // benchmarking
        {0xC6336400, 24},  // TEST-NET-2
        {0xCB007100, 24},  // TEST-NET-3
        {0xE0000000, 4},   // multicast
        {0xF0000000, 4},   // reserved, broadcast
        {0xFFFFFFFF, 32},  // broadcast
    }};
    for (const auto& range : ranges) {
        const std::uint32_t mask = range.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - range.prefix);
        if ((a & mask) == range.network) return true;
    }
    return false;
}

std::uint32_t v4_at(const unsigned char* bytes) noexcept {
    return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 | std::uint32_t{bytes[2]} << 8 |
           std::uint32_t{bytes[3]};
}

// True when the first `prefix` bits of `b` equal those of `network`.
bool in_prefix(const unsigned char* b, const std::array<unsigned char, 16>& network, int prefix) noexcept {
    const int whole = prefix / 8;
    if (std::memcmp(b, network.data(), static_cast<std::size_t>(whole)) != 0) return false;
    const int rest = prefix % 8;
    if (rest == 0) return true;
    const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (b[whole] & mask) == (network[static_cast<std::size_t>(whole)] & mask);
}

// The IANA IPv6 Special-Purpose Address Registry, every entry that is not globally reachable,
// plus the deprecated site-local and IPv4-compatible ranges. Prefixes that embed an IPv4 address
// reachable through them (NAT64 64:ff9b::/96, 6to4 2002::/16, and IPv4-mapped ::ffff:0:0/96,
// which the kernel connects to over IPv4) are judged by that address before the table is read.
bool internal_v6(const unsigned char* b) noexcept {
    struct Range {
        std::array<unsigned char, 16> network;
        int prefix;
    };
    static constexpr std::array<Range, 15> ranges{{
        {{}, 128},                                                // :: unspecified
        {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128},  // ::1 loopback
        {{}, 96},                                                 // ::/96 IPv4-compatible (deprecated)
        {{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0}, 96},         // ::ffff:0:0:0/96 IPv4-translated
        {{0, 0x64, 0xff, 0x9b, 0, 1}, 48},                        // 64:ff9b:1::/48 local-use NAT64
        {{0x01, 0x00}, 64},                                       // 100::/64 discard-only
        {{0x01, 0x00, 0, 0, 0, 0, 0, 1}, 64},                     // 100:0:0:1::/64 dummy prefix
        // 2001::/23 IETF protocol assignments, whole: Teredo 2001::/32, benchmarking 2001:2::/48,
        // ORCHID. Its few global entries are anycast services and identifiers, never a feed.
        {{0x20, 0x01, 0x00, 0x00}, 23},
        {{0x20, 0x01, 0x0d, 0xb8}, 32},  // 2001:db8::/32 documentation
        {{0x3f, 0xff}, 20},              // 3fff::/20 documentation
        {{0x5f, 0x00}, 16},              // 5f00::/16 segment routing SIDs
        {{0xfc}, 7},                     // fc00::/7 unique local
        {{0xfe, 0x80}, 10},              // fe80::/10 link-local
        {{0xfe, 0xc0}, 10},              // fec0::/10 site-local (deprecated)
        {{0xff}, 8},                     // ff00::/8 multicast
    }};
    // IPv4 embedded in a prefix that reaches the IPv4 internet: judged by the embedded address.
    static constexpr std::array<unsigned char, 16> nat64{0, 0x64, 0xff, 0x9b};
    if (in_prefix(b, nat64, 96)) return internal_v4(v4_at(b + 12));
    static constexpr std::array<unsigned char, 16> six_to_four{0x20, 0x02};
    if (in_prefix(b, six_to_four, 16)) return internal_v4(v4_at(b + 2));
    static constexpr std::array<unsigned char, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (in_prefix(b, mapped, 96)) return internal_v4(v4_at(b + 12));  // what the kernel connects to
    for (const auto& range : ranges) {
        if (in_prefix(b, range.network, range.prefix)) return true;
    }
    return false;
}

}  // namespace

bool is_internal_address(const sockaddr* address) noexcept {
    if (address == nullptr) return true;
    if (address->sa_family == AF_INET) {
        sockaddr_in v4;
        std::memcpy(&v4, address, sizeof v4);
        return internal_v4(ntohl(v4.sin_addr.s_addr));
    }
    if (address->sa_family == AF_INET6) {
        sockaddr_in6 v6;
        std::memcpy(&v6, address, sizeof v6);
        return internal_v6(v6.sin6_addr.s6_addr);
    }
    return true;  // unix sockets and anything else are not the public internet
}

bool is_internal_address(std::string_view text) noexcept {
    char buffer[INET6_ADDRSTRLEN + 1];
    if (text.size() >= sizeof buffer) return false;
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';
    in_addr v4;
    if (inet_pton(AF_INET, buffer, &v4) == 1) return internal_v4(ntohl(v4.s_addr));
    in6_addr v6;
    if (inet_pton(AF_INET6, buffer, &v6) == 1) return internal_v6(v6.s6_addr);
    return false;
}

std::string address_to_string(const sockaddr* address) {
    char buffer[INET6_ADDRSTRLEN] = {};
    if (address == nullptr) return {};
    if (address->sa_family == AF_INET) {
        sockaddr_in v4;
        std::memcpy(&v4, address, sizeof v4);
        inet_ntop(AF_INET, &v4.sin_addr, buffer, sizeof buffer);
    } else if (address->sa_family == AF_INET6) {
        sockaddr_in6 v6;
        std::memcpy(&v6, address, sizeof v6);
        inet_ntop(AF_INET6, &v6.sin6_addr, buffer, sizeof buffer);
    }
    return buffer;
}

}  // namespace feedd::fetch::detail
