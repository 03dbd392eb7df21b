// The private-network guard's table: every internal range refused, public addresses let through.
#include <doctest/doctest.h>

#include "fetch/address.hpp"

using feedd::fetch::detail::is_internal_address;

TEST_CASE("internal IPv4 ranges are refused") {
    for (const char* address :
         {"0.0.0.0", "10.1.2.3", "100.64.0.1", "100.127.255.254", "127.0.0.1", "127.9.9.9", "169.254.169.254",
          "172.16.0.1", "172.31.255.255", "192.168.1.1", "192.0.0.8", "198.18.0.1", "224.0.0.1",
          "239.255.255.250", "240.0.0.1", "255.255.255.255"}) {
        CAPTURE(address);
        CHECK(is_internal_address(address));
    }
}

TEST_CASE("public IPv4 addresses pass, including neighbours of internal ranges") {
    for (const char* address : {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255",
                                "172.32.0.0", "192.167.255.255", "169.253.0.1", "93.184.216.34"}) {
        CAPTURE(address);
        CHECK_FALSE(is_internal_address(address));
    }
}

TEST_CASE("internal IPv6 ranges are refused, also IPv4 hidden inside IPv6") {
    for (const char* address :
         {"::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
          "64:ff9b::a9fe:a9fe", "2002:c0a8:0101::1", "2001:db8::1"}) {
        CAPTURE(address);
        CHECK(is_internal_address(address));
    }
    for (const char* address : {"2606:4700:4700::1111", "2a00:1450:4001:81c::200e", "::ffff:8.8.8.8"}) {
        CAPTURE(address);
        CHECK_FALSE(is_internal_address(address));
    }
}

TEST_CASE("text that is no address is not classified") {
    CHECK_FALSE(is_internal_address("example.com"));
}

// IANA IPv4 and IPv6 Special-Purpose Address Registries: every entry that is not globally
// reachable, each tested at its first and last address where the range is small enough to matter.
TEST_CASE("every special-purpose range that is not globally reachable is refused") {
    for (const char* address : {"0.255.255.255", "192.0.0.0", "192.0.0.170", "192.0.0.255", "192.0.2.1",
                                "192.88.99.1", "198.19.255.255", "198.51.100.7", "203.0.113.200"}) {
        CAPTURE(address);
        CHECK(is_internal_address(address));
    }
    for (const char* address : {
             "2001::1",                               // Teredo 2001::/32
             "2001:0:4136:e378:8000:63bf:3fff:fdd2",  // a Teredo address with a public server
             "2001:2::1",                             // benchmarking 2001:2::/48
             "2001:1ff:ffff::1",                      // the end of 2001::/23
             "64:ff9b:1::a00:1",                      // local-use NAT64 64:ff9b:1::/48
             "64:ff9b:1:ffff::808:808",               // even with a public IPv4 embedded
             "::ffff:0:808:808",                      // IPv4-translated ::ffff:0:0:0/96
             "::ffff:0:7f00:1",                       //
             "100::1",
             "100:0:0:1::1",  // discard-only, dummy prefix
             "3fff::1",
             "3fff:fff:ffff::1",  // documentation 3fff::/20
             "5f00::1",           // segment routing SIDs
             "fec0::1",           // site-local (deprecated)
             "::a00:1",           // IPv4-compatible (deprecated)
             "64:ff9b::10.0.0.1",
             "64:ff9b::192.168.0.1",
             "64:ff9b::127.0.0.1",  // NAT64, private inside
             "2002:7f00:1::1",      // 6to4 of loopback
         }) {
        CAPTURE(address);
        CHECK(is_internal_address(address));
    }
}

TEST_CASE("global neighbours of the special-purpose ranges pass, and NAT64 and 6to4 of a public IPv4 pass") {
    for (const char* address :
         {"2001:200::1", "2001:4860:4860::8888", "64:ff9b::8.8.8.8", "64:ff9b::5db8:d822", "2002:808:808::1",
          "3fff:1000::1", "5eff::1", "64:ff9b:2::1"}) {
        CAPTURE(address);
        CHECK_FALSE(is_internal_address(address));
    }
}
