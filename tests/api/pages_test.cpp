// The web pages over real HTTP: what a person sees in a browser (search, an article and its edits,
// the feeds' health, the status), who may see it (login, sessions, CSRF, anonymous_read), and
// that nothing a feed sends runs.
#include <doctest/doctest.h>

#include <regex>
#include <set>

#include "api/client.hpp"
#include "api/world.hpp"
#include "feedd/parse/parse.hpp"
#include "support/fixtures.hpp"

using namespace feedd::test;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

const feedd::TimePoint polled{std::chrono::seconds(1'724'500'000)};  // 2024-08-24

// feeds.toml: the CGTN feed, a feed whose title carries a script, and one that fails.
const std::string pages_config = R"(
[http]
listen = "127.0.0.1:0"

[[feed]]
name = "cgtn"
url = "https://news.cgtn.example/china.rss"

[[feed]]
name = "hostile"
url = "https://hostile.example/feed.xml"

[[feed]]
name = "broken"
url = "https://broken.example/feed.xml"
)" + two_users;

void commit(feedd::store::Archive& archive, const feedd::FeedSource& feed, const feedd::ParsedFeed& parsed,
            feedd::TimePoint now, std::string error = {}) {
    feedd::FeedState state;
    state.name = feed.name;
    state.last_poll = now;
    state.next_poll = now + std::chrono::hours(1);
    state.last_status = error.empty() ? 200 : 500;
    state.last_error = std::move(error);
    state.consecutive_failures = state.last_error.empty() ? 0 : 3;
    if (state.last_error.empty()) state.last_success = now;
    (void)archive.commit_poll(feed, &parsed, state, now);
}

// The seed article in two polls (its body edited in the second), a hostile feed, a failing feed.
void seed(feedd::store::Archive& archive, const feedd::config::Config& config) {
    const auto& cgtn = config.feeds[0];
    feedd::parse::ParseOptions options;
    options.base_url = cgtn.url;
    commit(archive, cgtn, feedd::parse::parse_feed(read_fixture("cgtn-china.rss"), options), polled);
    commit(archive, cgtn, feedd::parse::parse_feed(read_fixture("cgtn-china-2.rss"), options),
           polled + std::chrono::hours(6));

    feedd::ParsedFeed hostile;
    hostile.title = "<script>alert('feed')</script>Hostile";
    feedd::Entry entry;
    entry.id = "h1";
    entry.title = "<script>alert('title')</script>Hostile title";
    entry.link = "https://hostile.example/1";
    entry.author = "\"><img src=x onerror=alert(1)>";
    entry.content =
        "<p>Hostile body<img src=\"x.png\" onerror=\"alert(1)\"><script>alert(2)</script>"
        "<a href=\"javascript:alert(3)\">more</a><iframe src=\"https://evil.example/\"></iframe></p>";
    entry.image = "javascript:alert(4)";
    entry.enclosures.push_back({"javascript:alert(5)", "audio/mpeg\"><script>alert(6)</script>", 10});
    entry.published = polled;
    hostile.entries.push_back(entry);
    commit(archive, config.feeds[1], hostile, polled);

    commit(archive, config.feeds[2], feedd::ParsedFeed{}, polled, "HTTP 500: <b>server error</b>");
}

std::vector<std::string> set_cookies(const Answer& answer) {
    std::vector<std::string> out;
    for (auto it = answer.fields.find("Set-Cookie");
         it != answer.fields.end() && it->name_string() == "Set-Cookie"; ++it)
        out.emplace_back(it->value());
    return out;
}

// "name=value" of the Set-Cookie naming `name`, or empty.
std::string cookie_pair(const Answer& answer, const std::string& name) {
    for (const auto& line : set_cookies(answer))
        if (line.starts_with(name + "=")) return line.substr(0, line.find(';'));
    return {};
}

std::string csrf_in(const std::string& html) {
    std::smatch match;
    REQUIRE(std::regex_search(html, match, std::regex(R"re(name="csrf" value="([0-9a-f]{64})")re")));
    return match[1];
}

// Logs alice in through the form, as a browser does: the session cookie ("feedd_session=...").
std::string log_in(const ApiWorld& world, const std::string& password = "alice-secret") {
    const auto form = fetch(world.endpoint, "GET", "/login");
    REQUIRE(form.status == 200);
    const auto pre = cookie_pair(form, "feedd_login");
    REQUIRE(!pre.empty());
    const auto answer = fetch(world.endpoint, "POST", "/login",
                              {{"Cookie", pre}, {"Content-Type", "application/x-www-form-urlencoded"}},
                              "csrf=" + csrf_in(form.body) + "&Email=alice&Passwd=" + password);
    REQUIRE(answer.status == 303);
    if (answer.header("Location") != "/") return {};
    return cookie_pair(answer, "feedd_session");
}

Answer get(const ApiWorld& world, const std::string& target, const std::string& session) {
    return fetch(world.endpoint, "GET", target, session.empty() ? Headers{} : Headers{{"Cookie", session}});
}

std::int64_t article_id_titled(const ApiWorld& world, const std::string& session, const std::string& words) {
    const auto page = get(world, "/?search=" + words, session);
    REQUIRE(page.status == 200);
    std::smatch match;
    REQUIRE(std::regex_search(page.body, match, std::regex(R"re(href="/articles/(\d+)")re")));
    return std::stoll(match[1]);
}

}  // namespace

TEST_CASE("pages: without a session every page sends the browser to the login form") {
    ApiWorld world(pages_config, seed);
    for (const char* target : {"/", "/articles/1", "/feeds", "/status", "/?search=western"}) {
        const auto answer = get(world, target, "");
        INFO(target);
        CHECK(answer.status == 303);
        CHECK(answer.header("Location") == "/login");
    }
    // A cookie that is no session is no better.
    CHECK(get(world, "/", "feedd_session=" + std::string(64, 'a')).status == 303);
    const auto form = get(world, "/login", "");
    CHECK(form.status == 200);
    CHECK(form.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(form.body.find("name=\"Passwd\"") != std::string::npos);
}

TEST_CASE("pages: logging in sets a strict session cookie, and the pages carry a strict CSP") {
    ApiWorld world(pages_config, seed);
    const auto form = get(world, "/login", "");
    const auto pre = cookie_pair(form, "feedd_login");
    const auto answer = fetch(world.endpoint, "POST", "/login",
                              {{"Cookie", pre},
                               {"Content-Type", "application/x-www-form-urlencoded"},
                               {"X-Forwarded-Proto", "https"}},
                              "csrf=" + csrf_in(form.body) + "&Email=alice&Passwd=alice-secret");
    REQUIRE(answer.status == 303);
    CHECK(answer.header("Location") == "/");
    std::string session_line;
    for (const auto& line : set_cookies(answer))
        if (line.starts_with("feedd_session=")) session_line = line;
    INFO(session_line);
    CHECK(session_line.find("HttpOnly") != std::string::npos);
    CHECK(session_line.find("SameSite=Strict") != std::string::npos);
    CHECK(session_line.find("Secure") != std::string::npos);  // the proxy said the client used TLS
    CHECK(std::regex_search(session_line, std::regex("^feedd_session=[0-9a-f]{64};")));

    const auto session = session_line.substr(0, session_line.find(';'));
    const auto page = get(world, "/", session);
    REQUIRE(page.status == 200);
    const auto csp = page.header("Content-Security-Policy");
    CHECK(csp.find("default-src 'none'") != std::string::npos);
    CHECK(csp.find("script-src") == std::string::npos);  // none: default-src 'none' forbids every script
    CHECK(page.header("X-Content-Type-Options") == "nosniff");
    CHECK(!page.header("Referrer-Policy").empty());
    CHECK(page.body.find("<script") == std::string::npos);
    CHECK(page.body.find("alice") != std::string::npos);

    // Over plain HTTP the cookie cannot be Secure, or the browser would drop it.
    const auto plain_session = log_in(world);
    CHECK(!plain_session.empty());
    const auto css = get(world, "/static/feedd.css", "");
    CHECK(css.status == 200);
    CHECK(css.header("Content-Type") == "text/css; charset=utf-8");
}

TEST_CASE("pages: a wrong password, a missing or foreign CSRF token log nobody in") {
    ApiWorld world(pages_config, seed);
    CHECK(log_in(world, "wrong").empty());
    const auto form = get(world, "/login", "");
    const auto pre = cookie_pair(form, "feedd_login");
    const Headers type{{"Content-Type", "application/x-www-form-urlencoded"}};
    // No token; a token without its cookie; a token of another login form's cookie.
    for (const auto& [cookie, body] : std::vector<std::pair<std::string, std::string>>{
             {pre, "Email=alice&Passwd=alice-secret"},
             {"", "csrf=" + csrf_in(form.body) + "&Email=alice&Passwd=alice-secret"},
             {"feedd_login=" + std::string(64, 'b'),
              "csrf=" + csrf_in(form.body) + "&Email=alice&Passwd=alice-secret"}}) {
        auto headers = type;
        if (!cookie.empty()) headers.emplace_back("Cookie", cookie);
        const auto answer = fetch(world.endpoint, "POST", "/login", headers, body);
        INFO(body);
        CHECK(answer.status == 403);
        CHECK(cookie_pair(answer, "feedd_session").empty());
    }
}

TEST_CASE("pages: logout needs the session's CSRF token and ends the session") {
    ApiWorld world(pages_config, seed);
    const auto session = log_in(world);
    REQUIRE(!session.empty());
    const auto page = get(world, "/", session);
    REQUIRE(page.status == 200);
    const auto token = csrf_in(page.body);
    const Headers form{{"Cookie", session}, {"Content-Type", "application/x-www-form-urlencoded"}};
    // Another site's form cannot know the token: refused, the session stays.
    CHECK(fetch(world.endpoint, "POST", "/logout", form, "csrf=" + std::string(64, '0')).status == 403);
    CHECK(get(world, "/", session).status == 200);
    const auto out = fetch(world.endpoint, "POST", "/logout", form, "csrf=" + token);
    CHECK(out.status == 303);
    CHECK(cookie_pair(out, "feedd_session") == "feedd_session=");
    // The old cookie is worthless now, even if a browser kept it.
    CHECK(get(world, "/", session).status == 303);
}

TEST_CASE("pages: a new password ends the sessions the old one opened") {
    ApiWorld world(pages_config, seed);
    const auto session = log_in(world);
    REQUIRE(get(world, "/", session).status == 200);
    write_file(world.dir / "alice.pass", "another-secret\n");
    auto changed = feedd::config::load_config(world.dir / "feeds.toml");
    world.server->reconfigure(changed);
    CHECK(get(world, "/", session).status == 303);
    CHECK(!log_in(world, "another-secret").empty());
}

TEST_CASE("pages: anonymous_read opens the read-only pages, not logout") {
    const auto open = std::regex_replace(pages_config, std::regex("listen = \"127.0.0.1:0\""),
                                         "listen = \"127.0.0.1:0\"\nanonymous_read = true");
    ApiWorld world(open, seed);
    for (const char* target : {"/", "/feeds", "/status"}) {
        INFO(target);
        CHECK(get(world, target, "").status == 200);
    }
    const auto article = article_id_titled(world, "", "western");
    CHECK(get(world, "/articles/" + std::to_string(article), "").status == 200);
    CHECK(get(world, "/", "").body.find("href=\"/login\"") != std::string::npos);
    CHECK(fetch(world.endpoint, "POST", "/logout", {{"Content-Type", "application/x-www-form-urlencoded"}},
                "csrf=x")
              .status == 303);
    // The APIs still want a user.
    CHECK(get(world, "/v1/feeds", "").status == 401);
}

TEST_CASE("pages: anonymous_read must be true or false") {
    TempDir dir;
    write_file(dir / "feeds.toml", "[http]\nlisten = \"127.0.0.1:0\"\nanonymous_read = \"yes\"\n");
    try {
        (void)feedd::config::load_config(dir / "feeds.toml");
        FAIL("a string was taken");
    } catch (const feedd::config::ConfigError& e) {
        CHECK(std::string(e.what()).find("anonymous_read") != std::string::npos);
        CHECK(std::string(e.what()).find("true or false") != std::string::npos);
    }
}

TEST_CASE("pages: search finds the seed article, highlights the hit and opens it with its edit") {
    ApiWorld world(pages_config, seed);
    const auto session = log_in(world);
    const auto results = get(world, "/?search=%22western+region%22", session);
    REQUIRE(results.status == 200);
    CHECK(results.body.find("Xi chairs CPC leadership meeting on developing China&#39;s western region") !=
          std::string::npos);
    CHECK(results.body.find("<mark>") != std::string::npos);
    CHECK(results.body.find("value=\"&quot;western region&quot;\"") !=
          std::string::npos);  // the form keeps it

    const auto id = article_id_titled(world, session, "leadership+meeting");
    const auto article = get(world, "/articles/" + std::to_string(id), session);
    REQUIRE(article.status == 200);
    const auto& body = article.body;
    CHECK(body.find("cgtn") != std::string::npos);  // its feed
    // The edit, and when: the end of the sentence that changed, before and after.
    CHECK(std::regex_search(
        body, std::regex(R"(chaired the <del>meeting\.\s*</del>)"
                         R"(<ins>meeting, according to a statement released after it\.\s*</ins>)")));
    CHECK(body.find("Changed <time datetime=\"2024-08-24T") != std::string::npos);
    // The unchanged paragraphs far from the edit are left out of it.
    const auto edits = body.substr(body.find("Edits in cgtn"));
    CHECK(edits.find("<span class=\"muted\">… </span>") != std::string::npos);
    CHECK(edits.find("poverty alleviation") == std::string::npos);
}

TEST_CASE("pages: a feed's script is text, hostile article HTML is sanitised") {
    ApiWorld world(pages_config, seed);
    const auto session = log_in(world);
    const auto results = get(world, "/?feed=hostile", session);
    REQUIRE(results.status == 200);
    CHECK(results.body.find("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;Hostile title") !=
          std::string::npos);
    CHECK(results.body.find("<script") == std::string::npos);

    const auto id = article_id_titled(world, session, "hostile");
    const auto page = get(world, "/articles/" + std::to_string(id), session);
    REQUIRE(page.status == 200);
    const auto& body = page.body;
    CHECK(body.find("<script") == std::string::npos);
    CHECK(body.find("onerror=\"") == std::string::npos);
    CHECK(body.find("<img src=x") == std::string::npos);
    CHECK(body.find("href=\"javascript:") == std::string::npos);
    CHECK(body.find("src=\"javascript:") == std::string::npos);
    CHECK(body.find("evil.example") == std::string::npos);
    CHECK(body.find("&quot;&gt;&lt;img src=x") != std::string::npos);  // the author, as text
    CHECK(body.find("Hostile body") != std::string::npos);

    const auto feeds = get(world, "/feeds", session);
    REQUIRE(feeds.status == 200);
    CHECK(feeds.body.find("&lt;script&gt;alert(&#39;feed&#39;)&lt;/script&gt;Hostile") != std::string::npos);
    CHECK(feeds.body.find("<script") == std::string::npos);
}

TEST_CASE("pages: /feeds shows each feed's state, polls, error and a 30-day chart, and /status the health") {
    ApiWorld world(pages_config, seed);
    const auto session = log_in(world);
    const auto feeds = get(world, "/feeds", session);
    REQUIRE(feeds.status == 200);
    const auto& body = feeds.body;
    const auto broken = body.find("<th scope=\"row\">broken");
    REQUIRE(broken != std::string::npos);
    const auto row = body.substr(broken, body.find("</tr>", broken) - broken);
    CHECK(row.find("class=\"state-failing\">failing<") != std::string::npos);
    CHECK(row.find("HTTP 500: &lt;b&gt;server error&lt;/b&gt;") != std::string::npos);
    const auto cgtn = body.substr(body.find("<th scope=\"row\">cgtn"));
    CHECK(cgtn.find("class=\"state-ok\">ok<") != std::string::npos);
    CHECK(cgtn.find("<svg class=\"chart\"") != std::string::npos);
    CHECK(cgtn.find("<time datetime=\"2024-08-24T") != std::string::npos);

    const auto status = get(world, "/status", session);
    REQUIRE(status.status == 200);
    CHECK(status.body.find("Failing feeds") != std::string::npos);
    CHECK(status.body.find("broken: HTTP 500") != std::string::npos);
}

TEST_CASE("pages: bad ids and cursors are 400, a missing article 404, as pages") {
    ApiWorld world(pages_config, seed);
    const auto session = log_in(world);
    for (const char* target :
         {"/articles/abc", "/articles/-3", "/articles/0", "/?cursor=zz", "/?cursor=d12",
          "/?search=x&cursor=d1.2", "/?cursor=s5", "/?cursor=d9223372036854775807.1", "/?search=x&cursor=s-1",
          "/?search=x&cursor=s1001", "/?since=yesterdayish", "/?limit=0"}) {
        const auto answer = get(world, target, session);
        INFO(target << ": " << answer.body);
        CHECK(answer.status == 400);
        CHECK(answer.header("Content-Type") == "text/html; charset=utf-8");
    }
    CHECK(get(world, "/?feed=nosuch", session).status == 400);
    CHECK(get(world, "/?search=%22unbalanced", session).status == 400);
    const auto missing = get(world, "/articles/99999", session);
    CHECK(missing.status == 404);
    CHECK(missing.header("Content-Type") == "text/html; charset=utf-8");
}

TEST_CASE("pages: paging by cursor shows every article once, browsing and searching") {
    auto config = pages_config;
    ApiWorld world(config, [](feedd::store::Archive& archive, const feedd::config::Config& cfg) {
        feedd::ParsedFeed parsed;
        for (int i = 0; i < 130; ++i) {
            feedd::Entry entry;
            entry.id = "n" + std::to_string(i);
            entry.title = "Numbered story " + std::to_string(i);
            entry.link = "https://news.cgtn.example/" + std::to_string(i);
            entry.content = "<p>Story " + std::to_string(i) + " " + std::string(600, 'x') + "</p>";
            // Pairs of articles share a second: the cursor must not lose or repeat either.
            entry.published = polled - std::chrono::seconds(i / 2);
            parsed.entries.push_back(entry);
        }
        commit(archive, cfg.feeds[0], parsed, polled);
    });
    const auto session = log_in(world);
    // Browsing (by date, cursor below the last row) and searching (ranked, cursor by position).
    for (const std::string start : {"/?feed=cgtn", "/?search=numbered+story"}) {
        INFO(start);
        std::set<std::int64_t> seen;
        std::string target = start;
        int pages = 0;
        while (!target.empty() && pages < 10) {
            const auto page = get(world, target, session);
            REQUIRE(page.status == 200);
            CHECK(page.body.size() < 100 * 1024);
            ++pages;
            const std::regex link(R"re(href="/articles/(\d+)")re");
            for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), link);
                 it != std::sregex_iterator(); ++it)
                CHECK(seen.insert(std::stoll((*it)[1])).second);
            std::smatch next;
            target = std::regex_search(page.body, next, std::regex(R"re(rel="next" href="([^"]+)")re"))
                         ? std::regex_replace(next[1].str(), std::regex("&amp;"), "&")
                         : "";
        }
        CHECK(pages == 3);
        CHECK(seen.size() == 130);
    }
}
