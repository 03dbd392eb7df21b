// Where the tests' fixture files are, and reading them.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace feedd::test {

inline std::filesystem::path fixture_path(const std::string& relative) {
    return std::filesystem::path(FEEDD_FIXTURES_DIR) / relative;
}

inline std::string read_fixture(const std::string& relative) {
    std::ifstream in(fixture_path(relative), std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + relative);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// The feeds.toml of most end-to-end tests: one feed on the test's own server, which listens on
// 127.0.0.1 (so private networks are allowed) and answers at once (so no gap between requests).
// `extra_settings` are more `key = value` lines of [settings].
inline std::string one_feed_config(const std::string& database, const std::string& name,
                                   const std::string& url, const std::string& extra_settings = "") {
    return "[settings]\n"
           "database = \"" +
           database +
           "\"\n"
           "allow_private_networks = true  # the test server is on 127.0.0.1\n"
           "per_host_gap = \"0s\"\n" +
           extra_settings +
           "\n"
           "[[feed]]\n"
           "name = \"" +
           name +
           "\"\n"
           "url = \"" +
           url + "\"\n";
}

// A [[feed]] block of feeds.toml; `extra` is more `key = value` lines of it.
inline std::string feed_block(const std::string& name, const std::string& url,
                              const std::string& extra = "") {
    return "\n[[feed]]\nname = \"" + name + "\"\nurl = \"" + url + "\"\n" + extra;
}

// [settings] for a database "feedd.db" beside feeds.toml and feeds on the test's own server (as in
// one_feed_config), then `settings` (more lines of it) and `feeds` (feed_block's).
inline std::string config_with(const std::string& settings, const std::string& feeds) {
    return "[settings]\ndatabase = \"feedd.db\"\nallow_private_networks = true\nper_host_gap = \"0s\"\n" +
           settings + feeds;
}

// An RSS 2.0 feed of `items` items, numbered from 1: channel "Loop News" (http://loop.example/),
// item N titled "Loop story N" at http://loop.example/story/N, guid "story-N", an HTML description.
inline std::string numbered_rss(int items) {
    std::string out =
        "<rss version=\"2.0\"><channel><title>Loop News</title><link>http://loop.example/</link>";
    for (int i = 1; i <= items; ++i)
        out += "<item><title>Loop story " + std::to_string(i) + "</title><link>http://loop.example/story/" +
               std::to_string(i) + "</link><guid>story-" + std::to_string(i) +
               "</guid><description>&lt;p&gt;Story " + std::to_string(i) + "&lt;/p&gt;</description></item>";
    return out + "</channel></rss>";
}

}  // namespace feedd::test
