// What is the PostgreSQL store's own: opening (several writers, migrations tracked in
// the database, a newer or foreign database left untouched), its views, passwords kept out of
// messages, and maintenance. The behaviour both stores share is tested on both (STORE_TEST_CASE).
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/pack.hpp"
#include "store/seed_feeds.hpp"
#include "support/postgres.hpp"
#include "support/temp_dir.hpp"

using namespace feedd;
using namespace feedd::store;
using feedd::test::PostgresDatabase;

namespace {

// One statement on the test's database, as psql would run it; the rows' first columns.
std::vector<std::string> psql(const PostgresDatabase& db, const std::string& sql) {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(db.uri().c_str()), PQfinish);
    REQUIRE(PQstatus(conn.get()) == CONNECTION_OK);
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), PQclear);
    const auto status = PQresultStatus(result.get());
    INFO(sql << ": " << PQresultErrorMessage(result.get()));
    REQUIRE((status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK));
    std::vector<std::string> rows;
    for (int i = 0; i < PQntuples(result.get()); ++i) rows.emplace_back(PQgetvalue(result.get(), i, 0));
    return rows;
}

// Back to PostgreSQL schema v8: each entry's search vector a generated column of its row (v9 moved
// the vectors to `entry_search`, written by a trigger).
void back_to_schema_v8(const PostgresDatabase& db) {
    psql(db, R"sql(
ALTER TABLE entries ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('feedd_search'::regconfig, title), 'A') ||
    setweight(to_tsvector('feedd_search'::regconfig, author), 'B') ||
    setweight(to_tsvector('feedd_search'::regconfig, left(text, 500000)), 'C')) STORED;
CREATE INDEX entries_search ON entries USING gin (search);
DROP TRIGGER entries_search_insert ON entries;
DROP TRIGGER entries_search_update ON entries;
DROP TABLE entry_search;
DROP FUNCTION feedd_entry_search();
DROP FUNCTION feedd_entry_vector(text, text, text);
DELETE FROM feedd_schema WHERE version = 9)sql");
}

std::string open_error(const std::string& location, OpenMode mode) {
    try {
        static_cast<void>(Archive::open(location, mode));
    } catch (const StoreError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a postgresql:// or postgres:// location selects PostgreSQL, anything else is an SQLite file") {
    CHECK(is_database_url("postgresql://feedd@/feedd?host=/run/postgresql"));
    CHECK(is_database_url("postgres://feedd@db.example.org/feedd"));
    CHECK_FALSE(is_database_url("var/feedd.db"));
    CHECK_FALSE(is_database_url("/srv/postgresql/feedd.db"));
    CHECK_FALSE(is_database_url(":memory:"));

    PostgresDatabase db;
    auto uri = db.uri();
    uri.replace(0, std::string("postgresql").size(), "postgres");
    auto archive = Archive::open(uri, OpenMode::read_write);
    CHECK(archive.article_count() == 0);
    CHECK(psql(db, "SELECT max(version) FROM feedd_schema") == std::vector<std::string>{"9"});
    // v5: a feed's recent arrivals (published, first_seen) come from the index alone.
    CHECK(
        psql(db, "SELECT indexdef FROM pg_indexes WHERE indexname = 'entries_by_feed_seen'") ==
        std::vector<std::string>{"CREATE INDEX entries_by_feed_seen ON public.entries USING btree (feed_id, "
                                 "first_seen, published)"});
}

TEST_CASE("PostgreSQL: several writers open one archive (nodes share it), readers too") {
    PostgresDatabase db;
    {
        auto writer = Archive::open(db.uri(), OpenMode::read_write);
        CHECK_NOTHROW(static_cast<void>(Archive::open(db.uri(), OpenMode::read_write)));
        auto reader = Archive::open(db.uri(), OpenMode::read_only);
        CHECK(reader.article_count() == 0);
        // Held means a daemon's node is registered and heartbeating (nodes_test.cpp), not a lock.
        CHECK_FALSE(Archive::is_locked(db.uri()));
    }
    CHECK_NOTHROW(static_cast<void>(Archive::open(db.uri(), OpenMode::read_write)));
}

TEST_CASE("PostgreSQL: two feedd starting at once migrate once, one of them writes") {
    PostgresDatabase db;
    auto start = [&] {
        try {
            auto archive = Archive::open(db.uri(), OpenMode::read_write);
            return std::string("opened");
        } catch (const ArchiveBusy&) {
            return std::string("busy");
        }
    };
    auto a = std::async(std::launch::async, start);
    auto b = std::async(std::launch::async, start);
    std::vector<std::string> outcomes{a.get(), b.get()};
    std::sort(outcomes.begin(), outcomes.end());
    // Either both opened one after the other, or the second found the first holding the archive.
    CHECK((outcomes == std::vector<std::string>{"busy", "opened"} ||
           outcomes == std::vector<std::string>{"opened", "opened"}));
    CHECK(psql(db, "SELECT count(*) FROM feedd_schema") == std::vector<std::string>{"9"});
}

TEST_CASE("PostgreSQL: an archive of a newer feedd is refused and left untouched") {
    PostgresDatabase db;
    static_cast<void>(Archive::open(db.uri(), OpenMode::read_write));
    psql(db, "INSERT INTO feedd_schema (version) VALUES (99)");
    for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
        const auto error = open_error(db.uri(), mode);
        CHECK(error.find("schema version 99, newer than this feedd understands") != std::string::npos);
    }
    CHECK(psql(db, "SELECT string_agg(version::text, ',' ORDER BY version) FROM feedd_schema") ==
          std::vector<std::string>{"1,2,3,4,5,6,7,8,9,99"});
}

TEST_CASE("PostgreSQL: another application's database is refused and left untouched") {
    PostgresDatabase db;
    psql(db, "CREATE TABLE feeds (id serial PRIMARY KEY, what text)");
    CHECK(open_error(db.uri(), OpenMode::read_write).find("not a feedd archive (left untouched)") !=
          std::string::npos);
    CHECK(psql(db, "SELECT to_regclass('feedd_schema') IS NULL") == std::vector<std::string>{"t"});
}

TEST_CASE("PostgreSQL: read-only opening never creates the archive") {
    PostgresDatabase db;
    CHECK(open_error(db.uri(), OpenMode::read_only).find("no archive at") != std::string::npos);
    CHECK(psql(db, "SELECT count(*) FROM pg_class WHERE relname IN ('feedd_schema', 'entries')") ==
          std::vector<std::string>{"0"});
    static_cast<void>(Archive::open(db.uri(), OpenMode::read_write));
    auto reader = Archive::open(db.uri(), OpenMode::read_only);
    FeedSource feed;
    feed.name = "f";
    CHECK_THROWS_AS(reader.sync_feeds({feed}), StoreError);  // a read-only session writes nothing
}

TEST_CASE("PostgreSQL: a password never shows in a message") {
    CHECK(shown_location("postgresql://feedd:s3cret@db.example.org/feedd") ==
          "postgresql://feedd:***@db.example.org/feedd");
    CHECK(shown_location("postgres://db.example.org/feedd?user=feedd&password=s3cret&sslmode=require") ==
          "postgres://db.example.org/feedd?user=feedd&password=***&sslmode=require");
    CHECK(shown_location("var/feedd.db") == "var/feedd.db");

    PostgresDatabase db;
    const auto dir = test::PostgresServer::instance().dir().string();
    for (const auto& uri : {"postgresql://feedd_test:s3cret@/no_such_database?host=" + dir,
                            "postgresql:///no_such_database?user=feedd_test&password=s3cret&host=" + dir}) {
        const auto error = open_error(uri, OpenMode::read_write);
        CAPTURE(error);
        CHECK(error.find("no_such_database") != std::string::npos);
        CHECK(error.find("s3cret") == std::string::npos);
        CHECK(error.find('\n') == std::string::npos);
    }
}

TEST_CASE(
    "PostgreSQL: a database that asks for a password opens with the Location's, which no message shows") {
    test::PasswordRole role;
    const auto password = test::PasswordRole::password();
    const auto without = open_error(role.uri(), OpenMode::read_write);
    CAPTURE(without);
    CHECK(without.find("password") != std::string::npos);
    CHECK(without.find('\n') == std::string::npos);
    try {
        static_cast<void>(Archive::open(Location{role.uri(), "wrong-Pw-7"}, OpenMode::read_write));
        FAIL("a wrong password opened the archive");
    } catch (const StoreError& e) {
        CHECK(std::string(e.what()).find("password authentication failed") != std::string::npos);
        CHECK(std::string(e.what()).find("wrong-Pw-7") == std::string::npos);
    }
    const Location location{role.uri(), password};
    auto archive = Archive::open(location, OpenMode::read_write);
    test::commit_seed_polls(archive);
    CHECK(Archive::exists(location));
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    static_cast<void>(archive.add_node({"host", 1, "0.test", "d", std::chrono::seconds(60)}, now));
    CHECK(Archive::is_locked(location));  // read through the Location's password
    CHECK(Archive::open(location, OpenMode::read_only).article_count() == 5);
}

namespace {

// A TCP listener on 127.0.0.1 that answers PostgreSQL's SSLRequest with 'N' (no TLS here) and
// then closes: what a client does next shows whether it required TLS.
class NoTlsServer {
  public:
    NoTlsServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd_, 8) == 0);
        socklen_t size = sizeof address;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
        port_ = ntohs(address.sin_port);
        thread_ = std::thread([this] {
            for (;;) {
                const int client = ::accept(fd_, nullptr, nullptr);
                if (client < 0) return;
                char request[8];
                if (::recv(client, request, sizeof request, MSG_WAITALL) == sizeof request)
                    static_cast<void>(::send(client, "N", 1, MSG_NOSIGNAL));
                ::close(client);
            }
        });
    }
    ~NoTlsServer() {
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
    }
    int port() const { return port_; }

  private:
    int fd_ = -1;
    int port_ = 0;
    std::thread thread_;
};

}  // namespace

// TCP to another machine uses TLS with the server's certificate verified (sslmode=verify-full)
// unless the URI or PGSSLMODE says otherwise; loopback and Unix sockets need none.
TEST_CASE("PostgreSQL: a host that is not loopback must speak TLS, loopback need not") {
    NoTlsServer server;
    const auto port = std::to_string(server.port());
    // A name that is not loopback, reached at 127.0.0.1 (hostaddr): feedd asks for verify-full.
    const auto remote = open_error("postgresql://feedd@db.example.org:" + port + "/feedd?hostaddr=127.0.0.1",
                                   OpenMode::read_only);
    CAPTURE(remote);
    CHECK(remote.find("server does not support SSL, but SSL was required") != std::string::npos);
    CHECK(remote.find('\n') == std::string::npos);
    // The URI's own choice stands.
    const auto chosen =
        open_error("postgresql://feedd@db.example.org:" + port + "/feedd?hostaddr=127.0.0.1&sslmode=prefer",
                   OpenMode::read_only);
    CAPTURE(chosen);
    CHECK_FALSE(chosen.empty());
    CHECK(chosen.find("SSL was required") == std::string::npos);
    const auto loopback = open_error("postgresql://feedd@127.0.0.1:" + port + "/feedd", OpenMode::read_only);
    CAPTURE(loopback);
    CHECK_FALSE(loopback.empty());
    CHECK(loopback.find("SSL was required") == std::string::npos);
}

TEST_CASE("PostgreSQL: the views for psql users have the columns of the SQLite archive's views") {
    test::TempDir dir;
    static_cast<void>(Archive::open(dir / "feedd.db", OpenMode::read_write));
    SQLite::Database sqlite((dir / "feedd.db").string(), SQLite::OPEN_READONLY);
    detail::register_functions(sqlite.getHandle());  // the *_html_v views call feedd_unpack
    PostgresDatabase db;
    auto archive = Archive::open(db.uri(), OpenMode::read_write);
    test::commit_seed_polls(archive);
    for (const char* view : {"articles_v", "entries_v", "feeds_v", "revisions_v", "gaps_v", "articles_html_v",
                             "entries_html_v", "revisions_html_v"}) {
        CAPTURE(view);
        std::vector<std::string> sqlite_columns;
        SQLite::Statement columns(sqlite, std::string("SELECT name FROM pragma_table_info('") + view + "')");
        while (columns.executeStep()) sqlite_columns.push_back(columns.getColumn(0).getString());
        CHECK(
            psql(db, std::string("SELECT column_name FROM information_schema.columns WHERE table_name = '") +
                         view + "' ORDER BY ordinal_position") == sqlite_columns);
    }
    // They read as on SQLite: dates in ISO 8601 UTC, one row per article.
    CHECK(psql(db, "SELECT date FROM articles_v WHERE title LIKE 'Xi chairs%'") ==
          std::vector<std::string>{"2024-08-23T05:52:31Z"});
    CHECK(psql(db, "SELECT count(*) FROM articles_v") ==
          std::vector<std::string>{std::to_string(archive.article_count())});
}

TEST_CASE("PostgreSQL: db backup names pg_dump, vacuum analyzes, check verifies the indexes with amcheck") {
    PostgresDatabase db;
    auto archive = Archive::open(db.uri(), OpenMode::read_write);
    test::commit_seed_polls(archive);
    try {
        archive.backup("/tmp/feedd-backup.db");
        FAIL("backup wrote something");
    } catch (const StoreError& e) {
        CHECK(std::string(e.what()).find("pg_dump") != std::string::npos);
    }
    CHECK_FALSE(std::filesystem::exists("/tmp/feedd-backup.db"));
    archive.vacuum();
    CHECK(psql(db,
               "SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL FROM pg_stat_user_tables "
               "WHERE relname = 'entries'") == std::vector<std::string>{"t"});
    // The search vectors' table too: a search chooses its plan from its statistics.
    CHECK(
        psql(db, "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'entry_search'") ==
        std::vector<std::string>{"t"});
    psql(db, "CREATE EXTENSION amcheck");
    CHECK(archive.check().empty());
    // A row whose article lost its entries is a problem check names.
    psql(db, "INSERT INTO articles (first_seen, sort_time) VALUES (0, 0)");
    const auto problems = archive.check();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "1 article(s) without their entries");
}

// The writes of a poll travel with its next statement (pipeline): a write the server refuses
// still fails that poll alone, with the server's reason, and the other polls of the batch stay.
TEST_CASE("PostgreSQL: a write the database refuses fails its poll alone, with the reason") {
    PostgresDatabase db;
    auto archive = Archive::open(db.uri(), OpenMode::read_write);
    psql(db, R"sql(
CREATE FUNCTION refuse_politics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.title LIKE 'Border areas%' THEN RAISE EXCEPTION 'no border stories here'; END IF;
    RETURN NEW;
END $$)sql");
    psql(db,
         "CREATE TRIGGER refuse BEFORE INSERT ON entries FOR EACH ROW EXECUTE FUNCTION refuse_politics()");
    const auto china = test::china_source(), politics = test::politics_source();
    const auto china_feed = test::cgtn_china(), politics_feed = test::cgtn_politics();
    const TimePoint now = test::utc(2024, 8, 23, 7);
    FeedState china_state, politics_state;
    china_state.name = china.name;
    china_state.etag = "\"c1\"";
    politics_state.name = politics.name;
    politics_state.etag = "\"p1\"";
    const PollWrite polls[] = {{politics, &politics_feed, politics_state, now},
                               {china, &china_feed, china_state, now}};
    const auto results = archive.commit_polls(polls);
    REQUIRE(results.size() == 2);
    CHECK_FALSE(results[0].ok());
    CHECK(results[0].error.find("no border stories here") != std::string::npos);
    CHECK(results[0].error.find('\n') == std::string::npos);
    CHECK(results[1].ok());
    CHECK(results[1].counts.new_entries == 3);
    CHECK(archive.feed_state("cgtn-china").etag == "\"c1\"");
    CHECK(archive.feed_state("cgtn-politics").etag.empty());  // nothing of the refused poll
    CHECK(psql(db, "SELECT count(*) FROM entries") == std::vector<std::string>{"3"});
    // The session is usable after the failure: the next poll of the same feed is written.
    auto without_border = politics_feed;
    without_border.entries.pop_back();
    const auto retried = archive.commit_poll(politics, &without_border, politics_state, now);
    CHECK(retried.new_entries == 1);
    CHECK(archive.feed_state("cgtn-politics").etag == "\"p1\"");
}

TEST_CASE("PostgreSQL: an archive of schema v7 gets CJK search over the pages it fetched before") {
    PostgresDatabase db;
    // 港口大桥周一重新通车: "the harbour bridge reopened on Monday", only on the page.
    const std::string story =
        "\xE6\xB8\xAF\xE5\x8F\xA3\xE5\xA4\xA7\xE6\xA1\xA5\xE5\x91\xA8\xE4\xB8\x80\xE9\x87\x8D\xE6\x96\xB0\xE9"
        "\x80\x9A\xE8\xBD\xA6";
    const std::string reopened = "\xE9\x87\x8D\xE6\x96\xB0\xE9\x80\x9A\xE8\xBD\xA6";
    const auto t0 = feedd::test::utc(2026, 3, 1, 10);
    std::int64_t article = 0;
    {
        auto archive = Archive::open(db.uri(), OpenMode::read_write);
        ParsedFeed parsed;
        Entry entry;
        entry.id = "story";
        entry.title = "The story";
        entry.link = "https://news.example/story";
        entry.summary = "<p>An English teaser.</p>";
        parsed.entries.push_back(entry);
        FeedState state;
        state.name = "alpha";
        article = archive.commit_poll(feedd::test::feed("alpha"), &parsed, state, t0).new_article_ids.front();
        archive.request_pages({{article, entry.link}}, t0);
        PageFetch page;
        page.article_id = article;
        page.url = entry.link;
        page.status = 200;
        page.tried_at = t0;
        page.text = story;
        page.html = "<p>" + story + "</p>";
        archive.record_page(page);
    }
    // Back to v7: no CJK column on pages.
    back_to_schema_v8(db);
    psql(db, "DROP INDEX pages_cjk");
    psql(db, "ALTER TABLE pages DROP COLUMN cjk");
    psql(db, "DELETE FROM feedd_schema WHERE version = 8");
    auto archive = Archive::open(db.uri(), OpenMode::read_write);
    CHECK(psql(db, "SELECT max(version) FROM feedd_schema") == std::vector<std::string>{"9"});
    ArticleQuery query;
    query.search = reopened;
    const auto rows = archive.query(query);
    REQUIRE(rows.size() == 1);
    CHECK(rows.front().id == article);
    CHECK(archive.check().empty());
}

// The searches of an archive of schema v8, whose vectors were in the entries' rows, find what they
// found, ranked and cut the same, once the vectors moved to their own table (v9); `db check` then
// compares that table with the entries.
TEST_CASE("PostgreSQL: an archive of schema v8 searches the same once its vectors have their own table") {
    PostgresDatabase db;
    const std::vector<std::string> searches{"western",       "\"western region\"",
                                            "title:western", "western NOT chengdu",
                                            "west*",         "chengdu OR border"};
    std::vector<std::vector<ArticleRow>> found;
    {
        auto archive = Archive::open(db.uri(), OpenMode::read_write);
        test::commit_seed_polls(archive);
        for (const auto& search : searches) {
            ArticleQuery query;
            query.search = search;
            found.push_back(archive.query(query));
        }
    }
    back_to_schema_v8(db);
    CHECK(psql(db, "SELECT to_regclass('entry_search') IS NULL") == std::vector<std::string>{"t"});
    auto archive = Archive::open(db.uri(), OpenMode::read_write);
    CHECK(psql(db, "SELECT max(version) FROM feedd_schema") == std::vector<std::string>{"9"});
    CHECK(psql(db, "SELECT count(*) FROM entries WHERE id NOT IN (SELECT entry_id FROM entry_search)") ==
          std::vector<std::string>{"0"});
    CHECK(psql(db,
               "SELECT count(*) FROM information_schema.columns WHERE table_name = 'entries' AND "
               "column_name = 'search'") == std::vector<std::string>{"0"});
    for (std::size_t i = 0; i < searches.size(); ++i) {
        INFO(searches[i]);
        ArticleQuery query;
        query.search = searches[i];
        const auto rows = archive.query(query);
        REQUIRE(rows.size() == found[i].size());
        CHECK_FALSE(rows.empty());
        for (std::size_t k = 0; k < rows.size(); ++k) {
            CHECK(rows[k].id == found[i][k].id);
            CHECK(rows[k].snippet == found[i][k].snippet);
        }
    }
    CHECK(archive.check().empty());
    // A vector that is not its entry's any more (a hand edit) is a problem check names.
    psql(db,
         "UPDATE entry_search SET search = to_tsvector('simple', 'nothing') WHERE entry_id = (SELECT "
         "min(entry_id) FROM entry_search)");
    const auto problems = archive.check();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "search index: 1 entr(ies) indexed stale");
}
