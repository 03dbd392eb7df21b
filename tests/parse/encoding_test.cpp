// Bytes to UTF-8: BOM, HTTP charset, XML declaration, in RFC 3023's order; bad bytes as U+FFFD.
#include <doctest/doctest.h>

#include "parse/internal.hpp"
#include "parse/support.hpp"

using feedd::test::parse_fixture;

namespace {
std::string title_of(const std::string& fixture, const std::string& content_type = "") {
    const auto feed = parse_fixture(fixture, {"", content_type});
    REQUIRE(feed.is_feed);
    return feed.title;
}
}  // namespace

TEST_CASE("legacy encodings named in the XML declaration are converted") {
    CHECK(title_of("latin1-declared.xml") == "Caf\u00e9 cr\u00e8me");
    CHECK(title_of("windows-1252-quotes.xml") == "\u201cSmart\u201d quotes \u20ac");  // labelled ISO-8859-1
    CHECK(title_of("koi8-r.xml") == "\u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440");
    CHECK(title_of("gb2312.xml") == "\u4e60\u8fd1\u5e73\u4e3b\u6301\u4f1a\u8bae");
    CHECK(title_of("big5.xml") == "\u897f\u90e8\u5927\u958b\u767c");
    CHECK(title_of("shift-jis.xml") == "\u65e5\u672c\u8a9e\u306e\u30cb\u30e5\u30fc\u30b9");
    CHECK(title_of("euc-jp.xml") == "\u65e5\u672c\u8a9e");
    CHECK(title_of("euc-kr.xml") == "\ud55c\uad6d\uc5b4 \ub274\uc2a4");
}

TEST_CASE("UTF-16 and UTF-32, with and without a byte order mark") {
    CHECK(title_of("utf16le-bom.xml") == "UTF-16 \u00e9\u4e2d");
    CHECK(title_of("utf16be-nobom.xml") == "UTF-16BE \u00e9\u4e2d");
    CHECK(title_of("utf32le-bom.xml") == "UTF-32 \u00e9\U0001F600");
    CHECK(title_of("utf8-bom.xml") == "BOM \u00e9");
}

TEST_CASE("the HTTP charset wins over the XML declaration, the BOM over both") {
    // latin1-declared.xml declares ISO-8859-1 and is; a server claiming KOI8-R is believed.
    CHECK(title_of("latin1-declared.xml", "application/rss+xml; charset=KOI8-R") != "Caf\u00e9 cr\u00e8me");
    CHECK(title_of("no-declaration-latin1.xml", "text/xml; charset=\"ISO-8859-1\"") == "Caf\u00e9");
    CHECK(title_of("utf8-bom.xml", "text/xml; charset=iso-8859-1") == "BOM \u00e9");
    const auto feed = parse_fixture("no-declaration-latin1.xml", {"", "text/xml; charset=iso-8859-1"});
    CHECK(feed.wellformed);
}

TEST_CASE("a document that is UTF-8 but says otherwise is read as UTF-8 and reported") {
    const auto feed = parse_fixture("utf8-declared-latin1.xml");
    CHECK(feed.title == "Caf\u00e9 \u4e2d");
    CHECK_FALSE(feed.wellformed);
    CHECK(feed.error.find("UTF-8") != std::string::npos);
    const auto ascii = parse_fixture("utf16-declared-but-ascii.xml");
    CHECK(ascii.title == "Plain");
    CHECK(ascii.error.find("utf-16") != std::string::npos);
}

TEST_CASE("undeclared non-UTF-8 bytes fall back to windows-1252") {
    const auto feed = parse_fixture("no-declaration-latin1.xml");
    CHECK(feed.title == "Caf\u00e9");
    CHECK(feed.error.find("windows-1252") != std::string::npos);
}

TEST_CASE("invalid bytes in a UTF-8 document become U+FFFD, one per byte, and are reported") {
    const auto feed = parse_fixture("invalid-utf8.xml");
    CHECK(feed.title == "Bad \uFFFD\uFFFD\uFFFD\uFFFD\uFFFD bytes");
    CHECK_FALSE(feed.wellformed);
    CHECK(feed.error.find("not valid UTF-8") != std::string::npos);
}

TEST_CASE("an encoding iconv does not know is reported and read as UTF-8") {
    const std::string bytes =
        "<?xml version=\"1.0\" encoding=\"x-no-such-charset\"?><rss version=\"2.0\"><channel><title>Caf\xe9"
        "</title></channel></rss>";
    const auto feed = feedd::parse::parse_feed(bytes);
    CHECK(feed.title == "Caf\uFFFD");
    CHECK(feed.error.find("x-no-such-charset") != std::string::npos);
}

TEST_CASE("the UTF-8 check finds the first bad byte wherever it is") {
    using feedd::parse::detail::find_invalid_utf8;
    const std::string filler(100, 'a');
    const std::string cjk = "\xE4\xB8\xAD\xE5\x9B\xBD";  // two 3-byte characters
    std::string long_valid;
    for (int i = 0; i < 50; ++i)
        long_valid += filler.substr(0, i % 7) + cjk + "\xD0\x9C" + "\xF0\x9F\x98\x80";
    CHECK(find_invalid_utf8(long_valid) == std::string_view::npos);
    CHECK(find_invalid_utf8("") == std::string_view::npos);
    struct Case {
        std::string bad;
        const char* why;
    };
    for (const Case& c :
         {Case{"\x80", "lone continuation"}, Case{"\xC0\xAF", "overlong"}, Case{"\xE0\x80\xAF", "overlong"},
          Case{"\xED\xA0\x80", "surrogate"}, Case{"\xF4\x90\x80\x80", "beyond U+10FFFF"},
          Case{"\xFF", "never valid"}, Case{"\xE4\xB8", "truncated"}}) {
        CAPTURE(c.why);
        for (const std::size_t at :
             {std::size_t{0}, std::size_t{5}, std::size_t{31}, std::size_t{200}, long_valid.size()}) {
            CAPTURE(at);
            // `at` falls on a character boundary: long_valid is ASCII there or ends.
            std::string text = long_valid.substr(0, at);
            while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0x80)) text.pop_back();
            const std::size_t where = text.size();
            text += c.bad;
            if (std::string_view(c.why) != "truncated") text += long_valid;
            CHECK(find_invalid_utf8(text) == where);
        }
    }
}

TEST_CASE("bytes windows-1252 leaves undefined become U+FFFD and are reported") {
    const auto feed =
        feedd::parse::parse_feed("<rss version=\"2.0\"><channel><title>\x81\x80\xff</title></channel></rss>",
                                 {"", "text/xml; charset=windows-1252"});
    CHECK(feed.title == "\uFFFD\u20AC\u00FF");
    CHECK(feed.error == "byte 35 is not valid windows-1252, replaced with U+FFFD");
}
