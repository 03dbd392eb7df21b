// The writer thread: polls queued together are written together, each with its own result.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

#include "daemon/writer.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using feedd::daemon::Writer;

namespace {

struct Seen {
    std::string feed;
    bool ok = false;
    int new_articles = 0;
    std::string error;
};

// A poll as the pipeline posts it; `while_prepared` runs on the writer's thread as it takes the poll.
Writer::Prepare poll_of(const std::string& name, int items, std::mutex& mutex, std::vector<Seen>& seen,
                        std::function<void()> while_prepared = nullptr,
                        std::function<void()> when_done = nullptr) {
    Writer::PollJob job = [name, items, &mutex, &seen, while_prepared, when_done](store::Archive&) {
        if (while_prepared) while_prepared();
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
        prepared.done = [name, &mutex, &seen, when_done](store::Archive&, store::PollCommit commit) {
            if (when_done) when_done();
            std::lock_guard lock(mutex);
            seen.push_back({name, commit.ok(), commit.counts.new_articles, commit.error});
        };
        return prepared;
    };
    return [job = std::move(job)] { return job; };
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

TEST_CASE(
    "polls that arrive while the writer works share its transaction and a refused one costs only itself") {
    feedd::test::TempDir dir;
    const auto path = dir.path() / "feedd.db";
    { (void)store::Archive::open(path, store::OpenMode::read_write); }
    {
        // Stands in for a full disk: the entry "feed57-0" cannot be written.
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        db.exec(
            "CREATE TRIGGER fail_write BEFORE INSERT ON entries WHEN new.guid = 'feed57-0' "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END");
    }
    constexpr int polls = 120;  // more than one batch used to hold (64)
    std::mutex mutex;
    std::vector<Seen> seen;
    std::int64_t visible_when_first_done = -1;
    {
        Writer writer(store::Archive::open(path, store::OpenMode::read_write));
        // The other polls arrive while the writer parses the first, into a queue that was empty
        // when it took the first: they share its transaction, so that its result is given only
        // once they are written too (before, the first was committed alone).
        writer.post_poll(poll_of(
                             "feed0", 1, mutex, seen,
                             [&] {
                                 for (int i = 1; i < polls; ++i)
                                     writer.post_poll(poll_of("feed" + std::to_string(i), 2, mutex, seen),
                                                      1000);
                             },
                             [&] {
                                 visible_when_first_done =
                                     store::Archive::open(path, store::OpenMode::read_only).article_count();
                             }),
                         1000);
        writer.finish();
    }
    REQUIRE(seen.size() == polls);
    int written = 0;
    for (int i = 0; i < polls; ++i) {
        CAPTURE(i);
        const auto& poll = seen[static_cast<std::size_t>(i)];
        CHECK(poll.feed == "feed" + std::to_string(i));
        if (i == 57) {
            CHECK_FALSE(poll.ok);
            CHECK(poll.error.find("disk is full") != std::string::npos);
            continue;
        }
        CHECK(poll.ok);
        CHECK(poll.new_articles == (i == 0 ? 1 : 2));
        written += poll.new_articles;
    }
    // Every poll but the refused one is kept, and its state did not advance.
    auto archive = store::Archive::open(path, store::OpenMode::read_only);
    CHECK(archive.article_count() == written);
    CHECK(archive.feed_state("feed57").etag.empty());
    CHECK(archive.feed_state("feed58").etag == "\"feed58\"");
    CHECK(visible_when_first_done == written);
}

TEST_CASE(
    "a poll that finds the queue empty while fetches are in flight shares a transaction with their results") {
    feedd::test::TempDir dir;
    const auto path = dir.path() / "feedd.db";
    { (void)store::Archive::open(path, store::OpenMode::read_write); }
    std::mutex mutex;
    std::vector<Seen> seen;
    std::int64_t visible_when_first_done = -1;
    std::promise<void> first_parsed, first_done;
    {
        Writer writer(store::Archive::open(path, store::OpenMode::read_write));
        // Two fetches in flight: the first result is parsed into an empty queue, and the second
        // comes only after that. Committed at once, the first would cost a transaction of its own
        // (an FTS5 flush, the index and state pages written again): during a burst of polls that
        // was one commit every few polls.
        writer.expect(2);
        writer.post_poll(poll_of(
                             "first", 1, mutex, seen, [&] { first_parsed.set_value(); },
                             [&] {
                                 visible_when_first_done =
                                     store::Archive::open(path, store::OpenMode::read_only).article_count();
                                 first_done.set_value();
                             }),
                         1000);
        first_parsed.get_future().wait();
        // A writer that commits the lone poll reports it within this wait, and the second result
        // then comes after its commit; this writer holds it (for up to a second) whatever the wait.
        static_cast<void>(first_done.get_future().wait_for(std::chrono::milliseconds(300)));
        writer.post_poll(poll_of("second", 2, mutex, seen), 1000);
        writer.expect(0);  // nothing more on its way: the batch goes now
        writer.finish();
    }
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].feed == "first");
    CHECK(seen[0].ok);
    CHECK(seen[1].ok);
    CHECK(visible_when_first_done == 3);  // its result was given with the second one written too
}

TEST_CASE("a poll waiting for fetches that never report is still written, once its batch is a second old") {
    std::mutex mutex;
    std::vector<Seen> seen;
    std::promise<void> written;
    {
        Writer writer(store::Archive::open(":memory:", store::OpenMode::read_write));
        writer.expect(1);  // a fetch in flight that, cancelled, never reports
        writer.post_poll(poll_of("alone", 1, mutex, seen, nullptr, [&] { written.set_value(); }), 1000);
        // Neither finish() nor expect(0): the batch's age alone sends it; a wait for the missing
        // result without that bound would hang here.
        written.get_future().wait();
    }
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].ok);
}

TEST_CASE("the preparing thread runs at most a batch's bytes ahead of a busy writer") {
    // Parsed documents wait in memory until the writer takes them: with no bound, a slow disk
    // during a cold start would hold every fetched feed parsed at once.
    std::mutex mutex;
    std::vector<Seen> seen;
    std::condition_variable prepared_more;
    int prepared = 0;
    std::promise<void> release;
    constexpr int polls = 10;
    {
        Writer writer(store::Archive::open(":memory:", store::OpenMode::read_write));
        writer.post([gate = release.get_future().share()](store::Archive&) { gate.wait(); });
        for (int i = 0; i < polls; ++i) {
            auto poll = poll_of("big" + std::to_string(i), 1, mutex, seen);
            writer.post_poll(
                [&, poll = std::move(poll)] {
                    {
                        std::lock_guard lock(mutex);
                        ++prepared;
                    }
                    prepared_more.notify_all();
                    return poll();
                },
                std::size_t{1} << 20);  // half a batch's bytes each
        }
        std::unique_lock lock(mutex);
        prepared_more.wait(lock, [&] { return prepared >= 2; });
        // Two of them fill a batch: the third waits for the writer however long it is held.
        CHECK_FALSE(
            prepared_more.wait_for(lock, std::chrono::milliseconds(300), [&] { return prepared > 2; }));
        CHECK(prepared == 2);
        lock.unlock();
        release.set_value();
        writer.finish();
    }
    CHECK(prepared == polls);
    REQUIRE(seen.size() == polls);
    for (const auto& poll : seen) CHECK(poll.ok);
}

TEST_CASE("a poll without a document keeps its place behind polls still being parsed") {
    // A 304 skips the preparing thread when nothing is posted before it; behind a document being
    // parsed it must wait, or a feed's state could be written before the poll that came first.
    std::mutex mutex;
    std::vector<Seen> seen;
    std::promise<void> parsing, release;
    {
        Writer writer(store::Archive::open(":memory:", store::OpenMode::read_write));
        auto first = poll_of("first", 1, mutex, seen);
        writer.post_poll(
            [&, first = std::move(first), gate = release.get_future().share()] {
                parsing.set_value();
                gate.wait();
                return first();
            },
            1000);
        parsing.get_future().wait();
        writer.post_ready(poll_of("not-modified", 0, mutex, seen)(), 4096);
        release.set_value();
        writer.finish();
    }
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].feed == "first");
    CHECK(seen[1].feed == "not-modified");
}

TEST_CASE("a poll without a document is written while the preparing thread is idle") {
    std::mutex mutex;
    std::vector<Seen> seen;
    {
        Writer writer(store::Archive::open(":memory:", store::OpenMode::read_write));
        for (int i = 0; i < 50; ++i)
            writer.post_ready(poll_of("f" + std::to_string(i), i % 2, mutex, seen)(), 4096);
        writer.finish();
    }
    REQUIRE(seen.size() == 50);
    for (int i = 0; i < 50; ++i) {
        CAPTURE(i);
        CHECK(seen[static_cast<std::size_t>(i)].feed == "f" + std::to_string(i));
        CHECK(seen[static_cast<std::size_t>(i)].new_articles == i % 2);
    }
}
