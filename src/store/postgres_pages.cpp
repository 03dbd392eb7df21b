#include "store/postgres_pages.hpp"

#include "feedd/text/text.hpp"
#include "store/pages_sql.hpp"
#include "store/reading_sql.hpp"
#include "store/rules.hpp"
#include "store/text.hpp"

namespace feedd::store::detail::pg_pages {
namespace {

std::string numbered(const char* sql, std::vector<std::string> names) {
    return reading_sql::positional(sql, names);
}

}  // namespace

void request(pg::Session& db, const std::vector<PageRequest>& requests, TimePoint now) {
    static const std::string sql = numbered(pages_sql::request, {"article", "url", "now"});
    pg::Transaction transaction(db);
    for (const auto& r : requests) db.exec(sql.c_str(), pg::Params::of(r.article_id, r.url, now));
    transaction.commit();
}

std::vector<PageTask> claim(pg::Session& db, TimePoint now, TimePoint lease_until, int limit,
                            const std::vector<std::string>& feeds) {
    // Several nodes claim pages at once: a page another node is claiming is skipped, and one it
    // claimed meanwhile is seen leased when its row is locked (docs/ARCHITECTURE.md, "Several nodes").
    // FOR UPDATE OF pages: the feed filter's entries and feeds are only read.
    static const std::string due = numbered(pages_sql::due("strpos").c_str(), {"now", "limit", "feeds"}) +
                                   " FOR UPDATE OF pages SKIP LOCKED";
    static const std::string lease = numbered(pages_sql::lease, {"lease", "article"});
    pg::Transaction transaction(db);
    auto r = db.exec(due.c_str(), pg::Params::of(now, limit, join_lines(feeds)));
    std::vector<PageTask> tasks;
    for (int i = 0; i < r.rows(); ++i)
        tasks.push_back({r.integer(i, 0), r.text(i, 1), static_cast<int>(r.integer(i, 2)),
                         static_cast<int>(r.integer(i, 3)), r.text(i, 4)});
    for (const auto& task : tasks) db.exec(lease.c_str(), pg::Params::of(lease_until, task.article_id));
    transaction.commit();
    return tasks;
}

std::optional<TimePoint> next_due(pg::Session& db, const std::vector<std::string>& feeds) {
    static const std::string sql = numbered(pages_sql::next_due("strpos").c_str(), {"feeds"});
    auto r = db.exec(sql.c_str(), pg::Params::of(join_lines(feeds)));
    return r.time(0, 0);
}

void fill_cjk(pg::Session& db) {
    // Pages with any byte outside ASCII, a batch at a time in article order: CJK script is never
    // ASCII, and the texts are not all held at once. Which of them hold CJK is text.hpp's test.
    constexpr int batch = 200;
    std::int64_t after = 0;
    for (;;) {
        auto r = db.exec(
            "SELECT article_id, title, text FROM pages WHERE fetched_at IS NOT NULL AND article_id > $1 "
            "AND (title || text) ~ '[^\\x01-\\x7f]' ORDER BY article_id LIMIT $2",
            pg::Params::of(after, batch));
        for (int i = 0; i < r.rows(); ++i) {
            after = r.integer(i, 0);
            const auto cjk = cjk_column(r.text(i, 1), "", r.text(i, 2));
            if (!cjk.empty())
                db.exec("UPDATE pages SET cjk = $1 WHERE article_id = $2", pg::Params::of(cjk, after));
        }
        if (r.rows() < batch) return;
    }
}

bool record(pg::Session& db, const PageFetch& fetch) {
    static const std::string failed =
        numbered(pages_sql::failed, {"final_url", "status", "tried", "next", "failures", "error", "article"});
    static const std::string current = numbered(pages_sql::current, {"article"});
    static const std::string add_revision =
        numbered(pages_sql::add_revision, {"article", "now", "text", "html"});
    static const std::string trim = numbered(pages_sql::trim_revisions, {"article"});
    static const std::string fetched =
        numbered(pages_sql::fetched, {"final_url", "status", "tried", "next", "unchanged", "title", "method",
                                      "hash", "text", "html", "cjk", "article"});
    pg::Transaction transaction(db);
    bool revised = false;
    const auto status = static_cast<std::int64_t>(fetch.status);
    if (!fetch.error.empty()) {
        db.exec(failed.c_str(), pg::Params::of(fetch.final_url, status, fetch.tried_at, fetch.next_try,
                                               fetch.failures, fetch.error, fetch.article_id));
    } else {
        auto old = db.exec(current.c_str(), pg::Params::of(fetch.article_id));
        if (old.rows() == 0) return false;  // pruned meanwhile
        const bool indexed = !old.null(0, 0);
        const auto old_text = old.text(0, 2);
        if (indexed && !same_text(old_text, fetch.text)) {
            const auto old_html = old.text(0, 3);
            db.exec(add_revision.c_str(),
                    pg::Params::of(fetch.article_id, fetch.tried_at, old_text, old_html));
            db.exec(trim.c_str(), pg::Params::of(fetch.article_id));
            revised = true;
        }
        const auto hash = text::hash_hex(fetch.text);
        db.exec(fetched.c_str(),
                pg::Params::of(fetch.final_url, status, fetch.tried_at, fetch.next_try, fetch.unchanged,
                               fetch.title, fetch.method, hash, fetch.text, fetch.html,
                               cjk_column(fetch.title, "", fetch.text), fetch.article_id));
    }
    transaction.commit();
    return revised;
}

std::optional<PageDetail> read(pg::Session& db, std::int64_t article_id) {
    static const std::string page_sql = numbered(pages_sql::read, {"article"});
    static const std::string revisions_sql = numbered(pages_sql::revisions, {"article"});
    auto r = db.exec(page_sql.c_str(), pg::Params::of(article_id));
    if (r.rows() == 0) return std::nullopt;
    PageDetail page;
    page.url = r.text(0, 0);
    page.final_url = r.text(0, 1);
    page.status = static_cast<long>(r.integer(0, 2));
    page.fetched_at = r.time(0, 3);
    page.tried_at = r.time(0, 4);
    page.next_try = r.time(0, 5);
    page.failures = static_cast<int>(r.integer(0, 6));
    page.error = r.text(0, 7);
    page.title = r.text(0, 8);
    page.method = r.text(0, 9);
    page.text = r.text(0, 10);
    page.html = r.text(0, 11);
    auto revisions = db.exec(revisions_sql.c_str(), pg::Params::of(article_id));
    for (int i = 0; i < revisions.rows(); ++i)
        page.revisions.push_back({TimePoint(std::chrono::seconds(revisions.integer(i, 1))),
                                  revisions.text(i, 3), revisions.text(i, 2)});
    return page;
}

}  // namespace feedd::store::detail::pg_pages
