// The web pages (docs/ARCHITECTURE.md, "Web pages"): the archive to search and read, an article's
// edits, the feeds' health and the daemon's status, as server-rendered HTML on the API's listener.
// No script, no asset from elsewhere: one stylesheet served from the binary, and a
// Content-Security-Policy that allows nothing else of ours to run.
#include "api/pages.hpp"

#include <uriparser/Uri.h>

#include <algorithm>
#include <array>
#include <map>
#include <nlohmann/json.hpp>

#include "api/auth.hpp"
#include "api/params.hpp"
#include "api/saved_queries.hpp"
#include "feedd/html/html.hpp"
#include "feedd/text/diff.hpp"
#include "feedd/text/text.hpp"

namespace feedd::api {
namespace {

using html::escape;

constexpr int kPageSize = 50;
constexpr std::int64_t kMaxSkip = 1000;  // a search's results are ranked: paged by position, so far

// Our stylesheet, the one asset: small, so that a page of 50 results stays far under 100 KB.
constexpr std::string_view stylesheet = R"css(
:root { color-scheme: light dark; --muted: #666; --line: #ccc; --bad: #b00020; --good: #1b7f3b; --mark: #ffe58a; }
@media (prefers-color-scheme: dark) { :root { --muted: #aaa; --line: #444; --bad: #ff6b81; --good: #6fcf8f; --mark: #665c00; } }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 50rem; padding: 0 1rem 2rem; }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; border-bottom: 1px solid var(--line); padding: .5rem 0; }
header nav a { margin-right: 1rem; }
header form { margin-left: auto; }
a:focus, button:focus, input:focus, select:focus { outline: 2px solid Highlight; outline-offset: 2px; }
form.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .5rem; margin: 1rem 0; }
form.filters label { display: flex; flex-direction: column; font-size: .9rem; }
input, select, button { font: inherit; padding: .3rem; max-width: 100%; }
ol.results { list-style: none; padding: 0; }
ol.results li { border-bottom: 1px solid var(--line); padding: .5rem 0; }
.meta, .muted { color: var(--muted); font-size: .9rem; }
mark { background: var(--mark); color: inherit; }
article img, article video, article iframe { max-width: 100%; height: auto; }
ins { background: rgba(27,127,59,.2); text-decoration: none; }
del { background: rgba(176,0,32,.2); }
.diff { white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .3rem; border-bottom: 1px solid var(--line); }
.table { overflow-x: auto; }
.state-ok { color: var(--good); }
.state-failing, .state-gone, .state-paused { color: var(--bad); font-weight: bold; }
.error { color: var(--bad); overflow-wrap: anywhere; }
svg.chart rect { fill: currentColor; }
)css";

// What a page may load and run: our stylesheet; images and media of articles from anywhere (they
// are the publishers'); the video players the sanitiser keeps; no script at all.
constexpr std::string_view content_security_policy =
    "default-src 'none'; style-src 'self'; img-src 'self' https: http: data:; media-src https: http:; "
    "frame-src https://www.youtube.com https://www.youtube-nocookie.com https://player.vimeo.com "
    "https://www.dailymotion.com https://w.soundcloud.com; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'";

void secure(Response& response) {
    response.headers.emplace_back("Content-Security-Policy", std::string(content_security_policy));
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "same-origin");
    response.headers.emplace_back("X-Frame-Options", "DENY");
}

bool over_tls(const Request& request) {
    return text::to_lower(request.header("x-forwarded-proto").value_or("")) == "https";
}

// A cookie of ours: HttpOnly, SameSite=Strict, Secure when the client came over TLS (a proxy in
// front says so in X-Forwarded-Proto); `max_age` 0 removes it.
std::string cookie(const Request& request, std::string_view name, std::string_view value,
                   std::optional<std::chrono::seconds> max_age) {
    std::string out = std::string(name) + "=" + std::string(value) + "; Path=/; HttpOnly; SameSite=Strict";
    if (max_age) out += "; Max-Age=" + std::to_string(max_age->count());
    if (over_tls(request)) out += "; Secure";
    return out;
}

// A query component: everything but unreserved characters percent-encoded, spaces as '+'.
std::string query_escape(std::string_view text) {
    std::string out(text.size() * 6 + 1, '\0');
    const char* end = uriEscapeExA(text.data(), text.data() + text.size(), out.data(), URI_TRUE, URI_FALSE);
    out.resize(static_cast<std::size_t>(end - out.data()));
    return out;
}

std::string when(TimePoint t) {
    const auto iso = format_utc(t);  // 2024-08-23T06:05:10Z
    return "<time datetime=\"" + escape(iso) + "\">" + escape(iso.substr(0, 10)) + " " +
           escape(iso.substr(11, 5)) + "</time>";
}

std::string when(const std::optional<TimePoint>& t, std::string_view otherwise = "never") {
    return t ? when(*t) : std::string(otherwise);
}

// The page around `main`: navigation, who is logged in, and the logout form with its CSRF token.
Response page(const Context& context, std::string_view title, const std::string& main, int status = 200) {
    std::string out;
    out.reserve(main.size() + 2048);
    out +=
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<link rel=\"stylesheet\" href=\"/static/feedd.css\">"
        // No icon: a browser would ask for /favicon.ico, a 404 in its console.
        "<link rel=\"icon\" href=\"data:,\"><title>";
    out += escape(title);
    out +=
        " · feedd</title></head><body><header><nav aria-label=\"Main\"><a href=\"/\">Search</a>"
        "<a href=\"/feeds\">Feeds</a><a href=\"/status\">Status</a></nav>";
    if (context.user && !context.user->web_session.empty() && context.sessions) {
        out += "<form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"";
        out += escape(context.sessions->csrf_token(context.user->web_session));
        out += "\"><span class=\"muted\">";
        out += escape(context.user->name);
        out += "</span> <button type=\"submit\">Log out</button></form>";
    } else {
        out += "<a href=\"/login\">Log in</a>";
    }
    out += "</header><main>";
    out += main;
    out += "</main></body></html>\n";
    Response response;
    response.status = status;
    response.content_type = "text/html; charset=utf-8";
    response.body = std::move(out);
    response.headers.emplace_back("Cache-Control", "no-store");
    secure(response);
    return response;
}

Response error_page(const Context& context, int status, std::string_view message) {
    return page(context, "Error",
                "<h1>" + std::to_string(status) + "</h1><p class=\"error\">" + escape(message) + "</p>",
                status);
}

Response redirect(std::string location) {
    Response response;
    response.status = 303;
    response.content_type = "text/plain; charset=utf-8";
    response.headers.emplace_back("Location", std::move(location));
    response.headers.emplace_back("Cache-Control", "no-store");
    secure(response);
    return response;
}

// What a page's caller without a session is answered: the login form.
Response to_login() {
    return redirect("/login");
}

// The message of an API's JSON error (what query_of's BadRequest carries), for a page.
std::string message_of(const Response& response) {
    const auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (json.is_object() && json.contains("error_message") && json["error_message"].is_string())
        return json["error_message"].get<std::string>();
    return response.body;
}

// ----- / : search and browse

// A snippet's hits are between [ and ] (Archive::query): they become <mark>.
std::string snippet_html(std::string_view snippet, bool searched) {
    if (!searched) return escape(snippet);
    std::string out;
    std::size_t start = 0;
    while (start < snippet.size()) {
        const auto open = snippet.find('[', start);
        const auto close = open == std::string_view::npos ? open : snippet.find(']', open);
        if (close == std::string_view::npos) {
            out += escape(snippet.substr(start));
            break;
        }
        out += escape(snippet.substr(start, open - start));
        out += "<mark>" + escape(snippet.substr(open + 1, close - open - 1)) + "</mark>";
        start = close + 1;
    }
    return out;
}

// The cursor of the next page: "d<seconds>.<id>" after the last article shown when browsing (by
// date, newest first: the next page starts below it, whatever arrived meanwhile); "s<count>" when
// searching (ranked: the next page starts after that many).
struct Cursor {
    std::optional<std::pair<std::int64_t, std::int64_t>> below;  // date in seconds, id
    std::int64_t skip = 0;
};

Cursor cursor_of(const Request& request, bool searching) {
    Cursor cursor;
    const auto value = request.query_value("cursor").value_or("");
    if (value.empty()) return cursor;
    const auto bad = [&] { return BadRequest{json_error(400, "invalid cursor: " + value)}; };
    if (!searching && value.front() == 'd') {
        const auto dot = value.find('.');
        if (dot == std::string::npos) throw bad();
        const auto seconds = number(value.substr(1, dot - 1)), id = number(value.substr(dot + 1));
        // Dates within ±3000 years: what an archive holds, and no overflow one second later.
        constexpr std::int64_t far = std::int64_t{3000} * 366 * 86400;
        if (!seconds || !id || *id <= 0 || *seconds < -far || *seconds > far) throw bad();
        cursor.below = {*seconds, *id};
    } else if (searching && value.front() == 's') {
        const auto skip = number(value.substr(1));
        if (!skip || *skip < 0 || *skip > kMaxSkip) throw bad();
        cursor.skip = *skip;
    } else {
        throw bad();
    }
    return cursor;
}

std::int64_t seconds_of(TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// One page of the query's articles after the cursor, and whether more follow.
std::pair<std::vector<store::ArticleRow>, bool> results(store::Archive& archive, store::ArticleQuery query,
                                                        const Cursor& cursor) {
    const auto size = static_cast<std::size_t>(query.limit);
    std::vector<store::ArticleRow> rows;
    if (cursor.below) {
        // Below (date, id) in the order (date desc, id desc): dates up to the cursor's second,
        // without what the last page showed of that second.
        const auto [seconds, id] = *cursor.below;
        const TimePoint up_to{std::chrono::seconds(seconds + 1)};
        if (!query.until || *query.until > up_to) query.until = up_to;
        for (int fetch = query.limit + 1;; fetch *= 2) {
            query.limit = fetch;
            auto found = archive.query(query);
            const bool all = found.size() < static_cast<std::size_t>(fetch);
            rows.clear();
            for (auto& row : found)
                if (!(seconds_of(row.date) == seconds && row.id >= id)) rows.push_back(std::move(row));
            if (all || rows.size() > size) break;
        }
    } else {
        query.limit = static_cast<int>(cursor.skip) + query.limit + 1;
        rows = archive.query(query);
        rows.erase(rows.begin(), rows.begin() + std::min<std::ptrdiff_t>(cursor.skip, std::ssize(rows)));
    }
    const bool more = rows.size() > size;
    if (more) rows.resize(size);
    return {std::move(rows), more};
}

std::string field(std::string_view label, std::string_view name, std::string_view value,
                  std::string_view type = "text", std::string_view hint = {}) {
    std::string out = "<label>" + escape(label) + " <input type=\"" + std::string(type) + "\" name=\"" +
                      std::string(name) + "\" value=\"" + escape(value) + "\"";
    if (!hint.empty()) out += " placeholder=\"" + escape(hint) + "\"";
    return out + "></label>";
}

Response search_page(const Request& request, Context& context) {
    const auto value = [&](std::string_view name) { return request.query_value(name).value_or(""); };
    std::string main =
        "<h1>Search the archive</h1><form class=\"filters\" method=\"get\" action=\"/\" role=\"search\">";
    main += field("Words", "search", value("search"), "search", "western region");
    main += "<label>Feed <select name=\"feed\"><option value=\"\">any</option>";
    for (const auto& feed : context.config.feeds) {
        main += "<option value=\"" + escape(feed.name) + "\"";
        if (feed.name == value("feed")) main += " selected";
        main +=
            ">" + escape(feed.title.empty() ? feed.name : feed.name + " (" + feed.title + ")") + "</option>";
    }
    main += "</select></label>";
    main += field("Category", "category", value("category"));
    main += field("Since", "since", value("since"), "text", "7d, 2024-08-01");
    main += field("Until", "until", value("until"), "text", "2024-09-01");
    main += "<button type=\"submit\">Search</button></form>";

    store::ArticleQuery query;
    Cursor cursor;
    try {
        query = query_of(request);
        if (!request.query_value("limit")) query.limit = kPageSize;
        cursor = cursor_of(request, !query.search.empty());
    } catch (const BadRequest& bad) {
        return error_page(context, 400, message_of(bad.response));
    }
    std::vector<store::ArticleRow> rows;
    bool more = false;
    try {
        std::tie(rows, more) = results(context.archive, query, cursor);
    } catch (const store::QueryError& e) {
        return error_page(context, 400, e.what());  // an unknown feed, bad search syntax
    }
    if (rows.empty()) {
        main += cursor.below || cursor.skip ? "<p>No more articles.</p>" : "<p>No articles match.</p>";
        return page(context, "Search", main);
    }
    main += "<ol class=\"results\">";
    for (const auto& row : rows) {
        main += "<li><article><h2><a href=\"/articles/" + std::to_string(row.id) + "\">";
        main += escape(row.title.empty() ? "(untitled)" : row.title);
        main += "</a></h2><p class=\"meta\">" + when(row.date);
        for (const auto& feed : row.feeds) main += " · " + escape(feed);
        main += "</p><p>" + snippet_html(row.snippet, !query.search.empty()) + "</p></article></li>";
    }
    main += "</ol>";
    if (more) {
        std::string next = "/?";
        for (const auto& [name, value] : request.query)
            if (name != "cursor") next += query_escape(name) + "=" + query_escape(value) + "&";
        next += "cursor=" + (query.search.empty() ? "d" + std::to_string(seconds_of(rows.back().date)) + "." +
                                                        std::to_string(rows.back().id)
                                                  : "s" + std::to_string(cursor.skip + std::ssize(rows)));
        main +=
            "<nav aria-label=\"Pages\"><a rel=\"next\" href=\"" + escape(next) + "\">Older results</a></nav>";
    }
    return page(context, query.search.empty() ? "Browse" : "Search: " + query.search, main);
}

// ----- /articles/{id}

// Unchanged text far from a change is left out ("…"): a reader looks for what changed.
constexpr std::size_t kContext = 120;  // bytes kept on each side of a change

// The start or the end of `text`, about `bytes` long, cut at a space (never inside a character).
std::string_view head(std::string_view text, std::size_t bytes) {
    const auto space = text.rfind(' ', bytes);
    return text.substr(0, space == std::string_view::npos ? 0 : space + 1);
}
std::string_view tail(std::string_view text, std::size_t bytes) {
    const auto space = text.find(' ', text.size() - bytes);
    return space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
}

std::string unchanged_html(std::string_view text, bool first, bool last) {
    if (text.size() <= 2 * kContext + 40) return escape(text);
    std::string out;
    if (!first) out += escape(head(text, kContext));
    out += "<span class=\"muted\">… </span>";
    if (!last) out += escape(tail(text, kContext));
    return out;
}

std::string diff_html(std::string_view before, std::string_view after) {
    std::string out;
    const auto parts = text::diff_words(before, after);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& part = parts[i];
        switch (part.kind) {
            case text::DiffPart::Kind::same:
                out += unchanged_html(part.text, i == 0, i + 1 == parts.size());
                break;
            case text::DiffPart::Kind::added: out += "<ins>" + escape(part.text) + "</ins>"; break;
            case text::DiffPart::Kind::removed: out += "<del>" + escape(part.text) + "</del>"; break;
        }
    }
    return out;
}

// An entry's edits, newest first: each revision is the version an edit replaced, at its time.
std::string revisions_html(const store::EntryDetail& entry) {
    if (entry.revisions.empty()) return {};
    std::string out = "<section><h3>Edits in " + escape(entry.feed) + "</h3><ol reversed>";
    for (std::size_t k = entry.revisions.size(); k-- > 0;) {
        const auto& before = entry.revisions[k];
        const bool last = k + 1 == entry.revisions.size();
        const std::string& after_title = last ? entry.entry.title : entry.revisions[k + 1].title;
        const std::string& after_text = last ? entry.text : entry.revisions[k + 1].text;
        out += "<li><p class=\"meta\">Changed " + when(before.recorded_at) + "</p>";
        if (before.title != after_title)
            out += "<p>Title: <span class=\"diff\">" + diff_html(before.title, after_title) + "</span></p>";
        if (before.text != after_text)
            out += "<p class=\"diff\">" + diff_html(before.text, after_text) + "</p>";
        else if (before.title == after_title)
            out += "<p class=\"muted\">No change in the text (markup only).</p>";
        out += "</li>";
    }
    return out + "</ol></section>";
}

std::string size_text(std::int64_t bytes) {
    if (bytes >= 10 << 20) return std::to_string(bytes >> 20) + " MiB";
    if (bytes >= 10 << 10) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
}

Response article_page(const Request& request, Context& context) {
    const auto& raw = request.params.at("id");
    const auto id = number(raw);
    if (!id || *id <= 0) return error_page(context, 400, "invalid article id: " + raw);
    const auto article = context.archive.article(*id);
    if (!article) return error_page(context, 404, "no article " + std::to_string(*id) + " in the archive");
    const auto& shown = article->fullest();
    const auto& entry = shown.entry;
    std::string main = "<article><h1>" + escape(entry.title.empty() ? "(untitled)" : entry.title) + "</h1>";
    main += "<p class=\"meta\">" + when(article->date);
    if (!entry.author.empty()) main += " · " + escape(entry.author);
    if (!entry.link.empty())
        main += " · <a href=\"" + escape(entry.link) + "\" rel=\"noopener noreferrer\">original</a>";
    main += "</p><p class=\"meta\">Feeds: ";
    for (std::size_t i = 0; i < article->feeds.size(); ++i)
        main += (i ? ", " : "") + escape(article->feeds[i]);
    main += "</p>";
    if (!entry.image.empty()) {
        // Only an http(s) URL: the sanitiser's rule for an img (no javascript:, no SVG data).
        const auto image = html::sanitize("<img src=\"" + escape(entry.image) + "\" alt=\"\">", entry.link);
        if (!image.empty()) main += "<figure>" + image + "</figure>";
    }
    const auto& body = !entry.content.empty() ? entry.content : entry.summary;
    main += "<div class=\"content\">" + html::sanitize(body, entry.link) + "</div>";
    if (!entry.enclosures.empty()) {
        main += "<section><h2>Enclosures</h2><ul>";
        for (const auto& enclosure : entry.enclosures) {
            const auto link = html::sanitize(
                "<a href=\"" + escape(enclosure.url) + "\">" + escape(enclosure.url) + "</a>", entry.link);
            // A URL the sanitiser refuses (javascript:, no host) is shown, not linked.
            main += "<li>" + (link.find(" href=") == std::string::npos ? escape(enclosure.url) : link);
            if (!enclosure.type.empty()) main += " <span class=\"muted\">" + escape(enclosure.type);
            if (enclosure.length) main += ", " + size_text(*enclosure.length);
            if (!enclosure.type.empty()) main += "</span>";
            main += "</li>";
        }
        main += "</ul></section>";
    }
    main +=
        "</article><section><h2>Versions</h2><table><thead><tr><th scope=\"col\">Feed</th>"
        "<th scope=\"col\">First seen</th><th scope=\"col\">Last change</th><th scope=\"col\">Edits</th>"
        "</tr></thead><tbody>";
    std::size_t edits = 0;
    for (const auto& version : article->entries) {
        main += "<tr><td>" + escape(version.feed) + "</td><td>" + when(version.first_seen) + "</td><td>" +
                when(version.changed_at, "none") + "</td><td>" + std::to_string(version.revisions.size()) +
                "</td></tr>";
        edits += version.revisions.size();
    }
    main += "</tbody></table>";
    if (edits == 0) main += "<p class=\"muted\">No edits recorded.</p>";
    for (const auto& version : article->entries) main += revisions_html(version);
    main += "</section>";
    return page(context, entry.title.empty() ? "Article " + std::to_string(*id) : entry.title, main);
}

// ----- /feeds

constexpr int kChartDays = 30;

// Articles a day over the last 30 days as a small bar chart, with its numbers as its text.
std::string chart(const std::vector<store::EntryTimes>& times, TimePoint now) {
    std::array<int, kChartDays> per_day{};
    const auto today = std::chrono::floor<std::chrono::days>(now);
    for (const auto& time : times) {
        const auto day = std::chrono::floor<std::chrono::days>(time.first_seen);
        const auto ago = (today - day).count();
        if (ago >= 0 && ago < kChartDays) ++per_day[static_cast<std::size_t>(kChartDays - 1 - ago)];
    }
    const int most = std::max(1, *std::max_element(per_day.begin(), per_day.end()));
    int total = 0;
    for (int n : per_day) total += n;
    constexpr int width = 4, height = 24;
    std::string out = "<svg class=\"chart\" width=\"" + std::to_string(kChartDays * width) + "\" height=\"" +
                      std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(kChartDays * width) +
                      " " + std::to_string(height) + "\" role=\"img\" aria-label=\"" + std::to_string(total) +
                      " articles in 30 days\"><title>" + std::to_string(total) +
                      " articles in the last 30 days</title>";
    for (int i = 0; i < kChartDays; ++i) {
        if (per_day[static_cast<std::size_t>(i)] == 0) continue;
        const int h = std::max(1, per_day[static_cast<std::size_t>(i)] * height / most);
        out += "<rect x=\"" + std::to_string(i * width) + "\" y=\"" + std::to_string(height - h) +
               "\" width=\"" + std::to_string(width - 1) + "\" height=\"" + std::to_string(h) + "\"/>";
    }
    return out + "</svg>";
}

// The daemon's health as `feedd status --format json` has it (the HealthCheck's document).
nlohmann::json health_of(const HealthCheck& health, store::Archive& archive) {
    auto json = nlohmann::json::parse(health(archive).second, nullptr, false);
    return json.is_discarded() ? nlohmann::json::object() : json;
}

Response feeds_page(Context& context, const HealthCheck& health) {
    const TimePoint now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    // The state detail: the page shows states, gaps and titles, never the counts that `full`
    // scans every feed's entries for.
    const auto summaries = context.archive.feed_summaries(store::SummaryDetail::state);
    const auto report = health_of(health, context.archive);
    std::map<std::string, std::string> paused;  // feed → until
    if (report.contains("paused_hosts") && report["paused_hosts"].is_array())
        for (const auto& host : report["paused_hosts"])
            for (const auto& feed : host.value("feeds", nlohmann::json::array()))
                if (feed.is_string()) paused[feed.get<std::string>()] = host.value("until", "");

    std::string main =
        "<h1>Feeds</h1><div class=\"table\"><table><thead><tr><th scope=\"col\">Feed</th>"
        "<th scope=\"col\">State</th><th scope=\"col\">Last poll</th><th scope=\"col\">Next poll</th>"
        "<th scope=\"col\">Articles a day (30 days)</th><th scope=\"col\">Last "
        "error</th></tr></thead><tbody>";
    const auto row = [&](const std::string& name, const std::string& title, const std::string& url,
                         FeedStatus status, const store::FeedSummary* summary) {
        const FeedState* state = summary ? &summary->state : nullptr;
        std::string word(to_string(status));
        std::string css = word;
        std::string detail;
        if (status == FeedStatus::failing && state) {
            // The archive keeps no start of a failing stretch; the last success bounds it.
            detail = state->last_success ? " since after " + when(*state->last_success)
                                         : " (" + std::to_string(state->consecutive_failures) + " polls)";
        }
        if (state && !state->moved_to.empty()) detail += "<br>moved to " + escape(state->moved_to);
        if (const auto it = paused.find(name); it != paused.end()) {
            word = "paused host";
            css = "paused";
            detail += " until " + escape(it->second);
        }
        if (summary && summary->recent_gaps > 0)
            detail += "<br>" + std::to_string(summary->recent_gaps) + " gap(s), about " +
                      std::to_string(summary->recent_gap_items) + " items lost";
        main += "<tr><th scope=\"row\">" + escape(name);
        if (!title.empty() && title != name) main += "<br><span class=\"muted\">" + escape(title) + "</span>";
        main += "<br><span class=\"muted\">" + escape(url) + "</span></th><td><span class=\"state-" + css +
                "\">" + escape(word) + "</span>" + detail + "</td><td>" +
                when(state ? state->last_poll : std::nullopt) + "</td><td>" +
                when(state ? state->next_poll : std::nullopt, "—") + "</td><td>" +
                (summary ? chart(context.archive.entry_times(name, now - std::chrono::days(kChartDays)), now)
                         : std::string("—")) +
                "</td><td class=\"error\">" + (state ? escape(state->last_error) : std::string()) +
                "</td></tr>";
    };
    std::map<std::string, const store::FeedSummary*> by_name;
    for (const auto& summary : summaries) by_name.emplace(summary.name, &summary);
    for (const auto& feed : context.config.feeds) {
        const auto it = by_name.find(feed.name);
        const store::FeedSummary* summary = it == by_name.end() ? nullptr : it->second;
        if (it != by_name.end()) by_name.erase(it);
        const auto title = summary && !summary->title.empty() ? summary->title : feed.title;
        row(feed.name, title, feed.url, feed_status(feed, summary ? &summary->state : nullptr), summary);
    }
    for (const auto& [name, summary] : by_name)  // no longer configured: still archived
        row(name, summary->title, summary->url, FeedStatus::removed, summary);
    main += "</tbody></table></div>";
    return page(context, "Feeds", main);
}

// ----- /status

Response status_page(Context& context, const HealthCheck& health) {
    const auto report = health_of(health, context.archive);
    const auto text_of = [&](const char* key) -> std::string {
        if (!report.contains(key) || report[key].is_null()) return "—";
        return report[key].is_string() ? report[key].get<std::string>() : report[key].dump();
    };
    const auto word = text_of("health");
    std::string main = "<h1>Status: <span class=\"state-" +
                       std::string(word == "healthy" ? "ok" : "failing") + "\">" + escape(word) +
                       "</span></h1><dl>";
    for (const auto& [label, key] : std::initializer_list<std::pair<const char*, const char*>>{
             {"Archive", "archive"},
             {"Feeds", "feeds"},
             {"Articles", "articles"},
             {"Archive size (bytes)", "archive_bytes"},
             {"Bytes per article", "bytes_per_article"},
             {"Last successful poll", "last_successful_poll"},
             {"Offline since", "offline_since"}})
        main += "<dt>" + escape(label) + "</dt><dd>" + escape(text_of(key)) + "</dd>";
    main += "</dl>";
    const auto list = [&](const char* key, const char* heading) {
        if (!report.contains(key) || !report[key].is_array() || report[key].empty()) return;
        main += "<h2>" + escape(heading) + "</h2><ul>";
        for (const auto& item : report[key])
            main += "<li class=\"error\">" +
                    escape(item.is_string() ? item.get<std::string>() : item.dump()) + "</li>";
        main += "</ul>";
    };
    list("failing_feeds", "Failing feeds");
    list("gapping_feeds", "Feeds with gaps");
    if (report.contains("paused_hosts") && report["paused_hosts"].is_array() &&
        !report["paused_hosts"].empty()) {
        main += "<h2>Paused hosts</h2><ul>";
        for (const auto& host : report["paused_hosts"])
            main += "<li>" + escape(host.value("host", "")) + " until " + escape(host.value("until", "")) +
                    "</li>";
        main += "</ul>";
    }
    return page(context, "Status", main);
}

// ----- login and logout

Response login_form(const Request& request, Context& context) {
    // A login form's CSRF token is bound to a cookie of its own, set here when missing.
    auto pre = request.cookie(WebSessions::login_cookie_name).value_or("");
    const bool fresh = pre.size() != 64;
    if (fresh) pre = WebSessions::random_hex();
    std::string main = "<h1>Log in</h1>";
    if (request.query_value("failed"))
        main += "<p class=\"error\" role=\"alert\">Wrong name or password.</p>";
    main +=
        "<form method=\"post\" action=\"/login\"><input type=\"hidden\" name=\"csrf\" value=\"" +
        escape(context.sessions->csrf_token(pre)) +
        "\"><p><label>Name<br><input name=\"Email\" autocomplete=\"username\" required autofocus></label></p>"
        "<p><label>Password<br><input type=\"password\" name=\"Passwd\" autocomplete=\"current-password\" "
        "required></label></p><p><button type=\"submit\">Log in</button></p></form>";
    auto response = page(context, "Log in", main);
    if (fresh)
        response.headers.emplace_back(
            "Set-Cookie", cookie(request, WebSessions::login_cookie_name, pre, std::chrono::hours(12)));
    return response;
}

// POST /login: the router checked Email and Passwd (Access::login); a wrong pair never gets here.
Response login(const Request& request, Context& context) {
    const auto pre = request.cookie(WebSessions::login_cookie_name).value_or("");
    if (!context.sessions->csrf_valid(pre, request.field("csrf").value_or("")))
        return error_page(context, 403, "the login form has expired or came from elsewhere; log in again");
    auto response = redirect("/");
    response.headers.emplace_back(
        "Set-Cookie", cookie(request, WebSessions::cookie_name, context.sessions->open(*context.user),
                             std::chrono::duration_cast<std::chrono::seconds>(WebSessions::lifetime)));
    response.headers.emplace_back(
        "Set-Cookie", cookie(request, WebSessions::login_cookie_name, "", std::chrono::seconds(0)));
    return response;
}

Response login_refused() {
    return redirect("/login?failed=1");
}

Response logout(const Request& request, Context& context) {
    if (!context.user || context.user->web_session.empty()) return to_login();
    if (!context.sessions->csrf_valid(context.user->web_session, request.field("csrf").value_or("")))
        return error_page(context, 403, "the form has expired or came from elsewhere");
    context.sessions->close(context.user->web_session);
    auto response = redirect("/login");
    response.headers.emplace_back("Set-Cookie",
                                  cookie(request, WebSessions::cookie_name, "", std::chrono::seconds(0)));
    return response;
}

Response stylesheet_file(const Request&, Context&) {
    Response response;
    response.content_type = "text/css; charset=utf-8";
    response.body = std::string(stylesheet);
    response.headers.emplace_back("Cache-Control", "max-age=86400");
    secure(response);
    return response;
}

}  // namespace

void add_page_routes(Router& router, HealthCheck health) {
    using Access = Router::Access;
    router.add("GET", "/", search_page, Access::page, to_login);
    router.add("GET", "/articles/{id}", article_page, Access::page, to_login);
    router.add(
        "GET", "/feeds", [health](const Request&, Context& context) { return feeds_page(context, health); },
        Access::page, to_login);
    router.add(
        "GET", "/status", [health](const Request&, Context& context) { return status_page(context, health); },
        Access::page, to_login);
    router.add("GET", "/static/feedd.css", stylesheet_file, Access::open);
    router.add("GET", "/login", login_form, Access::open);
    router.add("POST", "/login", login, Access::login, login_refused);
    router.add("POST", "/logout", logout, Access::page, to_login);
}

}  // namespace feedd::api
