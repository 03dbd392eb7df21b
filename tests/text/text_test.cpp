// The text toolkit: HTML made plain as the parser and the archive read it, entities, UTF-8, case,
// white space, and text made safe for terminals and logs.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "feedd/text/diff.hpp"
#include "feedd/text/text.hpp"

using namespace feedd::text;

namespace {

std::string paragraphs(std::string_view html) {
    return html_to_text(html, Breaks::paragraphs);
}

}  // namespace

TEST_CASE("html_to_text: tags out, entities decoded, white space collapsed, a paragraph per line") {
    CHECK(paragraphs("<p>One &amp; two</p><p>three&nbsp;four</p>") == "One & two\nthree four");
    CHECK(paragraphs("<div>\n  <p>a <b>bold</b>\n move</p>\n\n<br/>  <p></p>end</div>") ==
          "a bold move\nend");
    CHECK(paragraphs("China&#39;s &#x4E2D;&lt;b&gt; &hellip;") == "China's \u4E2D<b> \u2026");
    CHECK(paragraphs("<script>var x = '<p>';</script>Text<style>p{}</style> here") == "Text here");
    CHECK(paragraphs("<!-- note --><img src='a.jpg' alt='x'>Caption") == "Caption");
    CHECK(paragraphs("a &unknown; b &#99999999; c") == "a &unknown; b \uFFFD c");
    CHECK(paragraphs("cut <a href=") == "cut");
}

TEST_CASE("html_to_text on one line: block elements are spaces, inline tags join") {
    CHECK(html_to_text("<p>One &amp; two</p><p>three&nbsp;four</p>") == "One & two three four");
    CHECK(html_to_text("<b>Bold</b>ness <i>and</i> a < b") == "Boldness and a < b");
    CHECK(html_to_text("<TD>cell</TD><td>next</td>") == "cell next");
    CHECK(paragraphs("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>") == "a b\nc");
    CHECK(html_to_text(std::string("  plain\n text  ")) == "plain text");
    CHECK(html_to_text("<SCRIPT>x()</SCRIPT>seen<Style>p{}</sTyle>") == "seen");
}

TEST_CASE(
    "entities as HTML5 reads them: the whole list, legacy names without a semicolon, windows-1252 numbers") {
    std::string out;
    decode_html_entities("Fa&ccaron;ade &#150; caf&eacute &copy 2024 &#x1F600; &nosuch; AT&T", out);
    CHECK(out == "Fa\u010Dade \u2013 caf\u00E9 \u00A9 2024 \U0001F600 &nosuch; AT&T");
    CHECK(html_entity("hellip") == "\u2026");
    CHECK(html_entity("nosuch").empty());
    CHECK(entity_name("&amp;rest") == "amp");
    CHECK(entity_name("& x").empty());
    bool semicolon = false;
    out.clear();
    CHECK(decode_numeric_reference("&#x26;tail", out, semicolon) == 6);
    CHECK(out == "&");
    CHECK(semicolon);
    CHECK(decode_numeric_reference("&#;", out, semicolon) == 0);
}

TEST_CASE("join: the separator between items only, also after an empty item, through a projection") {
    CHECK(join(std::vector<std::string>{}, ", ").empty());
    CHECK(join(std::vector<std::string>{"a"}, ", ") == "a");
    CHECK(join(std::vector<std::string>{"a", "", "c"}, ", ") == "a, , c");
    CHECK(join(std::vector<std::int64_t>{1, 22, 333}, ",",
               [](std::int64_t id) { return std::to_string(id); }) == "1,22,333");
}

TEST_CASE("ASCII case and white space") {
    CHECK(to_lower("HTTP://Example.ORG/\xC3\x89") == "http://example.org/\xC3\x89");
    CHECK(iequals("Content-Type", "content-TYPE"));
    CHECK_FALSE(iequals("abc", "abcd"));
    CHECK(trim("  a b \n") == "a b");
    CHECK(trim("\"utf-8\" ", " \"") == "utf-8");
    CHECK(trim(" \t ").empty());
    CHECK(trim_controls("\x01 url\x7f\x1f") == "url\x7f");
    CHECK(collapse_space("  a \t\n b\xC2\xA0"
                         "c  ") == "a b c");
    CHECK(collapse_space(std::string(" x  y ")) == "x y");
    CHECK(count_words("") == 0);
    CHECK(count_words(" \t\n ") == 0);
    CHECK(count_words("one") == 1);
    CHECK(count_words("  two\twords\r\n") == 2);
    CHECK(count_words("a\fb\vc d-e") == 4);
}

TEST_CASE("valid_utf8 replaces broken sequences") {
    CHECK(valid_utf8("ok \xE4\xB8\xAD") == "ok \xE4\xB8\xAD");
    CHECK(valid_utf8("bad \xFF end") == "bad \uFFFD end");
    CHECK(valid_utf8("overlong \xC0\xAF") == "overlong \uFFFD\uFFFD");
    CHECK(valid_utf8("cut \xE4\xB8") == "cut \uFFFD\uFFFD");
}

TEST_CASE("has_cjk tells scripts written without spaces") {
    CHECK(has_cjk("中国"));
    CHECK(has_cjk("ひらがな"));
    CHECK(has_cjk("한국어"));
    CHECK_FALSE(has_cjk("Ünïcode Ελληνικά русский"));
}

TEST_CASE("text from feeds cannot forge log lines or send terminal escapes") {
    CHECK(escape_for_log("title\nfake: line") == "title\\nfake: line");
    CHECK(escape_for_log("\x1b[31mred") == "\\x1b[31mred");
    CHECK(escape_for_log("caf\xc3\xa9 \xe4\xb8\xad") == "caf\xc3\xa9 \xe4\xb8\xad");
}

TEST_CASE("one policy: both styles neutralise C0, DEL, C1, bidirectional overrides and stray bytes") {
    // BEL, DEL, C1 CSI (U+009B as UTF-8), U+202E, U+2066, a lone 0x9B byte.
    const std::string hostile =
        "a\x07"
        "b\x7f"
        "c\xC2\x9B"
        "2Jd\xE2\x80\xAE"
        "e\xE2\x81\xA6"
        "f\x9B"
        "g";
    CHECK(escape_for_log(hostile) == "a\\x07b\\x7fc\\u009b2Jd\\u202ee\\u2066f\\x9bg");
    CHECK(printable(hostile) == "abc2Jdef\xEF\xBF\xBDg");
    for (const auto& shown : {escape_for_log(hostile), printable(hostile)}) {
        for (const char c : shown) {
            const auto byte = static_cast<unsigned char>(c);
            CHECK((byte >= 0x20 && byte != 0x7F));
        }
        CHECK(shown.find("\xC2\x9B") == std::string::npos);
        CHECK(shown.find("\xE2\x80\xAE") == std::string::npos);
    }
    CHECK_FALSE(is_printable(hostile));
    CHECK_FALSE(
        is_printable("News\xC2\x9B"
                     "31m"));
    CHECK_FALSE(is_printable("tab\there"));
    CHECK(is_printable("News/Asia \xE4\xB8\xAD"));
    // Text that is only foreign stays as it is.
    CHECK(printable("\xC2\xA0"
                    "caf\xC3\xA9 \xE4\xB8\xAD") ==
          "\xC2\xA0"
          "caf\xC3\xA9 \xE4\xB8\xAD");
}

TEST_CASE("printable drops terminal controls and bidirectional overrides") {
    CHECK(printable("a\x1b[2Jb\tc") == "a[2Jb c");
    CHECK(printable("x\xC2\x9By") == "xy");                        // C1 CSI
    CHECK(printable("evil\xE2\x80\xAEtxt.exe") == "eviltxt.exe");  // U+202E
    CHECK(printable("line\nnext", true) == "line\nnext");
    CHECK(printable("line\nnext") == "line next");
}

TEST_CASE("escape_for_json: what a JSON writer leaves raw becomes \\u escapes, layout stays") {
    // nlohmann's dump escapes C0 inside strings but writes DEL, C1 and bidi characters as they are.
    const std::string dumped =
        "{\n  \"t\": \"a\x7f"
        "b\xC2\x9B"
        "c\xE2\x80\xAE"
        "d\xE2\x81\xA9 \xE4\xB8\xAD\"\n}";
    CHECK(escape_for_json(dumped) == "{\n  \"t\": \"a\\u007Fb\\u009Bc\\u202Ed\\u2069 \xE4\xB8\xAD\"\n}");
    CHECK(escape_for_json("[\"\xFF\"]") == "[\"\\uFFFD\"]");
}

TEST_CASE("one UTF-8 rule at two speeds: sequence length and the whole-document scan agree") {
    CHECK(utf8_sequence_length("a") == 1);
    CHECK(utf8_sequence_length("\xC3\xA9") == 2);
    CHECK(utf8_sequence_length("\xE4\xB8\xAD") == 3);
    CHECK(utf8_sequence_length("\xF0\x9F\x98\x80") == 4);
    CHECK(utf8_sequence_length("\xC0\xAF") == 0);          // overlong
    CHECK(utf8_sequence_length("\xED\xA0\x80") == 0);      // surrogate
    CHECK(utf8_sequence_length("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
    CHECK(utf8_sequence_length("") == 0);
    // A fault past the 32-byte blocks the scan skips, in either half of the text.
    std::string long_text(200, 'x');
    CHECK(find_invalid_utf8(long_text) == std::string_view::npos);
    for (const std::size_t at : {std::size_t{3}, std::size_t{70}, std::size_t{150}, std::size_t{199}}) {
        std::string bad = long_text;
        bad[at] = '\xE4';
        CHECK(find_invalid_utf8(bad) == at);
        CHECK(valid_utf8(bad).find("\xEF\xBF\xBD") == at);
    }
}

TEST_CASE("xml_safe drops what XML 1.0 cannot hold and keeps everything else") {
    CHECK(feedd::text::xml_safe("a\x01"
                                "b\x0B\tc\r\n\xEF\xBF\xBE"
                                "d\xEF\xBF\xBF"
                                "e\xEF\xBF\xBD") == "ab\tc\r\nde\xEF\xBF\xBD");
    CHECK(feedd::text::xml_safe("caf\xC3\xA9") == "caf\xC3\xA9");
}

TEST_CASE("text: a word diff marks what was added and removed") {
    using Kind = feedd::text::DiffPart::Kind;
    const auto parts =
        feedd::text::diff_words("the meeting was chaired today.", "the meeting was held today, late.");
    std::string shown;
    for (const auto& part : parts)
        shown +=
            part.kind == Kind::same ? part.text : (part.kind == Kind::added ? "+[" : "-[") + part.text + "]";
    CHECK(shown == "the meeting was -[chaired today.]+[held today, late.]");
    CHECK(feedd::text::diff_words("same", "same") ==
          std::vector<feedd::text::DiffPart>{{Kind::same, "same"}});
    // Too big to compare word by word: one removal, one addition.
    const auto big = feedd::text::diff_words("a b c", "d e f", 1);
    REQUIRE(big.size() == 2);
    CHECK(big[0].kind == Kind::removed);
    CHECK(big[1].kind == Kind::added);
}
