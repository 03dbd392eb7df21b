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

bool internal_v6(const unsigned char* b) noexcept {
    static constexpr unsigned char zero[16] = {};
    if (std::memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) return true;  // :: and ::1
    if (std::memcmp(b, zero, 12) == 0) return true;  // IPv4-compatible (deprecated): refuse
    static constexpr unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, mapped, 12) == 0) return internal_v4(v4_at(b + 12));
    static constexpr unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (std::memcmp(b, nat64, 12) == 0) return internal_v4(v4_at(b + 12));
    if (b[0] == 0x20 && b[1] == 0x02) return internal_v4(v4_at(b + 2));             // 6to4
    if ((b[0] & 0xfe) == 0xfc) return true;                                         // ULA fc00::/7
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;                         // link-local fe80::/10
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return true;                         // site-local (deprecated)
    if (b[0] == 0xff) return true;                                                  // multicast
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return true;  // documentation
    if (b[0] == 0x01 && b[1] == 0x00 && std::memcmp(b + 2, zero, 6) == 0) return true;  // discard 100::/64
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
