// The writer thread: polls queued together are written together, each with its own result.
#include <doctest/doctest.h>

#include <future>
#include <mutex>

#include "daemon/writer.hpp"

using namespace feedd;
using feedd::daemon::Writer;

namespace {

struct Seen {
    std::string feed;
    bool ok = false;
    int new_articles = 0;
    std::string error;
};

Writer::PollJob poll_of(const std::string& name, int items, std::mutex& mutex, std::vector<Seen>& seen) {
    return [name, items, &mutex, &seen](store::Archive&) {
        Writer::PreparedPoll prepared;
        prepared.feed.name = name;
        prepared.feed.url = "https://example.org/" + name + ".xml";
        prepared.state.name = name;
        prepared.state.etag = "\"" + name + "\"";
        prepared.now = TimePoint(std::chrono::seconds(1'700'000'000));
        ParsedFeed parsed;
        parsed.is_feed = true;
        for (int i = 0; i < items; ++i) {
            Entry entry;
            entry.id = name + "-" + std::to_string(i);
            entry.title = "Story " + entry.id;
            entry.link = "https://example.org/" + entry.id;
            parsed.entries.push_back(entry);
        }
        prepared.parsed = std::move(parsed);
        prepared.done = [name, &mutex, &seen](store::Archive&, store::PollCommit commit) {
            std::lock_guard lock(mutex);
            seen.push_back({name, commit.ok(), commit.counts.new_articles, commit.error});
        };
        return prepared;
    };
}

}  // namespace

TEST_CASE("polls that wait for the writer together are each written, in order, with their own counts") {
    std::mutex mutex;
    std::vector<Seen> seen;
    std::promise<void> release;
    std::int64_t articles = -1;
    {
        Writer writer(store::Archive::open(":memory:", store::OpenMode::read_write));
        // Holds the writer so that the polls below queue up and are taken as one batch.
        writer.post([gate = release.get_future().share()](store::Archive&) { gate.wait(); });
        for (int i = 0; i < 12; ++i)
            writer.post_poll(poll_of("feed" + std::to_string(i), i % 4 + 1, mutex, seen), 1000);
        writer.post([&articles](store::Archive& archive) { articles = archive.article_count(); });
        release.set_value();
        writer.finish();
    }
    REQUIRE(seen.size() == 12);
    int expected_articles = 0;
    for (int i = 0; i < 12; ++i) {
        CAPTURE(i);
        CHECK(seen[static_cast<std::size_t>(i)].feed == "feed" + std::to_string(i));
        CHECK(seen[static_cast<std::size_t>(i)].ok);
        CHECK(seen[static_cast<std::size_t>(i)].new_articles == i % 4 + 1);
        expected_articles += i % 4 + 1;
    }
    CHECK(articles == expected_articles);  // a job after the polls sees all of them written
}

TEST_CASE("finish runs every queued poll before the writer's thread ends") {
    std::mutex mutex;
    std::vector<Seen> seen;
    {
        Writer writer(store::Archive::open(":memory:", store::OpenMode::read_write));
        for (int i = 0; i < 100; ++i)
            writer.post_poll(poll_of("f" + std::to_string(i), 1, mutex, seen), 50'000);
        writer.finish();
        writer.finish();  // idempotent
    }
    CHECK(seen.size() == 100);
}
