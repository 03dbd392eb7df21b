#include <doctest/doctest.h>

#include "daemon/refresh.hpp"
#include "feedd/parse/parse.hpp"

using namespace std::chrono;
using feedd::FeedSource;
using feedd::FeedState;
using feedd::FetchErrorKind;
using feedd::FetchResult;
using feedd::ParsedFeed;
using feedd::RefreshOutcome;
using feedd::daemon::apply_fetch;
using feedd::daemon::Refresh;

namespace {

const feedd::TimePoint t0 = sys_days{2024y / August / 23} + 6h;

FeedSource source() {
    FeedSource feed;
    feed.name = "cgtn";
    feed.url = "https://example.org/feed.xml";
    return feed;
}

FetchResult ok_result(std::string etag = "\"v1\"") {
    FetchResult result;
    result.status = 200;
    result.etag = std::move(etag);
    result.last_modified = "Fri, 23 Aug 2024 06:00:00 GMT";
    result.final_url = "https://example.org/feed.xml";
    return result;
}

ParsedFeed feed_with_ttl(int ttl) {
    ParsedFeed parsed;
    parsed.ttl_minutes = ttl;
    return parsed;
}

FetchResult permanent_redirect(std::string to) {
    auto result = ok_result();
    result.redirects.push_back({"https://example.org/feed.xml", to, 301});
    result.final_url = std::move(to);
    return result;
}

}  // namespace

TEST_CASE("a 200 with a feed stores validators and hands the feed's hints to the scheduler") {
    FeedState state;
    state.consecutive_failures = 3;
    state.last_error = "HTTP 500";
    const auto refresh = apply_fetch(source(), state, ok_result(), feed_with_ttl(30), t0);
    CHECK(refresh.outcome.kind == RefreshOutcome::Kind::updated);
    CHECK(refresh.outcome.ttl_minutes == 30);
    CHECK(refresh.state.etag == "\"v1\"");
    CHECK(refresh.state.last_success == t0);
    CHECK(refresh.state.consecutive_failures == 0);
    CHECK(refresh.state.last_error.empty());
    CHECK(refresh.parsed.has_value());
}

TEST_CASE("a 304 keeps the archive untouched and refreshes validators") {
    FeedState state;
    state.configured_url = source().url;
    state.etag = "\"v1\"";
    FetchResult result;
    result.status = 304;
    result.etag = "\"v2\"";
    const auto refresh = apply_fetch(source(), state, result, std::nullopt, t0);
    CHECK(refresh.outcome.kind == RefreshOutcome::Kind::not_modified);
    CHECK_FALSE(refresh.parsed.has_value());
    CHECK(refresh.state.etag == "\"v2\"");
    CHECK(to_string(refresh.report.status) == "not-modified");
}

TEST_CASE("a 200 whose body is no feed is a failure and keeps the old validators") {
    FeedState state;
    state.etag = "\"old\"";
    ParsedFeed html;
    html.is_feed = false;
    html.error = "an HTML page";
    const auto refresh = apply_fetch(source(), state, ok_result("\"new\""), html, t0);
    CHECK(refresh.outcome.kind == RefreshOutcome::Kind::failed);
    CHECK(refresh.state.etag == "\"old\"");
    CHECK(refresh.state.consecutive_failures == 1);
    CHECK(refresh.report.error.find("an HTML page") != std::string::npos);
}

TEST_CASE("a page that is no feed: the parser's reason is shown once, with one 'not a feed: '") {
    // Every way the parser refuses a body, through the refresh that records it.
    for (const std::string body : {"<!DOCTYPE html><html><head><title>x</title></head><body>hi</body></html>",
                                   "<svg/>", "{\"a\":1}", "plain text", ""}) {
        CAPTURE(body);
        const auto refresh =
            apply_fetch(source(), FeedState{}, ok_result(), feedd::parse::parse_feed(body), t0);
        CHECK(refresh.outcome.kind == RefreshOutcome::Kind::failed);
        CHECK(refresh.report.error.rfind("not a feed: ", 0) == 0);
        CHECK(refresh.report.error.find("not a feed: not a feed") == std::string::npos);
        CHECK(refresh.state.last_error.find("not a feed: not a feed") == std::string::npos);
    }
    const auto nothing = apply_fetch(source(), FeedState{}, ok_result(), std::nullopt, t0);
    CHECK(nothing.report.error == "not a feed: no body");
}

TEST_CASE("429 and 503 carry Retry-After to the scheduler, failures count up") {
    for (long status : {429L, 503L}) {
        FetchResult result;
        result.status = status;
        result.error = FetchErrorKind::http;
        result.retry_after = t0 + 2h;
        FeedState state;
        state.consecutive_failures = 1;
        const auto refresh = apply_fetch(source(), state, result, std::nullopt, t0);
        CHECK(refresh.outcome.kind == RefreshOutcome::Kind::failed);
        CHECK(refresh.outcome.retry_after == t0 + 2h);
        CHECK(refresh.state.consecutive_failures == 2);
    }
}

TEST_CASE("a network error is a failure with its message") {
    FetchResult result;
    result.error = FetchErrorKind::dns;
    result.error_message = "could not resolve host example.org";
    const auto refresh = apply_fetch(source(), FeedState{}, result, std::nullopt, t0);
    CHECK(refresh.outcome.kind == RefreshOutcome::Kind::failed);
    CHECK(refresh.outcome.error == FetchErrorKind::dns);
    CHECK(refresh.state.last_error == "could not resolve host example.org");
}

TEST_CASE("410 Gone disables the feed until its URL changes in feeds.toml") {
    FetchResult result;
    result.status = 410;
    result.error = FetchErrorKind::http;
    const auto refresh = apply_fetch(source(), FeedState{}, result, std::nullopt, t0);
    CHECK(refresh.outcome.kind == RefreshOutcome::Kind::gone);
    CHECK(refresh.state.gone);

    auto edited = source();
    edited.url = "https://example.org/new-feed.xml";
    const auto reset = feedd::daemon::reconcile_with_config(edited, refresh.state);
    CHECK_FALSE(reset.gone);
    CHECK(reset.configured_url == edited.url);
}

TEST_CASE("a permanent redirect moves the feed only after several polls over a day") {
    const std::string target = "https://example.org/new.xml";
    FeedState state;
    auto refresh = apply_fetch(source(), state, permanent_redirect(target), feed_with_ttl(0), t0);
    CHECK(refresh.state.moved_to.empty());
    refresh = apply_fetch(source(), refresh.state, permanent_redirect(target), feed_with_ttl(0), t0 + 2h);
    refresh = apply_fetch(source(), refresh.state, permanent_redirect(target), feed_with_ttl(0), t0 + 4h);
    CHECK_MESSAGE(refresh.state.moved_to.empty(), "three polls within hours are not enough");
    refresh = apply_fetch(source(), refresh.state, permanent_redirect(target), feed_with_ttl(0), t0 + 25h);
    CHECK(refresh.state.moved_to == target);
    CHECK(feedd::daemon::effective_url(source(), refresh.state) == target);
    CHECK_FALSE(refresh.notice.empty());
}

TEST_CASE("a temporary redirect in the chain never moves the feed") {
    const std::string target = "https://example.org/new.xml";
    FeedState state;
    for (int day = 0; day < 5; ++day) {
        auto result = permanent_redirect(target);
        result.redirects.insert(result.redirects.begin(),
                                {"https://example.org/feed.xml", "https://example.org/tmp", 302});
        state = apply_fetch(source(), state, result, feed_with_ttl(0), t0 + days(day)).state;
    }
    CHECK(state.moved_to.empty());
    CHECK(feedd::daemon::effective_url(source(), state) == source().url);
}

TEST_CASE("a permanent redirect from https to plain http never moves the feed") {
    // Adopted, the move would send every later poll in clear from its first byte.
    for (const std::string target : {"http://example.org/feed.xml", "HTTP://cdn.example.net/feed"}) {
        FeedState state;
        Refresh refresh;
        for (int day = 0; day < 5; ++day) {
            refresh =
                apply_fetch(source(), state, permanent_redirect(target), feed_with_ttl(0), t0 + days(day));
            state = refresh.state;
        }
        CHECK(state.moved_to.empty());
        CHECK(state.redirect_candidate.empty());
        CHECK(refresh.notice.empty());
        CHECK(feedd::daemon::effective_url(source(), state) == source().url);
    }
    // The other way round is the usual move and is adopted.
    auto plain = source();
    plain.url = "http://example.org/feed.xml";
    FeedState state;
    for (auto at : {t0, t0 + 2h, t0 + 25h}) {
        auto result = permanent_redirect("https://example.org/feed.xml");
        result.redirects.front().from = plain.url;
        state = apply_fetch(plain, state, result, feed_with_ttl(0), at).state;
    }
    CHECK(state.moved_to == "https://example.org/feed.xml");
}

TEST_CASE("a permanent redirect that stops before confirmation starts over") {
    const std::string target = "https://example.org/new.xml";
    FeedState state;
    state = apply_fetch(source(), state, permanent_redirect(target), feed_with_ttl(0), t0).state;
    state = apply_fetch(source(), state, permanent_redirect(target), feed_with_ttl(0), t0 + 13h).state;
    state = apply_fetch(source(), state, ok_result(), feed_with_ttl(0), t0 + 26h).state;
    CHECK(state.redirect_count == 0);
    state = apply_fetch(source(), state, permanent_redirect(target), feed_with_ttl(0), t0 + 27h).state;
    CHECK(state.moved_to.empty());
}

TEST_CASE("a feed with credentials moved to another origin says once that they are not sent there") {
    auto feed = source();
    feed.username = "alice";
    feed.headers.push_back({"X-Api-Key", "secret"});
    auto moved_after_a_day = [&](const std::string& target) {
        FeedState state;
        Refresh last;
        for (auto at : {t0, t0 + 2h, t0 + 25h}) {
            last = apply_fetch(feed, state, permanent_redirect(target), feed_with_ttl(0), at);
            state = last.state;
        }
        REQUIRE(last.state.moved_to == target);
        return last;
    };
    const std::string withheld = "credentials not sent to the new origin";
    // (A move from https to plain http is never adopted: see the test above.)
    for (const std::string target : {"https://other.example/feed.xml", "https://example.org:8443/feed.xml"}) {
        CAPTURE(target);
        const auto moved = moved_after_a_day(target);
        CHECK(moved.notice.find(withheld) != std::string::npos);
        CHECK(feedd::daemon::credentials_withheld(feed, target));
        // Later polls there say nothing new; a refusal for want of credentials says why.
        auto again = apply_fetch(feed, moved.state, ok_result(), feed_with_ttl(0), t0 + 26h);
        CHECK(again.notice.empty());
        FetchResult refused;
        refused.status = 401;
        refused.error = FetchErrorKind::http;
        refused.error_message = "HTTP 401";
        again = apply_fetch(feed, moved.state, refused, std::nullopt, t0 + 27h);
        CHECK(again.report.error.find(withheld) != std::string::npos);
    }
    // The same origin keeps its credentials; a feed without any has nothing to withhold.
    const auto same_origin = moved_after_a_day("https://example.org/new.xml");
    CHECK(same_origin.notice.find(withheld) == std::string::npos);
    CHECK_FALSE(feedd::daemon::credentials_withheld(feed, "https://example.org/new.xml"));
    CHECK_FALSE(feedd::daemon::credentials_withheld(source(), "https://other.example/feed.xml"));
}
