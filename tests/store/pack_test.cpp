// Long text packed with zstd (schema v5): new archives store it packed and read it back as it
// was; a damaged value is a one-line error for its row, never a crash.
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <random>
#include <string>

#include "feedd/store/store.hpp"
#include "store/pack.hpp"
#include "store/seed_feeds.hpp"
#include "store/text.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::TempDir;

namespace {

std::string sample_text() {
    std::string text;
    for (int i = 0; i < 40; ++i)
        text += "The meeting urged efforts on development number " + std::to_string(i) + ". ";
    return text;
}

ArticleQuery search(std::string text) {
    ArticleQuery query;
    query.search = std::move(text);
    return query;
}

std::string error_of_article(Archive& archive, std::int64_t id) {
    try {
        static_cast<void>(archive.article(id));
    } catch (const StoreError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a packed value unpacks to the same text, with and without its prefix") {
    const auto text = sample_text();
    const auto html = "<p>" + text + "</p><p><a href=\"https://example.org/x\">more</a></p>";
    auto alone = detail::pack(text);
    REQUIRE(alone.has_value());
    CHECK(alone->size() < text.size() / 2);
    CHECK(detail::unpack(*alone) == text);
    auto against = detail::pack(html, text);
    REQUIRE(against.has_value());
    CHECK(against->size() < html.size() / 10);  // only the tags are new
    CHECK(detail::unpack(*against, text) == html);
    // Read against another text, the checksum refuses it rather than giving wrong text.
    CHECK_THROWS_AS(static_cast<void>(detail::unpack(*against, text + "x")), detail::DamagedValue);
    // Short text gains nothing: it stays as it is.
    CHECK_FALSE(detail::pack("short").has_value());
}

TEST_CASE("damaged frames of every kind are refused with DamagedValue, never a crash") {
    const auto text = sample_text();
    const auto frame = *detail::pack(text);
    // Every truncation.
    for (std::size_t n = 0; n < frame.size(); ++n)
        CHECK_THROWS_AS(static_cast<void>(detail::unpack(frame.substr(0, n))), detail::DamagedValue);
    // Random damage: each outcome is either the text (a byte the frame does not use) or a refusal.
    std::mt19937 random(22);
    int refused = 0;
    for (int round = 0; round < 3000; ++round) {
        auto damaged = frame;
        const int flips = 1 + static_cast<int>(random() % 4);
        for (int i = 0; i < flips; ++i)
            damaged[random() % damaged.size()] = static_cast<char>(random() & 0xff);
        std::string out;
        try {
            out = detail::unpack(damaged);
        } catch (const detail::DamagedValue&) {
            ++refused;
            continue;
        }
        CHECK(out == text);
    }
    CHECK(refused > 2500);
    // A header that announces far more than the archive ever stores (4 GiB) is refused before
    // anything is allocated: magic, a descriptor with an 8-byte content size, the size, no blocks.
    const char header[] = {'\x28', '\xB5', '\x2F', '\xFD', '\xE0', 0, 0, 0, 0, 1, 0, 0, 0, 'x', 'x'};
    CHECK_THROWS_WITH_AS(static_cast<void>(detail::unpack(std::string(header, sizeof header))),
                         "frame announces 4294967296 bytes", detail::DamagedValue);
    CHECK_THROWS_AS(static_cast<void>(detail::unpack("not a frame at all")), detail::DamagedValue);
}

TEST_CASE("a new archive stores HTML packed and shows it as it was") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    auto archive = Archive::open(path, OpenMode::read_write);
    test::commit_seed_polls(archive);
    {
        SQLite::Database db(path, SQLite::OPEN_READONLY);
        CHECK(db.execAndGet("SELECT count(*) FROM entries WHERE typeof(content) = 'blob'").getInt() > 0);
        // The plain text stays TEXT: plain sqlite3 reads and searches it.
        CHECK(db.execAndGet("SELECT count(*) FROM entries WHERE typeof(text) = 'blob'").getInt() == 0);
        // The trigram index holds only entries with CJK text (the seed corpus has none).
        CHECK(db.execAndGet("SELECT count(*) FROM entries_cjk_docsize").getInt() == 0);
    }
    const auto id = archive.query(search("\"political bureau\"")).at(0).id;
    const auto detail = archive.article(id);
    REQUIRE(detail.has_value());
    const auto& china = detail->entries.at(0);  // cgtn-china's version, edited by its second poll
    CHECK(china.feed == "cgtn-china");
    CHECK(china.entry.content == test::seed_content("cgtn-china-2.rss"));
    CHECK(china.text == detail::entry_text(china.entry.content, china.entry.summary));
    CHECK(china.revisions.size() == 1);
    CHECK(archive.check().empty());
}

TEST_CASE("a damaged packed value is a one-line error for its row, the other rows still read") {
    TempDir dir;
    const auto path = dir / "feedd.db";
    auto archive = Archive::open(path, OpenMode::read_write);
    test::commit_seed_polls(archive);
    const auto rows = archive.query(ArticleQuery{});
    REQUIRE(rows.size() > 2);
    const auto victim = *archive.article(archive.query(search("\"political bureau\"")).at(0).id);
    {
        SQLite::Database db(path, SQLite::OPEN_READWRITE);
        // A byte in the middle of the content's frame changes: its checksum no longer matches.
        SQLite::Statement read(db, "SELECT content FROM entries WHERE id = ? AND typeof(content) = 'blob'");
        read.bind(1, victim.fullest_entry);
        REQUIRE(read.executeStep());
        auto frame = read.getColumn(0).getString();
        read.reset();
        frame[frame.size() / 2] = static_cast<char>(frame[frame.size() / 2] ^ 0x55);
        SQLite::Statement write(db, "UPDATE entries SET content = ? WHERE id = ?");
        write.bind(1, frame.data(), static_cast<int>(frame.size()));
        write.bind(2, victim.fullest_entry);
        REQUIRE(write.exec() == 1);
    }
    const auto error = error_of_article(archive, victim.id);
    CHECK(error.find("entry " + std::to_string(victim.fullest_entry) + ": content is damaged") !=
          std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
    // Other articles, and the list with the damaged one's title and text, still read.
    for (const auto& row : rows)
        if (row.id != victim.id) CHECK(archive.article(row.id).has_value());
    CHECK(archive.query(ArticleQuery{}).size() == rows.size());
}
