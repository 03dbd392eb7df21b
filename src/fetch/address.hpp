// The private-network guard's address classification. Internal to the fetch module; tested
// directly because the guard is only as good as this table.
#pragma once

#include <string>
#include <string_view>

struct sockaddr;

namespace feedd::fetch::detail {

// True for addresses a feed must not reach with allow_private_networks = false: every entry of
// the IANA IPv4 and IPv6 special-purpose registries that is not globally reachable (unspecified,
// loopback, RFC 1918 private, CGNAT, link-local, ULA, Teredo and the rest of 2001::/23, local-use
// NAT64, documentation, benchmarking, …), multicast and broadcast, and IPv4 embedded in IPv6
// (mapped, NAT64 64:ff9b::/96, 6to4) when the embedded address is one of those.
bool is_internal_address(const sockaddr* address) noexcept;

// The same for a numeric address in text ("10.0.0.1", "::1"); false when `text` is no address.
bool is_internal_address(std::string_view text) noexcept;

// "192.0.2.1" / "2001:db8::1"; "" for other families.
std::string address_to_string(const sockaddr* address);

}  // namespace feedd::fetch::detail
