// feedd for one person on a laptop: a feeds.toml of their own found without --config (`feedd
// init`), the archive in their data folder, and first steps that say what is going on.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "support/fixtures.hpp"
#include "support/http_server.hpp"
#include "support/process.hpp"

using namespace feedd::test;
namespace fs = std::filesystem;

namespace {

// A home of the test's own: XDG folders in `dir`, no $FEEDD_CONFIG (empty is ignored).
std::map<std::string, std::string> xdg_home(const TempDir& dir) {
    return {{"HOME", (dir / "home").string()},
            {"XDG_CONFIG_HOME", (dir / "config").string()},
            {"XDG_DATA_HOME", (dir / "data").string()},
            {"FEEDD_CONFIG", ""}};
}

std::string slurp_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE(
    "feedd init in a fresh XDG home, then poll --once without --config archives in the XDG data folder") {
    const auto feed = read_fixture("cgtn-china.rss");
    HttpServer server;
    server.route("/china.xml", [&](const Request&) { return Response::text(feed, "application/rss+xml"); });
    TempDir dir;
    const auto env = xdg_home(dir);
    const fs::path config = dir / "config/feedd/feeds.toml";

    const auto init = run_feedd(dir.path(), {"init"}, env);
    INFO("init stdout: " << init.out << "\nstderr: " << init.err);
    REQUIRE(init.exit_code == 0);
    CHECK(init.out.find("Wrote " + config.string()) != std::string::npos);
    CHECK(init.out.find((dir / "data/feedd/feedd.db").string()) != std::string::npos);
    const std::string written = slurp_file(config);
    CHECK(written.find("# interval = \"auto\"") != std::string::npos);

    // Never over an existing file: a second init fails and leaves the user's edits.
    write_file(config,
               replaced(written, "[settings]\n",
                        "[settings]\nallow_private_networks = true  # the test server is on 127.0.0.1\n") +
                   "\n[[feed]]\nname = \"cgtn-china\"\nurl = \"" + server.url("/china.xml") + "\"\n");
    const std::string edited = slurp_file(config);
    const auto again = run_feedd(dir.path(), {"init"}, env);
    CHECK(again.exit_code == 1);
    CHECK(again.err.find("exists already") != std::string::npos);
    CHECK(slurp_file(config) == edited);

    // The user's own feeds.toml is the user service's: the hint after an edit says so.
    const auto added =
        run_feedd(dir.path(), {"feeds", "add", "--no-discover", "https://example.org/other.xml"}, env);
    INFO("feeds add: " << added.out << added.err);
    CHECK(added.exit_code == 0);
    CHECK(added.out.find("`systemctl --user reload feedd`") != std::string::npos);
    REQUIRE(run_feedd(dir.path(), {"feeds", "remove", "example.org-other"}, env).exit_code == 0);

    const auto poll = run_feedd(dir.path(), {"poll", "--once"}, env);
    INFO("poll stdout: " << poll.out << "\nstderr: " << poll.err);
    REQUIRE(poll.exit_code == 0);
    CHECK(poll.out.find("cgtn-china: updated, HTTP 200, 3 new") != std::string::npos);
    CHECK(fs::exists(dir / "data/feedd/feedd.db"));
    CHECK_FALSE(fs::exists(dir / "config/feedd/feedd.db"));

    const auto query = run_feedd(dir.path(), {"query"}, env);
    CHECK(query.exit_code == 0);
    CHECK(query.out.find("western region") != std::string::npos);
}

TEST_CASE("feedd init --from-opml starts from another reader's export, under the commented settings") {
    TempDir dir;
    const auto env = xdg_home(dir);
    const auto init =
        run_feedd(dir.path(), {"init", "--from-opml", fixture_path("opml/newsboat.opml").string()}, env);
    INFO("stdout: " << init.out << "\nstderr: " << init.err);
    REQUIRE(init.exit_code == 0);
    const std::string written = slurp_file(dir / "config/feedd/feeds.toml");
    CHECK(written.find("# interval = \"auto\"") != std::string::npos);
    CHECK(written.find("[[feed]]\nname = ") != std::string::npos);
    const auto list = run_feedd(dir.path(), {"check-config"}, env);
    CHECK(list.exit_code == 0);

    // A bad export writes nothing.
    TempDir other;
    const auto bad = run_feedd(
        other.path(), {"init", "--from-opml", fixture_path("opml/not-xml.opml").string()}, xdg_home(other));
    CHECK(bad.exit_code == 1);
    CHECK_FALSE(fs::exists(other / "config/feedd/feeds.toml"));
}

TEST_CASE(
    "first steps: query on no archive or an empty one says so on stderr and exits 0, feeds list says "
    "not polled yet") {
    HttpServer server;
    server.route("/down.xml", [](const Request&) { return Response::with_status(500, "down"); });
    TempDir dir;
    const auto env = xdg_home(dir);
    REQUIRE(run_feedd(dir.path(), {"init"}, env).exit_code == 0);
    const fs::path config = dir / "config/feedd/feeds.toml";
    write_file(config,
               replaced(slurp_file(config), "[settings]\n", "[settings]\nallow_private_networks = true\n") +
                   "\n[[feed]]\nname = \"down\"\nurl = \"" + server.url("/down.xml") + "\"\n");

    const auto list = run_feedd(dir.path(), {"feeds", "list"}, env);
    CHECK(list.exit_code == 0);
    CHECK(list.out.find("down  not polled yet") != std::string::npos);

    const auto nothing = run_feedd(dir.path(), {"query"}, env);
    CHECK(nothing.exit_code == 0);
    CHECK(nothing.err.find("nothing archived yet") != std::string::npos);
    CHECK(nothing.err.find("feedd poll --once") != std::string::npos);
    const auto as_json = run_feedd(dir.path(), {"query", "--format", "json"}, env);
    CHECK(as_json.exit_code == 0);
    CHECK(as_json.out.find("[]") != std::string::npos);
    CHECK_FALSE(fs::exists(dir / "data/feedd/feedd.db"));  // a reader creates no archive

    // Polled once, and failed: an archive without articles, and no daemon to poll again.
    REQUIRE(run_feedd(dir.path(), {"poll", "--once"}, env).exit_code == 1);  // the feed failed
    const auto empty = run_feedd(dir.path(), {"query"}, env);
    CHECK(empty.exit_code == 0);
    CHECK(empty.err.find("nothing archived yet in " + (dir / "data/feedd/feedd.db").string()) !=
          std::string::npos);
    CHECK(empty.err.find("the daemon is not running") != std::string::npos);
    // The same for a search of an unknown feed: nothing to find there is the news, not the name.
    const auto unknown = run_feedd(dir.path(), {"query", "--feed", "nosuchfeed", "--search", "story"}, env);
    CHECK(unknown.exit_code == 0);
    CHECK(unknown.err.find("nothing archived yet in ") != std::string::npos);
    const auto listed = run_feedd(dir.path(), {"feeds", "list"}, env);
    CHECK(listed.out.find("not polled yet") == std::string::npos);
}
