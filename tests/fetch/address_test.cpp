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
