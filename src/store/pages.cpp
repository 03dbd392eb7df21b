// Full text on SQLite: article pages (pages_sql.hpp; docs/ARCHITECTURE.md, "Full text"). The HTML
// is stored as entries' is (schema v5: a zstd frame against the plain text); the text is indexed
// in `pages_fts`, kept in sync here (no update trigger, as for entries: schema_v3).
#include "feedd/text/text.hpp"
#include "store/impl.hpp"
#include "store/pages_sql.hpp"
#include "store/rules.hpp"
#include "store/text.hpp"

namespace feedd::store {

void detail::Connection::request_pages(const std::vector<PageRequest>& requests, TimePoint now) {
    this->call(detail::write_failed, [&] {
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        auto& insert = this->statement(pages_sql::request);
        for (const auto& request : requests) {
            insert.bind(":article", request.article_id);
            insert.bind(":url", request.url);
            insert.bind(":now", seconds(now));
            insert.exec();
            insert.reset();
        }
        transaction.commit();
    });
}

std::vector<PageTask> detail::Connection::claim_pages(TimePoint now, TimePoint lease_until, int limit,
                                                      const std::vector<std::string>& feeds) {
    static const std::string due_sql = pages_sql::due("instr");
    return this->call(detail::write_failed, [&] {
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        std::vector<PageTask> tasks;
        auto& due = this->statement(due_sql.c_str());
        due.bind(":now", seconds(now));
        due.bind(":limit", limit);
        due.bind(":feeds", detail::join_lines(feeds));
        while (due.executeStep()) {
            tasks.push_back({due.getColumn("article_id").getInt64(), due.getColumn("url").getString(),
                             due.getColumn("failures").getInt(), due.getColumn("unchanged").getInt(),
                             due.getColumn("text_hash").getString()});
        }
        due.reset();
        auto& lease = this->statement(pages_sql::lease);
        for (const auto& task : tasks) {
            lease.bind(":lease", seconds(lease_until));
            lease.bind(":article", task.article_id);
            lease.exec();
            lease.reset();
        }
        transaction.commit();
        return tasks;
    });
}

std::optional<TimePoint> detail::Connection::next_page_due(const std::vector<std::string>& feeds) {
    static const std::string sql = pages_sql::next_due("instr");
    return this->call(detail::read_failed, [&] {
        auto& select = this->statement(sql.c_str());
        select.bind(":feeds", detail::join_lines(feeds));
        select.executeStep();
        return time_column(select.getColumn(0));
    });
}

bool detail::Connection::record_page(const PageFetch& fetch) {
    return this->call(detail::write_failed, [&] {
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        bool revised = false;
        if (!fetch.error.empty()) {
            auto& update = this->statement(pages_sql::failed);
            update.bind(":final_url", fetch.final_url);
            update.bind(":status", static_cast<std::int64_t>(fetch.status));
            update.bind(":tried", seconds(fetch.tried_at));
            bind_time(update, ":next", fetch.next_try);
            update.bind(":failures", fetch.failures);
            update.bind(":error", fetch.error);
            update.bind(":article", fetch.article_id);
            update.exec();
        } else {
            auto& current = this->statement(pages_sql::current);
            current.bind(":article", fetch.article_id);
            if (!current.executeStep()) return false;  // pruned meanwhile
            const bool indexed = !current.getColumn("fetched_at").isNull();
            const auto old_title = current.getColumn("title").getString();
            const auto old_text = current.getColumn("text").getString();
            const auto old_html = stored_text(current.getColumn("html"), old_text, "page", fetch.article_id);
            const auto old_cjk = current.getColumn("cjk").getString();
            current.reset();
            const auto cjk = cjk_column(fetch.title, "", fetch.text);
            std::string frames[2];
            if (indexed && !detail::same_text(old_text, fetch.text)) {
                auto& revision = this->statement(pages_sql::add_revision);
                LargeBinds binds(revision);
                revision.bind(":article", fetch.article_id);
                revision.bind(":now", seconds(fetch.tried_at));
                bind_no_copy(revision, ":text", old_text);
                bind_packed(revision, ":html", old_html, old_text, frames[0]);
                revision.exec();
                auto& trim = this->statement(pages_sql::trim_revisions);
                trim.bind(":article", fetch.article_id);
                trim.exec();
                revised = true;
            }
            if (indexed) {
                auto& drop = this->statement(
                    "INSERT INTO pages_fts(pages_fts, rowid, title, author, text) VALUES ('delete', ?, ?, "
                    "'', ?)");
                SQLite::bind(drop, fetch.article_id, old_title, old_text);
                drop.exec();
                if (!old_cjk.empty()) {
                    auto& drop_cjk = this->statement(
                        "INSERT INTO pages_cjk(pages_cjk, rowid, cjk) VALUES ('delete', ?, ?)");
                    SQLite::bind(drop_cjk, fetch.article_id, old_cjk);
                    drop_cjk.exec();
                }
            }
            auto& update = this->statement(pages_sql::fetched);
            LargeBinds binds(update);
            update.bind(":final_url", fetch.final_url);
            update.bind(":status", static_cast<std::int64_t>(fetch.status));
            update.bind(":tried", seconds(fetch.tried_at));
            bind_time(update, ":next", fetch.next_try);
            update.bind(":unchanged", fetch.unchanged);
            update.bind(":title", fetch.title);
            update.bind(":method", fetch.method);
            update.bind(":hash", text::hash_hex(fetch.text));
            bind_no_copy(update, ":text", fetch.text);
            bind_packed(update, ":html", fetch.html, fetch.text, frames[1]);
            bind_no_copy(update, ":cjk", cjk);
            update.bind(":article", fetch.article_id);
            update.exec();
            auto& index =
                this->statement("INSERT INTO pages_fts(rowid, title, author, text) VALUES (?, ?, '', ?)");
            LargeBinds index_binds(index);
            index.bind(1, fetch.article_id);
            index.bind(2, fetch.title);
            bind_no_copy(index, 3, fetch.text);
            index.exec();
            // The trigram index holds only pages with CJK text, as for entries.
            if (!cjk.empty()) {
                auto& trigrams = this->statement("INSERT INTO pages_cjk(rowid, cjk) VALUES (?, ?)");
                LargeBinds trigram_binds(trigrams);
                trigrams.bind(1, fetch.article_id);
                bind_no_copy(trigrams, 2, cjk);
                trigrams.exec();
            }
        }
        transaction.commit();
        return revised;
    });
}

std::optional<PageDetail> detail::Connection::page(std::int64_t article_id) {
    return this->call(detail::read_failed, [&]() -> std::optional<PageDetail> {
        auto& select = this->statement(pages_sql::read);
        select.bind(":article", article_id);
        if (!select.executeStep()) return std::nullopt;
        PageDetail page;
        page.url = select.getColumn("url").getString();
        page.final_url = select.getColumn("final_url").getString();
        page.status = static_cast<long>(select.getColumn("status").getInt64());
        page.fetched_at = time_column(select.getColumn("fetched_at"));
        page.tried_at = time_column(select.getColumn("tried_at"));
        page.next_try = time_column(select.getColumn("next_try"));
        page.failures = select.getColumn("failures").getInt();
        page.error = select.getColumn("error").getString();
        page.title = select.getColumn("title").getString();
        page.method = select.getColumn("method").getString();
        page.text = select.getColumn("text").getString();
        page.html = stored_text(select.getColumn("html"), page.text, "page", article_id);
        select.reset();
        auto& revisions = this->statement(pages_sql::revisions);
        revisions.bind(":article", article_id);
        while (revisions.executeStep()) {
            PageRevision revision;
            revision.recorded_at =
                TimePoint(std::chrono::seconds(revisions.getColumn("recorded_at").getInt64()));
            revision.text = revisions.getColumn("text").getString();
            revision.html = stored_text(revisions.getColumn("html"), revision.text, "page revision",
                                        revisions.getColumn("id").getInt64());
            page.revisions.push_back(std::move(revision));
        }
        return page;
    });
}

}  // namespace feedd::store
