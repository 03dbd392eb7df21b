#include "store/postgres_reading.hpp"

#include <limits>

#include "feedd/store/store.hpp"
#include "store/reading_sql.hpp"
#include "store/rules.hpp"

namespace feedd::store::detail::pg_reading {
namespace {

std::int64_t seconds(TimePoint t) {
    return static_cast<std::int64_t>(t.time_since_epoch().count());
}

}  // namespace

EntryPage entries(pg::Session& db, const EntryFilter& filter) {
    EntryPage page;
    std::vector<std::int64_t> feed_ids;
    for (const auto& name : filter.feeds)
        if (auto id = pg_feed_id(db, name)) feed_ids.push_back(*id);
    if ((!filter.feeds.empty() && feed_ids.empty()) || (filter.by_articles && filter.articles.empty()))
        return page;
    const auto shape = reading_sql::entries_where(filter, feed_ids);
    // The parameters in their order ($1, $2, ...): the user's name only where the SQL reads it.
    auto bind = [&](bool user, std::vector<std::string>& names, pg::Params& params) {
        if (user) names.push_back("user"), params.add(filter.user);
        if (filter.before) names.push_back("before"), params.add(seconds(*filter.before));
        if (filter.after) names.push_back("after"), params.add(seconds(*filter.after));
        if (filter.before_id) names.push_back("before_id"), params.add(*filter.before_id);
        if (filter.after_id) names.push_back("after_id"), params.add(*filter.after_id);
        if (filter.seen_from) names.push_back("seen_from"), params.add(seconds(*filter.seen_from));
        if (filter.seen_to) names.push_back("seen_to"), params.add(seconds(*filter.seen_to));
    };
    // The total: shown by the page when it is not full, else counted.
    auto count_total = [&] {
        if (!filter.count_total) return;
        if (auto total = reading_sql::total_of_page(filter, page.entries.size())) {
            page.total = *total;
            return;
        }
        std::vector<std::string> names;
        pg::Params params;
        bind(shape.count_binds_user, names, params);
        page.total = db.run(reading_sql::positional(shape.count, names), params).integer(0, 0);
    };
    std::vector<std::string> names;
    pg::Params params;
    bind(true, names, params);
    const auto order = reading_sql::order_limit(filter, "LIMIT ALL");
    const auto& columns = filter.ids_only ? reading_sql::id_columns : reading_sql::entry_columns;
    auto r = db.run(reading_sql::positional(columns + shape.from_where + order, names), params);
    const int id = r.column("id"), article_id = r.column("article_id"), feed_id = r.column("feed_id"),
              feed = r.column("feed"), first_seen = r.column("first_seen"),
              changed_at = r.column("changed_at"), date = r.column("entry_date"), read = r.column("is_read"),
              starred = r.column("starred");
    for (int i = 0; i < r.rows(); ++i) {
        ReaderEntry row;
        row.id = r.integer(i, id);
        row.article_id = r.integer(i, article_id);
        row.feed_id = r.integer(i, feed_id);
        row.feed = r.text(i, feed);
        row.first_seen = TimePoint(std::chrono::seconds(r.integer(i, first_seen)));
        row.changed_at = r.time(i, changed_at);
        row.date = TimePoint(std::chrono::seconds(r.integer(i, date)));
        row.read = r.integer(i, read) != 0;
        row.starred = r.integer(i, starred) != 0;
        page.entries.push_back(std::move(row));
    }
    if (filter.ids_only) {
        count_total();
        return page;
    }
    const int identity = r.column("identity"), guid = r.column("guid"), title = r.column("title"),
              link = r.column("link"), author = r.column("author"), published = r.column("published"),
              updated = r.column("updated"), summary = r.column("summary"), content = r.column("content"),
              categories = r.column("categories"), image = r.column("image");
    for (int i = 0; i < r.rows(); ++i) {
        auto& row = page.entries[static_cast<std::size_t>(i)];
        row.identity = r.text(i, identity);
        row.entry.id = r.text(i, guid);
        row.entry.title = r.text(i, title);
        row.entry.link = r.text(i, link);
        row.entry.author = r.text(i, author);
        row.entry.published = r.time(i, published);
        row.entry.updated = r.time(i, updated);
        row.entry.summary = r.text(i, summary);
        row.entry.content = r.text(i, content);
        row.entry.categories = split_lines(r.text(i, categories));
        row.entry.image = r.text(i, image);
        row.entry.enclosures = pg_enclosures(db, row.id);
    }
    count_total();
    return page;
}

std::vector<ReadCounts> counts(pg::Session& db, const std::string& user) {
    static const std::string sql = reading_sql::positional(reading_sql::counts, {"user"});
    auto r = db.exec(sql.c_str(), pg::Params::of(user));
    std::vector<ReadCounts> out;
    for (int i = 0; i < r.rows(); ++i)
        out.push_back({r.text(i, 0), r.integer(i, 1), r.integer(i, 2), r.integer(i, 3)});
    return out;
}

void set_read(pg::Session& db, const std::string& user, const std::vector<std::int64_t>& entry_ids,
              bool read) {
    static const std::string sql = reading_sql::positional(reading_sql::set_read, {"user", "read", "entry"});
    pg::Transaction transaction(db);
    for (const auto id : entry_ids) db.exec(sql.c_str(), pg::Params::of(user, read ? 1 : 0, id));
    transaction.commit();
}

void set_starred(pg::Session& db, const std::string& user, std::int64_t entry_id, bool starred) {
    static const std::string star = reading_sql::positional(reading_sql::star, {"user", "now", "entry"});
    static const std::string unstar = reading_sql::positional(reading_sql::unstar, {"user", "entry"});
    if (starred) {
        const auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        db.exec(star.c_str(), pg::Params::of(user, TimePoint(now), entry_id));
    } else {
        db.exec(unstar.c_str(), pg::Params::of(user, entry_id));
    }
}

void mark_feed_read(pg::Session& db, const std::string& user, const std::string& feed,
                    std::optional<TimePoint> seen_until) {
    static const std::string mark =
        reading_sql::positional(reading_sql::mark_feed, {"user", "feed", "until"});
    static const std::string drop =
        reading_sql::positional(reading_sql::drop_unread_flags, {"user", "feed", "until"});
    const auto id = pg_feed_id(db, feed);
    if (!id) throw QueryError("unknown feed '" + feed + "'");
    const std::int64_t until = seen_until ? seconds(*seen_until) : std::numeric_limits<std::int64_t>::max();
    pg::Transaction transaction(db);
    db.exec(mark.c_str(), pg::Params::of(user, *id, until));
    db.exec(drop.c_str(), pg::Params::of(user, *id, until));
    transaction.commit();
}

}  // namespace feedd::store::detail::pg_reading
