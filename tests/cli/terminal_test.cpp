// Text from the web, a file or the archive on its way to a terminal or the journal (issue 13,
// defects 5 and 8): no command prints a character a terminal acts on (ESC, BEL, C1 CSI,
// bidirectional overrides), and none prints the password of a URL.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "feedd/config/config.hpp"
#include "feedd/store/store.hpp"
#include "feedd/text/text.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;

namespace {

// ESC (a colour and a clear screen), BEL, the one-character CSI U+009B as UTF-8, and U+202E, the
// right-to-left override that shows "exe.txt" as "txt.exe".
const std::string hostile =
    "\x1b[31m\x07"
    "cl\xC2\x9B"
    "2J\xE2\x80\xAE"
    "exe.txt";

// What a terminal would act on: C0 controls but the line break, DEL, C1 as UTF-8, bidi overrides.
std::string unsafe_in(const std::string& output) {
    for (std::size_t i = 0; i < output.size(); ++i) {
        const auto c = static_cast<unsigned char>(output[i]);
        if ((c < 0x20 && c != '\n') || c == 0x7F)
            return "byte " + std::to_string(c) + " at " + std::to_string(i);
        if (c == 0xC2 && i + 1 < output.size() && (static_cast<unsigned char>(output[i + 1]) & 0xE0) == 0x80)
            return "a C1 control at " + std::to_string(i);
        if (output.compare(i, 3, "\xE2\x80\xAE") == 0) return "U+202E at " + std::to_string(i);
    }
    return {};
}

std::string config_text(const std::string& feeds) {
    return "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\nper_host_gap = \"0s\"\n" +
           feeds;
}

}  // namespace

TEST_CASE("terminal: import-opml prints and writes no control characters from the OPML file") {
    TempDir dir;
    const std::string opml =
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><body>\n"
        "<outline text=\"News" +
        hostile +
        "\">\n"
        "  <outline text=\"Title" +
        hostile +
        "\" xmlUrl=\"https://a.example/feed.xml\" "
        "category=\"/Folder" +
        hostile + ",tag" + hostile +
        "\"/>\n"
        "  <outline text=\"bad url\" xmlUrl=\"https://b.example/" +
        hostile +
        ".xml\"/>\n"
        "</outline></body></opml>\n";
    write_file(dir / "in.opml", opml);
    const std::string config = (dir / "feeds.toml").string();
    const auto result =
        run_feedd(dir.path(), {"--config", config, "import-opml", (dir / "in.opml").string()});
    INFO(result.out << result.err);
    REQUIRE(result.exit_code == 0);
    CHECK(unsafe_in(result.out) == "");
    CHECK(unsafe_in(result.err) == "");
    CHECK(result.out.find("Skipped: 1") != std::string::npos);  // the URL with controls

    // feeds.toml holds the cleaned text, and loads.
    const auto feeds = feedd::config::load_config(config).feeds;
    REQUIRE(feeds.size() == 1);
    CHECK(feeds[0].url == "https://a.example/feed.xml");
    CHECK(feeds[0].category == "News[31mcl2Jexe.txt");
    for (const auto& value : {feeds[0].name, feeds[0].title, feeds[0].category}) {
        INFO(value);
        CHECK(feedd::text::is_printable(value));
    }
    for (const auto& tag : feeds[0].tags) CHECK(feedd::text::is_printable(tag));
    CHECK(unsafe_in(slurp(dir / "feeds.toml")) == "");
}

TEST_CASE("terminal: feeds list and status show an archive's hostile errors and moved URLs safely") {
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_text("[[feed]]\nname = \"alpha\"\nurl = \"https://a.example/feed\"\n"));
    const std::string config = (dir / "feeds.toml").string();
    {
        auto archive = feedd::store::Archive::open(dir / "feedd.db", feedd::store::OpenMode::read_write);
        archive.sync_feeds(feedd::config::load_config(config).feeds);
        feedd::FeedState state;
        state.name = "alpha";
        state.configured_url = "https://a.example/feed";
        state.last_poll = feedd::TimePoint{} + std::chrono::hours(24 * 365 * 50);
        state.consecutive_failures = 3;
        state.last_status = 500;
        state.last_error = "HTTP 500 from https://me:hunter2@c.example/x: " + hostile;
        state.moved_to = "https://me:hunter2@b.example/feed";
        archive.set_feed_state(state);
    }
    for (const std::vector<std::string>& command : {std::vector<std::string>{"feeds", "list"},
                                                    {"feeds", "list", "--format", "json"},
                                                    {"status"},
                                                    {"status", "--format", "json"}}) {
        std::vector<std::string> args{"--config", config};
        args.insert(args.end(), command.begin(), command.end());
        const auto result = run_feedd(dir.path(), args);
        INFO(command.back() << ": " << result.out << result.err);
        CHECK(result.out.find("alpha") != std::string::npos);
        CHECK(result.out.find("hunter2") == std::string::npos);
        CHECK(result.err.find("hunter2") == std::string::npos);
        CHECK(unsafe_in(result.out) == "");
        CHECK(unsafe_in(result.err) == "");
    }
    const auto listed = run_feedd(dir.path(), {"--config", config, "feeds", "list"});
    CHECK(listed.out.find("moved to https://b.example/feed") != std::string::npos);
}

TEST_CASE("terminal: feedd parse writes a feed's C1 controls and bidi overrides as JSON escapes") {
    TempDir dir;
    // ESC and BEL are no XML characters (the parser drops them); C1 and U+202E are, and stay.
    write_file(dir / "hostile.xml",
               "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
               "<item><guid>1</guid><title>" +
                   hostile + "</title></item></channel></rss>");
    const auto parsed = run_feedd(dir.path(), {"parse", (dir / "hostile.xml").string()});
    INFO(parsed.out << parsed.err);
    CHECK(parsed.exit_code == 0);
    CHECK(unsafe_in(parsed.out) == "");
    CHECK(parsed.out.find("cl\\u009B2J\\u202Eexe.txt") != std::string::npos);
    // Read back, the JSON holds the title as the feed wrote it.
    const auto title = nlohmann::json::parse(parsed.out)["entries"][0]["title"].get<std::string>();
    CHECK(title.find("cl\xC2\x9B"
                     "2J\xE2\x80\xAE"
                     "exe.txt") != std::string::npos);
    // A file that is no feed: its error, which quotes the document, is escaped on stderr.
    write_file(dir / "page.xml", "<" + std::string("x\xC2\x9B") + "/>");
    const auto refused = run_feedd(dir.path(), {"parse", (dir / "page.xml").string()});
    CHECK(refused.exit_code == 1);
    CHECK(unsafe_in(refused.err) == "");
    CHECK(unsafe_in(refused.out) == "");
}

TEST_CASE("terminal: poll's report and log lines escape what a server sends, and log no password") {
    HttpServer server;
    // An encoding the parser does not know is named in its repair note, in the report and the log.
    server.route("/evil.xml", [](const feedd::test::Request&) {
        return Response::text("<?xml version=\"1.0\" encoding=\"x" + hostile +
                                  "\"?><rss version=\"2.0\"><channel><title>t</title>"
                                  "<item><guid>1</guid><title>one</title></item></channel></rss>",
                              "application/rss+xml");
    });
    server.route("/moved.xml", [&](const feedd::test::Request&) {
        return Response::redirect(
            301, "http://me:hunter2@127.0.0.1:" + std::to_string(server.port()) + "/evil.xml");
    });
    TempDir dir;
    write_file(dir / "feeds.toml",
               config_text("[[feed]]\nname = \"evil\"\nurl = \"" + server.url("/evil.xml") +
                           "\"\n[[feed]]\nname = \"moved\"\nurl = \"" + server.url("/moved.xml") + "\"\n"));
    const std::string config = (dir / "feeds.toml").string();
    const auto poll = run_feedd(dir.path(), {"--config", config, "--log-level", "debug", "poll", "--once"});
    INFO(poll.out << poll.err);
    CHECK(poll.out.find("evil: ") != std::string::npos);
    // The declared encoding is named in the parser's repair note, escaped.
    CHECK(poll.err.find("x\\x1b[31m\\x07cl") != std::string::npos);
    CHECK(unsafe_in(poll.out) == "");
    CHECK(unsafe_in(poll.err) == "");
    CHECK(poll.out.find("hunter2") == std::string::npos);
    CHECK(poll.err.find("hunter2") == std::string::npos);
    const auto listed = run_feedd(dir.path(), {"--config", config, "feeds", "list"});
    CHECK(listed.out.find("hunter2") == std::string::npos);
    CHECK(unsafe_in(listed.out) == "");
}

TEST_CASE("terminal: feeds add quotes the URLs a page advertises and shows their titles safely") {
    HttpServer server;
    server.route("/", [](const feedd::test::Request&) {
        return Response::text(
            "<!doctype html><html><head><title>Site</title>"
            "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"One" +
                hostile +
                "\" href=\"/one.xml?a=1&amp;b=it's\">"
                "<link rel=\"alternate\" type=\"application/rss+xml\" title=\"Two\" "
                "href=\"http://me:hunter2@127.0.0.1/two.xml\">"
                "</head><body>hi</body></html>",
            "text/html");
    });
    TempDir dir;
    write_file(dir / "feeds.toml", config_text(""));
    const std::string config = (dir / "feeds.toml").string();
    const auto result = run_feedd(dir.path(), {"--config", config, "feeds", "add", server.url("/")});
    INFO(result.out << result.err);
    CHECK(result.exit_code == 1);
    CHECK(unsafe_in(result.out) == "");
    CHECK(result.out.find("hunter2") == std::string::npos);
    // Quoted for a shell: '&' and the apostrophe stay part of the URL.
    CHECK(result.out.find("feedd feeds add '" + server.url("/one.xml?a=1&b=it'\\''s") + "'") !=
          std::string::npos);
    CHECK(result.out.find("'http://127.0.0.1/two.xml'") != std::string::npos);

    const auto with_password =
        run_feedd(dir.path(), {"--config", config, "feeds", "add", "https://me:hunter2@a.example/feed"});
    CHECK(with_password.exit_code == 2);
    CHECK(with_password.err.find("the URL carries credentials") != std::string::npos);
    CHECK(with_password.err.find("hunter2") == std::string::npos);
    const auto check = run_feedd(dir.path(), {"--config", config, "check-config"});
    CHECK(check.exit_code == 0);
}

TEST_CASE("terminal: check-config shows a password-bearing URL and control characters only redacted") {
    TempDir dir;
    write_file(dir / "feeds.toml", config_text("[[feed]]\nname = \"a\\u001b[2J\"\n"
                                               "url = \"https://me:hunter2@a.example/feed\"\n"));
    const auto result = run_feedd(dir.path(), {"--config", (dir / "feeds.toml").string(), "check-config"});
    INFO(result.err);
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("the URL carries credentials") != std::string::npos);
    CHECK(result.err.find("hunter2") == std::string::npos);
    CHECK(unsafe_in(result.err) == "");
}
