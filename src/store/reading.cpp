// Reading state on SQLite (docs/ARCHITECTURE.md, "Reading state"): per user, a watermark per feed
// (read_marks: the feed's entries up to an id are read) and exceptions per article (read_flags:
// read or unread whatever the watermark says), and stars. "All unread" costs no row; "mark all
// as read" costs one row and the deletion of that feed's unread exceptions.
#include <limits>

#include "store/impl.hpp"
#include "store/reading_sql.hpp"

namespace feedd::store {

EntryPage detail::Connection::reader_entries(const EntryFilter& filter) {
    return this->call(detail::read_failed, [&] {
        EntryPage page;
        std::vector<std::int64_t> feed_ids;
        for (const auto& name : filter.feeds) {
            if (auto id = this->feed_id(name)) feed_ids.push_back(*id);
        }
        if ((!filter.feeds.empty() && feed_ids.empty()) || (filter.by_articles && filter.articles.empty()))
            return page;
        const auto shape = reading_sql::entries_where(filter, feed_ids);
        auto bind = [&](SQLite::Statement& statement, bool user) {
            if (user) statement.bind(":user", filter.user);
            if (filter.before)
                statement.bind(":before",
                               static_cast<std::int64_t>(filter.before->time_since_epoch().count()));
            if (filter.after)
                statement.bind(":after", static_cast<std::int64_t>(filter.after->time_since_epoch().count()));
            if (filter.before_id) statement.bind(":before_id", *filter.before_id);
            if (filter.after_id) statement.bind(":after_id", *filter.after_id);
            if (filter.seen_from)
                statement.bind(":seen_from",
                               static_cast<std::int64_t>(filter.seen_from->time_since_epoch().count()));
            if (filter.seen_to)
                statement.bind(":seen_to",
                               static_cast<std::int64_t>(filter.seen_to->time_since_epoch().count()));
        };
        SQLite::Statement select(this->db,
                                 (filter.ids_only ? reading_sql::id_columns : reading_sql::entry_columns) +
                                     shape.from_where + reading_sql::order_limit(filter, "LIMIT -1"));
        bind(select, true);
        while (select.executeStep()) {
            ReaderEntry row;
            row.id = select.getColumn("id").getInt64();
            row.article_id = select.getColumn("article_id").getInt64();
            row.feed_id = select.getColumn("feed_id").getInt64();
            row.feed = select.getColumn("feed").getString();
            row.first_seen = TimePoint(std::chrono::seconds(select.getColumn("first_seen").getInt64()));
            row.changed_at = time_column(select.getColumn("changed_at"));
            row.date = TimePoint(std::chrono::seconds(select.getColumn("entry_date").getInt64()));
            row.read = select.getColumn("is_read").getInt() != 0;
            row.starred = select.getColumn("starred").getInt() != 0;
            if (filter.ids_only) {
                page.entries.push_back(std::move(row));
                continue;
            }
            row.identity = select.getColumn("identity").getString();
            row.entry.id = select.getColumn("guid").getString();
            row.entry.title = select.getColumn("title").getString();
            row.entry.link = select.getColumn("link").getString();
            row.entry.author = select.getColumn("author").getString();
            row.entry.published = time_column(select.getColumn("published"));
            row.entry.updated = time_column(select.getColumn("updated"));
            const auto text = select.getColumn("text").getString();
            row.entry.summary = detail::stored_text(select.getColumn("summary"), text, "entry", row.id);
            row.entry.content = detail::stored_text(select.getColumn("content"), text, "entry", row.id);
            row.entry.categories = detail::split_lines(select.getColumn("categories").getString());
            row.entry.image = select.getColumn("image").getString();
            page.entries.push_back(std::move(row));
        }
        if (!filter.ids_only)
            for (auto& row : page.entries) row.entry.enclosures = this->enclosures(row.id);
        if (filter.count_total) {
            if (auto total = reading_sql::total_of_page(filter, page.entries.size())) {
                page.total = *total;
            } else {
                SQLite::Statement count(this->db, shape.count);
                bind(count, shape.count_binds_user);
                count.executeStep();
                page.total = count.getColumn(0).getInt64();
            }
        }
        return page;
    });
}

std::vector<ReadCounts> detail::Connection::read_counts(const std::string& user) {
    return this->call(detail::read_failed, [&] {
        std::vector<ReadCounts> counts;
        auto& select = this->statement(reading_sql::counts.c_str());
        select.bind(":user", user);
        while (select.executeStep()) {
            counts.push_back({select.getColumn("name").getString(), select.getColumn("id").getInt64(),
                              select.getColumn("read_count").getInt64(),
                              select.getColumn("unread_count").getInt64()});
        }
        return counts;
    });
}

void detail::Connection::set_read(const std::string& user, const std::vector<std::int64_t>& entry_ids,
                                  bool read) {
    this->call(detail::write_failed, [&] {
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        auto& upsert = this->statement(reading_sql::set_read);
        for (const auto id : entry_ids) {
            upsert.bind(":user", user);
            upsert.bind(":entry", id);
            upsert.bind(":read", read ? 1 : 0);
            upsert.exec();
            upsert.reset();
        }
        transaction.commit();
    });
}

void detail::Connection::set_starred(const std::string& user, std::int64_t entry_id, bool starred) {
    this->call(detail::write_failed, [&] {
        auto& write = this->statement(starred ? reading_sql::star : reading_sql::unstar);
        write.bind(":user", user);
        write.bind(":entry", entry_id);
        if (starred)
            write.bind(":now",
                       static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                     std::chrono::system_clock::now().time_since_epoch())
                                                     .count()));
        write.exec();
    });
}

void detail::Connection::mark_feed_read(const std::string& user, const std::string& feed,
                                        std::optional<TimePoint> seen_until) {
    this->call(detail::write_failed, [&] {
        const auto id = this->feed_id(feed);
        if (!id) throw QueryError("unknown feed '" + feed + "'");
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        for (const char* sql : {reading_sql::mark_feed, reading_sql::drop_unread_flags}) {
            auto& statement = this->statement(sql);
            statement.bind(":user", user);
            statement.bind(":feed", *id);
            statement.bind(":until", seen_until
                                         ? static_cast<std::int64_t>(seen_until->time_since_epoch().count())
                                         : std::numeric_limits<std::int64_t>::max());
            statement.exec();
            statement.reset();
        }
        transaction.commit();
    });
}

}  // namespace feedd::store
