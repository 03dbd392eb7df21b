// Dates in the forms feeds write them, to UTC; unreadable ones are absent, never "now".
#include <doctest/doctest.h>

#include "parse/internal.hpp"

using feedd::parse::detail::parse_date;

namespace {
std::string utc(std::string_view text) {
    const auto t = parse_date(text);
    return t ? feedd::format_utc(*t) : "null";
}
}  // namespace

TEST_CASE("RFC 822 and 2822 with their variants") {
    CHECK(utc("Fri, 23 Aug 2024 13:52:31 +0800") == "2024-08-23T05:52:31Z");
    CHECK(utc("Thu, 22 Aug 2024 09:15:00 GMT") == "2024-08-22T09:15:00Z");
    CHECK(utc("23 Aug 2024 13:52:31 +0800") == "2024-08-23T05:52:31Z");       // no day name
    CHECK(utc("Mon, 23 Aug 2024 13:52:31 +0800") == "2024-08-23T05:52:31Z");  // wrong day name
    CHECK(utc("Fri, 23 Aug 2024 13:52 EDT") == "2024-08-23T17:52:00Z");       // no seconds, named zone
    CHECK(utc("Fri, 23 Aug 24 13:52:31 PST") == "2024-08-23T21:52:31Z");      // two-digit year
    CHECK(utc("Sat, 01 Jan 99 00:00:00 GMT") == "1999-01-01T00:00:00Z");
    CHECK(utc("Fri, 23 Aug 2024 13:52:31 Z") == "2024-08-23T13:52:31Z");
    CHECK(utc("Fri, 23 Aug 2024 13:52:31 A") == "2024-08-23T12:52:31Z");  // military zone
    CHECK(utc("Fri, 23 August 2024 13:52:31 +05:30") == "2024-08-23T08:22:31Z");
    CHECK(utc("Friday, 23-Aug-24 13:52:31 GMT") == "2024-08-23T13:52:31Z");  // RFC 850
    CHECK(utc("Fri Aug 23 13:52:31 2024") == "2024-08-23T13:52:31Z");        // asctime
    CHECK(utc("Aug 23, 2024 1:52 PM") == "2024-08-23T13:52:00Z");
    CHECK(utc("23 Aug 2024") == "2024-08-23T00:00:00Z");
    CHECK(utc("Fri,23 Aug 2024 13:52:31 -0000") == "2024-08-23T13:52:31Z");
    CHECK(utc("Fri, 23 Aug 2024 13:52:31 GMT+8") == "2024-08-23T05:52:31Z");
    CHECK(utc("Fri, 23 Aug 2024 13:52:31 +0800 (CST)") == "2024-08-23T05:52:31Z");
}

TEST_CASE("ISO 8601, RFC 3339 and W3CDTF, also partial") {
    CHECK(utc("2024-08-23T05:52:31Z") == "2024-08-23T05:52:31Z");
    CHECK(utc("2024-08-23T10:00:00+08:00") == "2024-08-23T02:00:00Z");
    CHECK(utc("2024-08-23T05:52:31.123456-05:00") == "2024-08-23T10:52:31Z");
    CHECK(utc("2024-08-23 05:52:31") == "2024-08-23T05:52:31Z");  // no zone: UTC
    CHECK(utc("2024-08-23T05:52Z") == "2024-08-23T05:52:00Z");
    CHECK(utc("2024-08-23") == "2024-08-23T00:00:00Z");
    CHECK(utc("2024-08") == "2024-08-01T00:00:00Z");
    CHECK(utc("2024") == "2024-01-01T00:00:00Z");
    CHECK(utc("20240823T055231Z") == "2024-08-23T05:52:31Z");
    CHECK(utc("2024-08-23T05:52:31+0800") == "2024-08-22T21:52:31Z");
    CHECK(utc("2024-08-23T05:52:31 UTC") == "2024-08-23T05:52:31Z");
    CHECK(utc("  2024-08-23T05:52:31z \n") == "2024-08-23T05:52:31Z");
    CHECK(utc("2024-12-31T24:00:00Z") == "2025-01-01T00:00:00Z");
    CHECK(utc("2016-12-31T23:59:60Z") == "2016-12-31T23:59:59Z");  // leap second
}

TEST_CASE("what cannot be read is absent") {
    for (const char* text : {"", "   ", "yesterday", "now", "2024-13-01", "2024-02-30T00:00:00Z",
                             "32 Aug 2024", "Fri, 23 Foo 2024 13:52:31 GMT", "23/08/2024",
                             "0000-00-00 00:00:00", "Aug 2024 25:61", "2024-08-23T05:52:31 Mars"}) {
        CAPTURE(text);
        CHECK_FALSE(parse_date(text).has_value());
    }
}
