// Hostile feeds (issue 8): each input a server could send on purpose, with what a user sees.
// The rule: a clear error or a bounded result, never a crash, a hang or a file read. Big inputs
// are generated here; the sizes are those of the issue, so a quadratic path would hang the test
// (ctest's timeout catches it) rather than pass slowly.
#include <doctest/doctest.h>

#include <pthread.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "parse/support.hpp"
#include "support/process.hpp"

using feedd::Entry;
using feedd::ParsedFeed;
using feedd::parse::parse_feed;
using feedd::parse::to_json;
using feedd::test::run_feedd;
using feedd::test::TempDir;
using feedd::test::write_file;

namespace {

// Runs `work` on a thread of its own with a stack of `bytes` and waits for it; an exception
// `work` throws is rethrown here. (std::thread cannot choose its stack.)
void run_on_stack(std::size_t bytes, const std::function<void()>& work) {
    struct Job {
        const std::function<void()>& work;
        std::exception_ptr error;
    } job{work, nullptr};
    void* (*const body)(void*) = [](void* argument) -> void* {
        auto& self = *static_cast<Job*>(argument);
        try {
            self.work();
        } catch (...) {
            self.error = std::current_exception();
        }
        return nullptr;
    };
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_t thread;
    const bool started = pthread_attr_setstacksize(&attributes, bytes) == 0 &&
                         pthread_create(&thread, &attributes, body, &job) == 0;
    pthread_attr_destroy(&attributes);  // before REQUIRE, which throws
    REQUIRE(started);
    pthread_join(thread, nullptr);
    if (job.error) std::rethrow_exception(job.error);
}

// Every text field a user or the store sees.
std::vector<std::string> all_text(const ParsedFeed& feed) {
    std::vector<std::string> fields = {feed.error,    feed.title,    feed.link,
                                       feed.subtitle, feed.language, feed.image};
    for (const auto& day : feed.skip_days) fields.push_back(day);
    for (const Entry& entry : feed.entries) {
        for (const auto* field : {&entry.id, &entry.title, &entry.link, &entry.author, &entry.summary,
                                  &entry.content, &entry.image})
            fields.push_back(*field);
        for (const auto& category : entry.categories) fields.push_back(category);
        for (const auto& enclosure : entry.enclosures) {
            fields.push_back(enclosure.url);
            fields.push_back(enclosure.type);
        }
    }
    for (const auto& link : feed.advertised) {
        fields.push_back(link.url);
        fields.push_back(link.type);
        fields.push_back(link.title);
    }
    return fields;
}

// Strict UTF-8: no stray continuation bytes, no overlong forms, no surrogates, nothing past U+10FFFF.
bool valid_utf8(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t length;
        std::uint32_t cp;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            length = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            length = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            length = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (next & 0x3F);
        }
        const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < smallest[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += length;
    }
    return true;
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

std::string repeat(std::string_view piece, std::size_t times) {
    std::string out;
    out.reserve(piece.size() * times);
    for (std::size_t i = 0; i < times; ++i) out += piece;
    return out;
}

std::string rss(const std::string& channel) {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>" + channel +
           "</channel></rss>\n";
}

const std::string kJsonVersion = "\"version\":\"https://jsonfeed.org/version/1.1\"";

// A feed's JSON document and each of its fields stay within a multiple of the input: nothing
// was expanded.
void check_bounded(const ParsedFeed& feed, std::size_t input_size) {
    const std::string json = to_json(feed);
    CHECK(json.size() <= 2 * input_size + 4096);
    CHECK(valid_utf8(json));
}

}  // namespace

TEST_CASE("hostile: billion laughs: DTD entities are never expanded, the output stays the input's size") {
    // Ten levels of ten: expanded, &lol9; would be 3 000 000 000 bytes.
    std::string dtd = "<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n";
    for (int level = 1; level <= 9; ++level) {
        const std::string below = level == 1 ? "&lol;" : "&lol" + std::to_string(level - 1) + ";";
        dtd += "<!ENTITY lol" + std::to_string(level) + " \"" + repeat(below, 10) + "\">\n";
    }
    // The quadratic variant: one large entity referenced many times.
    dtd += "<!ENTITY big \"" + std::string(100000, 'x') + "\">\n]>\n";
    const std::string bytes = "<?xml version=\"1.0\"?>\n" + dtd +
                              "<rss version=\"2.0\"><channel><title>Laughs &lol9;</title>"
                              "<item><title>&lol9;&lol9;</title><description>" +
                              repeat("&big;", 10000) +
                              "</description><enclosure url=\"https://e.example/&lol9;.mp3\" "
                              "type=\"audio/mpeg\"/></item></channel></rss>";
    const auto feed = parse_feed(bytes);
    CHECK(feed.is_feed);
    CHECK(feed.title == "Laughs &lol9;");
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].title == "&lol9;&lol9;");
    CHECK(feed.entries[0].summary == repeat("&big;", 10000));
    CHECK(feed.entries[0].enclosures.at(0).url == "https://e.example/&lol9;.mp3");
    CHECK_FALSE(feed.wellformed);
    CHECK(contains(feed.error, "unknown entity &lol9;"));
    CHECK(contains(feed.error, "kept as text"));
    check_bounded(feed, bytes.size());
    for (const auto& field : all_text(feed)) CHECK_FALSE(contains(field, "lollol"));
}

TEST_CASE(
    "hostile: external entities: a file named by a SYSTEM entity is never read (file:// and relative)") {
    TempDir dir;
    const std::string marker = "FEEDD-SECRET-" + dir.path().filename().string();
    write_file(dir / "secret.txt", marker + "\n");
    write_file(dir / "secret.dtd", "<!ENTITY leaked \"" + marker + "\">\n");
    const std::string absolute = "file://" + (dir / "secret.txt").string();
    const std::string rss_bytes =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n"
        "  <!ENTITY abs SYSTEM \"" +
        absolute +
        "\">\n"
        "  <!ENTITY rel SYSTEM \"secret.txt\">\n"
        "  <!ENTITY % dtd SYSTEM \"secret.dtd\">\n"
        "  %dtd;\n"
        "]>\n"
        "<rss version=\"2.0\"><channel><title>Feed &abs;</title><link>&rel;</link>"
        "<item><title>&rel;</title><link>https://e.example/&abs;</link>"
        "<guid>&abs;</guid><description>&abs; &rel; &leaked;</description>"
        "<enclosure url=\"&abs;\" type=\"text/plain\"/></item></channel></rss>\n";
    const std::string atom_bytes = "<?xml version=\"1.0\"?>\n<!DOCTYPE feed SYSTEM \"" +
                                   (dir / "secret.dtd").string() +
                                   "\">\n<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>&leaked;</title>"
                                   "<entry><id>&leaked;</id><title type=\"html\">&leaked;</title>"
                                   "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">"
                                   "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"" +
                                   absolute + "\" parse=\"text\"/></div></content></entry></feed>\n";
    write_file(dir / "feed.xml", rss_bytes);
    write_file(dir / "feed.atom", atom_bytes);

    const auto feed = parse_feed(rss_bytes, {"file://" + dir.path().string() + "/", ""});
    CHECK(feed.title == "Feed &abs;");
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].title == "&rel;");
    CHECK(feed.entries[0].summary == "&abs; &rel; &leaked;");
    const auto atom = parse_feed(atom_bytes);
    CHECK(atom.title == "&leaked;");
    REQUIRE(atom.entries.size() == 1);
    for (const auto* parsed : {&feed, &atom})
        for (const auto& field : all_text(*parsed)) CHECK_FALSE(contains(field, marker));

    // The command line too, on the files that sit beside the secret.
    for (const char* name : {"feed.xml", "feed.atom"}) {
        const auto result = run_feedd(dir.path(), {"parse", (dir / name).string()});
        CHECK(result.exit_code == 0);
        CHECK(result.out.starts_with("{\"wellformed\":false"));
        CHECK_FALSE(contains(result.out, marker));
        CHECK_FALSE(contains(result.err, marker));
    }
}

TEST_CASE("hostile: 10 000-deep nesting is read without recursion and the items after it survive") {
    const std::size_t depth = 10000;
    const std::string open = repeat("<b>", depth), close = repeat("</b>", depth);

    const auto in_title =
        parse_feed(rss("<title>" + open + "deep" + close + "</title><item><title>after</title></item>"));
    CHECK(in_title.title == "deep");
    CHECK(in_title.wellformed);
    REQUIRE(in_title.entries.size() == 1);
    CHECK(in_title.entries[0].title == "after");

    const auto in_channel = parse_feed(rss("<title>T</title>" + repeat("<x>", depth) + "deep" +
                                           repeat("</x>", depth) + "<item><title>after</title></item>"));
    REQUIRE(in_channel.entries.size() == 1);
    CHECK(in_channel.entries[0].title == "after");

    const auto in_content = parse_feed(rss("<item><title>one</title><description>" + open + "x" + close +
                                           "</description></item><item><title>after</title></item>"));
    REQUIRE(in_content.entries.size() == 2);
    CHECK(in_content.entries[0].summary == open + "x" + close);  // the markup, as the feed sent it
    CHECK(in_content.entries[1].title == "after");

    const auto atom = parse_feed(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title>one</title><content type=\"xhtml\">"
        "<div xmlns=\"http://www.w3.org/1999/xhtml\">" +
        open + "x" + close + "</div></content></entry><entry><title>after</title></entry></feed>");
    REQUIRE(atom.entries.size() == 2);
    CHECK(atom.entries[0].content == open + "x" + close);
    CHECK(atom.entries[1].title == "after");

    // Items inside items: the outer one is the entry; nothing is read as an entry twice.
    const auto items = parse_feed(rss(repeat("<item><title>n</title>", depth) + repeat("</item>", depth)));
    CHECK(items.entries.size() == 1);

    // 10 000 elements that never close: too deep to repair one by one, so the feed is read up to
    // the break and the error says where.
    const std::string unclosed = rss("<item><title>one</title>" + repeat("<x>", depth) +
                                     "deep</item><item><title>after</title></item>");
    const auto broken = parse_feed(unclosed);
    CHECK(broken.is_feed);
    CHECK_FALSE(broken.wellformed);
    CHECK(broken.error.starts_with("not well-formed: "));
    REQUIRE_FALSE(broken.entries.empty());
    CHECK(broken.entries[0].title == "one");
    check_bounded(broken, unclosed.size());

    // Unclosed markup inside a text element is read as HTML, and the next item survives.
    const auto unclosed_html = parse_feed(rss("<item><title>one</title><description>" + open +
                                              "x</description></item><item><title>after</title></item>"));
    REQUIRE(unclosed_html.entries.size() == 2);
    CHECK(unclosed_html.entries[0].summary == open + "x");
    CHECK(unclosed_html.entries[1].title == "after");

    for (const std::string& nested :
         {repeat("[", depth) + repeat("]", depth), repeat("{\"a\":", depth) + "1" + repeat("}", depth)}) {
        const auto json =
            parse_feed("{" + kJsonVersion + ",\"title\":\"T\",\"items\":[{\"id\":\"1\",\"title\":" + nested +
                       "},{\"id\":\"2\",\"title\":\"after\"}]}");
        CHECK(json.is_feed);
        REQUIRE(json.entries.size() == 2);
        CHECK(json.entries[0].title.empty());  // not a string: absent
        CHECK(json.entries[1].title == "after");
    }
}

TEST_CASE("hostile: a 1 MB title is cut to 4096 bytes at a character boundary, a 1 MB body is kept whole") {
    const std::size_t megabyte = 1 << 20;
    // "é" is two bytes and 4096 - 3 (the ellipsis) is odd: a byte cut would split a character.
    const std::string long_title = std::string(megabyte, 'A');
    const std::string long_entry_title = repeat("\u00e9", megabyte / 2);
    const std::string body = repeat("<p>word</p>", megabyte / 11);
    const std::string bytes =
        rss("<title>" + long_title + "</title><item><title>" + long_entry_title + "</title><author>" +
            std::string(megabyte, 'n') + "</author><category>" + std::string(megabyte, 'c') +
            "</category><description><![CDATA[" + body + "]]></description></item>");
    const auto feed = parse_feed(bytes);
    CHECK(feed.is_feed);
    CHECK(feed.title.size() <= 4096);
    CHECK(feed.title.size() >= 4000);
    CHECK(feed.title.ends_with("\u2026"));
    CHECK(long_title.starts_with(feed.title.substr(0, feed.title.size() - 3)));
    REQUIRE(feed.entries.size() == 1);
    const Entry& entry = feed.entries[0];
    CHECK(entry.title.size() <= 4096);
    CHECK(entry.title.ends_with("\u2026"));
    CHECK(valid_utf8(entry.title));
    CHECK(long_entry_title.starts_with(entry.title.substr(0, entry.title.size() - 3)));
    CHECK(entry.author.size() <= 4096);
    REQUIRE(entry.categories.size() == 1);
    CHECK(entry.categories[0].size() <= 4096);
    CHECK(entry.summary == body);  // text is not a label: kept whole (the fetcher bounds the body)
    CHECK_FALSE(feed.wellformed);
    CHECK(feed.error.starts_with("feed title of 1048576 bytes cut to 4096"));

    const auto json = parse_feed("{" + kJsonVersion + ",\"title\":\"" + long_title +
                                 "\",\"items\":[{\"id\":\"1\",\"title\":\"" + long_entry_title + "\"}]}");
    CHECK(json.title.size() <= 4096);
    REQUIRE(json.entries.size() == 1);
    CHECK(json.entries[0].title.size() <= 4096);
    CHECK(valid_utf8(json.entries[0].title));

    // A title under the limit is not touched.
    const auto normal = parse_feed(rss("<title>" + std::string(4096, 'B') + "</title>"));
    CHECK(normal.title == std::string(4096, 'B'));
    CHECK(normal.wellformed);
}

// All are kept: the fetcher's body limit (max_body) bounds how many a feed can carry, and the
// parse is linear in them.
TEST_CASE("hostile: 100 000 items in RSS are all kept, in order") {
    const std::size_t count = 100000;
    std::string items;
    items.reserve(count * 96);
    for (std::size_t i = 0; i < count; ++i) {
        const std::string n = std::to_string(i);
        items += "<item><title>t" + n + "</title><link>https://e.example/" + n + "</link><guid>g" + n +
                 "</guid></item>";
    }
    const auto feed = parse_feed(rss("<title>Many</title>" + items));
    CHECK(feed.wellformed);
    REQUIRE(feed.entries.size() == count);
    CHECK(feed.entries.front().id == "g0");
    CHECK(feed.entries.back().id == "g99999");
    CHECK(feed.entries.back().title == "t99999");
    CHECK(feed.entries.back().link == "https://e.example/99999");
}

TEST_CASE("hostile: 100 000 items in a JSON Feed are all kept, in order") {
    const std::size_t count = 100000;
    std::string json_items;
    json_items.reserve(count * 48);
    for (std::size_t i = 0; i < count; ++i)
        json_items += std::string(i ? "," : "") + "{\"id\":\"" + std::to_string(i) + "\",\"title\":\"t\"}";
    const auto json = parse_feed("{" + kJsonVersion + ",\"items\":[" + json_items + "]}");
    REQUIRE(json.entries.size() == count);
    CHECK(json.entries.front().id == "0");
    CHECK(json.entries.back().id == "99999");
}

TEST_CASE("hostile: NUL bytes are dropped and reported, the rest of the feed is read") {
    using namespace std::string_literals;
    const std::string xml =
        "\0<?xml version=\"1.0\"?>\0<rss version=\"2.0\"><channel><title>Nul\0here</title>"
        "<item><title>a\0b</title><description><![CDATA[x\0y]]></description>"
        "<guid>g\0</guid></item><item><title>second</title></item></channel></rss>"s;
    const auto feed = parse_feed(xml);
    CHECK(feed.is_feed);
    CHECK(feed.title == "Nulhere");
    REQUIRE(feed.entries.size() == 2);
    CHECK(feed.entries[0].title == "ab");
    CHECK(feed.entries[0].summary == "xy");
    CHECK(feed.entries[0].id == "g");
    CHECK(feed.entries[1].title == "second");
    CHECK_FALSE(feed.wellformed);
    CHECK(contains(feed.error, "6 NUL characters"));

    // UTF-16 is full of zero bytes that are no NUL characters.
    std::string utf16 = "\xFF\xFE";
    for (const char c : rss("<title>Wide</title>")) utf16 += std::string(1, c) + '\0';
    const auto wide = parse_feed(utf16);
    CHECK(wide.title == "Wide");
    CHECK_FALSE(contains(wide.error, "NUL"));

    // Raw NUL in JSON is invalid JSON, "\u0000" a valid escape: neither reaches a field.
    const auto json =
        parse_feed("{" + kJsonVersion +
                   ",\"title\":\"a\\u0000b\",\"items\":[{\"id\":\"1\\u0000\",\"title\":\"x\0y\","
                   "\"content_html\":\"<p>c\\u0000d</p>\",\"tags\":[\"t\\u0000\"]}]}"s);
    CHECK(json.is_feed);
    CHECK(json.title == "ab");
    REQUIRE(json.entries.size() == 1);
    CHECK(json.entries[0].id == "1");
    CHECK(json.entries[0].title == "xy");
    CHECK(json.entries[0].content == "<p>cd</p>");
    CHECK(json.entries[0].categories == std::vector<std::string>{"t"});
    for (const auto* parsed : {&feed, &json})
        for (const auto& field : all_text(*parsed)) CHECK_FALSE(contains(field, "\0"s));
}

TEST_CASE("hostile: invalid UTF-8 yields valid UTF-8 in every field") {
    // A lone continuation byte, a truncated sequence, an overlong '/', a UTF-16 surrogate, a code
    // point past U+10FFFF and bytes that never occur in UTF-8.
    const std::string junk = "\x80 \xC3 \xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80 \xFF\xFE";
    const std::string xml =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel><title>Caf\xE9 " + junk +
        "</title><item><title>" + junk + "</title><link>https://e.example/" + junk +
        "</link><description><![CDATA[<p>" + junk + "</p>]]></description><category>" + junk +
        "</category><enclosure url=\"https://e.example/" + junk + "\" type=\"a/b\"/></item></channel></rss>";
    const std::string json = "{" + kJsonVersion + ",\"title\":\"" + junk + "\",\"items\":[{\"id\":\"" + junk +
                             "\",\"title\":\"" + junk + "\",\"content_html\":\"" + junk + "\"}]}";
    for (const char* content_type : {"", "application/rss+xml; charset=utf-8"}) {
        for (const std::string* bytes : {&xml, &json}) {
            CAPTURE(content_type);
            const auto feed = parse_feed(*bytes, {"", content_type});
            CHECK(feed.is_feed);
            REQUIRE(feed.entries.size() == 1);
            CHECK_FALSE(feed.entries[0].title.empty());
            CHECK_FALSE(feed.wellformed);
            for (const auto& field : all_text(feed)) CHECK(valid_utf8(field));
            CHECK(valid_utf8(to_json(feed)));
        }
    }
    // Declared UTF-8: the bad bytes become U+FFFD and the good ones stay.
    const auto declared = parse_feed(xml);
    CHECK(declared.title.starts_with("Caf\uFFFD \uFFFD"));
    CHECK(contains(declared.error, "not valid UTF-8"));
}

TEST_CASE("hostile: a JSON Feed with wrong types yields entries or a clear error, never an exception") {
    const auto parse_json = [](const std::string& members) {
        return parse_feed("{" + kJsonVersion + members + "}");
    };

    // The feed's own fields of the wrong type are absent; numbers are not text.
    const auto feed_fields = parse_json(
        ",\"title\":42,\"home_page_url\":7,\"description\":[1],\"icon\":{},"
        "\"language\":false,\"authors\":\"Jane\",\"items\":[]");
    CHECK(feed_fields.is_feed);
    CHECK(feed_fields.title.empty());
    CHECK(feed_fields.link.empty());
    CHECK(feed_fields.image.empty());

    // "items" that is no array: a feed without entries, and the error says why.
    for (const char* items : {"{\"id\":\"1\"}", "null", "\"items\"", "5"}) {
        CAPTURE(items);
        const auto feed = parse_json(std::string(",\"items\":") + items);
        CHECK(feed.is_feed);
        CHECK(feed.entries.empty());
        CHECK_FALSE(feed.wellformed);
        CHECK(feed.error == "JSON Feed without an \"items\" array");
    }

    // Items that are no objects are skipped; ids of every type.
    const auto ids = parse_json(
        ",\"items\":[null,1,\"s\",[],{\"id\":123,\"title\":\"number\"},{\"id\":[1,2],\"title\":\"array\"},"
        "{\"id\":null,\"url\":\"https://e.example/"
        "a\",\"title\":\"null\"},{\"id\":{\"a\":1},\"title\":\"object\"},"
        "{\"id\":1.5,\"title\":\"float\"},{\"id\":true,\"title\":\"bool\"},{\"id\":-3,\"title\":\"negative\"}"
        ","
        "{\"id\":18446744073709551615,\"title\":\"huge\"}]");
    REQUIRE(ids.entries.size() == 8);
    CHECK(ids.entries[0].id == "123");  // the specification: a number is read as a string
    CHECK(ids.entries[1].id.empty());
    CHECK(ids.entries[2].id.empty());
    CHECK(ids.entries[2].link == "https://e.example/a");
    CHECK(ids.entries[3].id.empty());
    CHECK(ids.entries[6].id == "-3");
    CHECK(ids.entries[7].id == "18446744073709551615");
    CHECK(ids.entries[7].title == "huge");

    // Fields of the wrong type are absent; the entry stays.
    const auto fields = parse_json(
        ",\"items\":[{\"id\":\"1\",\"title\":[\"t\"],\"url\":{\"href\":\"x\"},\"content_html\":[\"<p>x</"
        "p>\"],"
        "\"content_text\":{\"a\":1},\"summary\":5,\"date_published\":1700000000,\"date_modified\":[2024],"
        "\"authors\":\"Jane\",\"author\":\"Bob\",\"tags\":\"news\",\"attachments\":{\"url\":\"https://"
        "e.example/a\"},"
        "\"image\":[]},"
        "{\"id\":\"2\",\"authors\":[\"Jane\",null,{\"name\":7},{\"name\":\"Ann\"}],\"tags\":[1,null,\"ok\",["
        "\"n\"]],"
        "\"attachments\":[\"https://e.example/a\",null,{\"url\":5},{\"url\":\"https://e.example/b\","
        "\"mime_type\":7,\"size_in_bytes\":\"12\"},{\"url\":\"https://e.example/c\",\"size_in_bytes\":-5},"
        "{\"url\":\"https://e.example/d\",\"size_in_bytes\":18446744073709551615},"
        "{\"url\":\"https://e.example/e\",\"size_in_bytes\":1.5e300},"
        "{\"url\":\"https://e.example/f\",\"size_in_bytes\":1024}]}]");
    REQUIRE(fields.entries.size() == 2);
    const Entry& first = fields.entries[0];
    CHECK(first.id == "1");
    CHECK(first.title.empty());
    CHECK(first.link.empty());
    CHECK(first.content.empty());
    CHECK(first.summary.empty());
    CHECK_FALSE(first.published.has_value());
    CHECK_FALSE(first.updated.has_value());
    CHECK(first.author.empty());
    CHECK(first.categories.empty());
    CHECK(first.enclosures.empty());
    const Entry& second = fields.entries[1];
    CHECK(second.author == "Ann");
    CHECK(second.categories == std::vector<std::string>{"ok"});
    REQUIRE(second.enclosures.size() == 5);
    for (const auto& enclosure : second.enclosures) {
        CHECK(enclosure.url.starts_with("https://e.example/"));
        if (enclosure.length) CHECK(*enclosure.length >= 0);
    }
    CHECK(second.enclosures.back().length == 1024);
    CHECK(second.enclosures[0].type.empty());  // mime_type 7

    // No JSON Feed at all: a clear error, not a feed.
    for (const std::string& bytes :
         std::vector<std::string>{"{\"version\":1.1,\"items\":[]}", "{\"version\":null}",
                                  "[{" + kJsonVersion + "}]", "{" + kJsonVersion + ",\"id\":1e400}",
                                  "{" + kJsonVersion + ",\"items\":[" + std::string(1000, ',') + "]}"}) {
        CAPTURE(bytes);
        const auto feed = parse_feed(bytes);
        CHECK_FALSE(feed.is_feed);
        CHECK(feed.error.starts_with("not a feed: JSON"));
    }
}

// Regressions: inputs that made a repair or a scan start over at every occurrence (quadratic in
// the document: minutes for a few megabytes).
TEST_CASE("hostile: unterminated CDATA sections and comments after a stray '<' are read in linear time") {
    for (const char* opener : {"<![CDATA[", "<!--"}) {
        CAPTURE(opener);
        const auto feed = parse_feed(rss("<title>1 < 2</title>" + repeat(opener, 200000)));
        CHECK(feed.is_feed);
        CHECK(feed.title == "1 < 2");
        CHECK(contains(feed.error, "unescaped '<'"));
    }
}

TEST_CASE("hostile: 200 000 '<img' without '>' in an entry's HTML are scanned once") {
    const auto feed = parse_feed(
        rss("<item><description><![CDATA[" + repeat("<img ", 200000) + "]]></description></item>"));
    REQUIRE(feed.entries.size() == 1);
    CHECK(feed.entries[0].image.empty());
    CHECK(feed.entries[0].summary.size() == 5 * 200000);
}

TEST_CASE("hostile: a text element repaired as HTML among 200 000 start tags without end tags") {
    const auto unclosed = parse_feed(rss("<item><title>a<b>x</title></item>" + repeat("<title>", 200000)));
    CHECK(unclosed.is_feed);
    CHECK(contains(unclosed.error, "read as HTML"));
    const auto empty = parse_feed(
        rss("<item><title>a<b>x</title></item>" + repeat("<title/>", 200000) + "<title>end</title>"));
    CHECK(empty.is_feed);
    CHECK(contains(empty.error, "read as HTML"));
}

TEST_CASE("hostile: 50 000 namespace declarations on the root: the first 64 count, the rest are reported") {
    std::string declarations = " xmlns=\"\"";
    for (int i = 0; i < 50000; ++i)
        declarations += " xmlns:p" + std::to_string(i) + "=\"urn:x:" + std::to_string(i) + "\"";
    const auto feed =
        parse_feed("<rss version=\"2.0\"" + declarations + "><channel><title>NS</title>" +
                   repeat("<item><title>t</title><guid>g</guid></item>", 50000) + "</channel></rss>");
    CHECK(feed.title == "NS");
    CHECK(feed.entries.size() == 50000);
    CHECK(feed.error == "49937 namespace declarations beyond 64 on one element: ignored");
}

TEST_CASE("hostile: an HTML page of 100 000 nested elements or 50 000 attributes is read in bounded time") {
    // An HTML5 parser's work grows with depth times elements: such pages are read up to a bound.
    const std::string head =
        "<!DOCTYPE html><html><head><link rel=\"alternate\" type=\"application/rss+xml\" "
        "href=\"/feed.xml\">";
    const auto deep =
        parse_feed(head + "</head><body>" + repeat("<div>", 100000) + "x" + repeat("</div>", 100000),
                   {"https://site.example/", ""});
    CHECK_FALSE(deep.is_feed);
    REQUIRE(deep.advertised.size() == 1);
    CHECK(deep.advertised[0].url == "https://site.example/feed.xml");

    std::string attributes;
    for (int i = 0; i < 50000; ++i) attributes += " a" + std::to_string(i) + "=\"1\"";
    const auto wide =
        parse_feed(head + "<meta" + attributes + "></head></html>", {"https://site.example/", ""});
    CHECK_FALSE(wide.is_feed);
    CHECK(wide.advertised.size() == 1);

    std::string many;
    for (int i = 0; i < 100000; ++i)
        many +=
            "<link rel=\"alternate\" type=\"application/rss+xml\" href=\"/f" + std::to_string(i) + ".xml\">";
    const auto links = parse_feed("<html><head>" + many + "</head></html>");
    CHECK_FALSE(links.is_feed);
    CHECK(links.advertised.size() > 1000);
    CHECK(links.advertised.size() <= 4096);

    // A large inline style before the links is no reason to miss them.
    const auto styled = parse_feed("<html><head><style>" + repeat("p { margin: 0 }\n", 30000) + "</style>" +
                                   head.substr(head.find("<link")) + "</head></html>");
    REQUIRE(styled.advertised.size() == 1);
    CHECK(styled.advertised[0].url == "/feed.xml");
}

TEST_CASE("hostile: a megabyte-long element name gives a short error") {
    const std::string name(1 << 20, 'A');
    const auto not_feed = parse_feed("<" + name + ">x</" + name + ">");
    CHECK_FALSE(not_feed.is_feed);
    CHECK(not_feed.error.starts_with("not a feed: the root element is <AAAA"));
    CHECK(not_feed.error.size() <= 1024);
    const auto unclosed = parse_feed(rss("<item><" + name + "></item>"));
    CHECK(unclosed.is_feed);
    CHECK(unclosed.error.size() <= 1024);
}

TEST_CASE("hostile: feedd parse - answers hostile input with its exit status and one clear line") {
    using namespace std::string_literals;
    TempDir dir;
    // A feed with problems: exit 0, the document on one line, the problem in "error".
    const auto nul = run_feedd(dir.path(), {"parse", "-"}, {},
                               rss("<title>Nul\0here</title><item><title>one</title></item>"s));
    CHECK(nul.exit_code == 0);
    CHECK(nul.out.find('\n') == nul.out.size() - 1);
    CHECK(contains(nul.out, "\"error\":\"1 NUL character (the first at line 2, column 39) dropped\""));
    CHECK(contains(nul.out, "\"title\":\"Nulhere\""));
    CHECK(nul.err.empty());

    const auto laughs =
        run_feedd(dir.path(), {"parse", "-"}, {},
                  "<!DOCTYPE rss [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;\">]>" +
                      rss("<title>&b;</title>"));
    CHECK(laughs.exit_code == 0);
    CHECK(contains(laughs.out, "\"title\":\"&b;\""));
    CHECK_FALSE(contains(laughs.out, "aaaaaaaaaaaaaaa"));

    // No feed: exit 1 and one short line on stderr, however big the input.
    const std::string name(1 << 20, 'A');
    const auto no_feed = run_feedd(dir.path(), {"parse", "-"}, {}, "<" + name + ">x</" + name + ">");
    CHECK(no_feed.exit_code == 1);
    CHECK(no_feed.err.starts_with("feedd: -: not a feed: the root element is <AAAA"));
    CHECK(no_feed.err.find('\n') == no_feed.err.size() - 1);
    CHECK(no_feed.err.size() <= 1024);

    const auto bad_json = run_feedd(dir.path(), {"parse", "-"}, {}, "{" + kJsonVersion + ",\"items\":[}");
    CHECK(bad_json.exit_code == 1);
    CHECK(bad_json.err == "feedd: -: not a feed: JSON that does not parse\n");

    // Wrong types: entries, exit 0.
    const auto wrong_types = run_feedd(dir.path(), {"parse", "-"}, {},
                                       "{" + kJsonVersion + ",\"title\":[],\"items\":[{\"id\":7}]}");
    CHECK(wrong_types.exit_code == 0);
    CHECK(contains(wrong_types.out, "\"entries\":[{\"id\":\"7\""));
    CHECK(wrong_types.err.empty());
}

TEST_CASE("hostile: a JSON Feed nested 200 000 deep is read without recursion, on a 1 MiB stack") {
    // nlohmann-json parses and frees nested values with a heap stack, not the call stack; this
    // pins that down on a thread whose stack a recursion of even 8 bytes a level would overflow
    // (a crash). A depth of 1 000 000 on the main thread's stack said the same in five times the
    // time: 18-28 s of the suite under ASan.
    const std::size_t depth = 200'000;
    std::vector<ParsedFeed> feeds;
    run_on_stack(1 << 20, [&] {
        for (const std::string& nested :
             {repeat("[", depth) + repeat("]", depth), repeat("{\"a\":", depth) + "1" + repeat("}", depth)})
            feeds.push_back(parse_feed("{" + kJsonVersion + ",\"items\":[{\"id\":\"1\",\"title\":" + nested +
                                       "},{\"id\":\"2\",\"title\":\"after\"}]}"));
        feeds.push_back(parse_feed(repeat("[", depth)));
    });
    REQUIRE(feeds.size() == 3);
    for (std::size_t i = 0; i < 2; ++i) {
        REQUIRE(feeds[i].entries.size() == 2);
        CHECK(feeds[i].entries[1].title == "after");
    }
    CHECK_FALSE(feeds[2].is_feed);
}
