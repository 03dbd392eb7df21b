// One poll into the archive: entry identity, deduplication, revisions, the feed's fetch state.
// The rules are docs/ARCHITECTURE.md's "Identity and deduplication".
#include <algorithm>

#include <sqlite3.h>

#include "store/impl.hpp"
#include "store/rules.hpp"

namespace feedd::store {

using detail::bind_no_copy;
using detail::bind_time;
using detail::LargeBinds;
using detail::seconds;

namespace {

using detail::Candidate;
using detail::Existing;
using detail::LinkMatch;

constexpr int optimize_every = 1000;  // commits between two `PRAGMA optimize`

// The SQLite statements of the ingest for one feed (what rules.hpp's `EntryIngest` asks of a store).
struct SqliteIngest {
    detail::Connection& impl;
    std::int64_t feed_id;

    // Each lookup is a call into SQLite in this process: nothing to gain by reading ahead.
    void look_ahead(const std::vector<detail::Candidate>&) {}

    std::optional<Existing> find(const std::string& key) {
        auto& select = impl.statement(
            "SELECT id, article_id, seen_hash FROM entries WHERE feed_id = ? AND identity = ?");
        SQLite::bind(select, feed_id, key);
        if (!select.executeStep()) return std::nullopt;
        return existing(select);
    }

    // The columns of `find` and `by_link`, by position: they run once per entry of every poll,
    // where a lookup by name would cost a map search per value.
    enum Column : int { id_column, article_id_column, seen_hash_column, guid_column };
    static Existing existing(const SQLite::Statement& row) {
        return {row.getColumn(id_column).getInt64(), row.getColumn(article_id_column).getInt64(),
                row.getColumn(seen_hash_column).getString()};
    }

    // Lookups by link go through its key (schema v12, text.hpp link_key) and compare the text.
    static void bind_link_key(SQLite::Statement& statement, const char* name, const std::string& canonical) {
        if (const auto key = detail::link_key(canonical))
            statement.bind(name, *key);
        else
            statement.bind(name);
    }

    LinkMatch by_link(const std::string& canonical) {
        auto& select = impl.statement(
            "SELECT id, article_id, seen_hash, guid FROM entries "
            "WHERE feed_id = :feed AND link_key = :key AND canonical_link = :link LIMIT 2");
        select.bind(":feed", feed_id);
        bind_link_key(select, ":key", canonical);
        select.bind(":link", canonical);
        LinkMatch match;
        while (select.executeStep()) {
            if (match.count++ == 0) {
                match.first = existing(select);
                match.guid = select.getColumn(guid_column).getString();
            }
        }
        return match;
    }

    void unlink(const std::string& canonical) {
        auto& clear = impl.statement(R"sql(
UPDATE articles SET canonical_link = NULL, link_key = NULL
WHERE link_key = :key AND canonical_link = :link
  AND id IN (SELECT article_id FROM entries WHERE feed_id = :feed AND link_key = :key AND canonical_link = :link))sql");
        bind_link_key(clear, ":key", canonical);
        clear.bind(":link", canonical);
        clear.bind(":feed", feed_id);
        clear.exec();
    }

    bool tombstoned(const std::string& key) {
        auto& select = impl.statement("SELECT 1 FROM tombstones WHERE feed_id = ? AND identity = ?");
        SQLite::bind(select, feed_id, key);
        return select.executeStep();
    }

    bool link_tombstoned(const std::string& canonical) {
        auto& links = impl.statement("SELECT 1 FROM tombstone_links WHERE canonical_link = ?");
        links.bind(1, canonical);
        return links.executeStep();
    }

    std::optional<std::int64_t> article_by_link(const std::string& canonical) {
        auto& select = impl.statement(R"sql(
SELECT a.id FROM articles a WHERE a.link_key = :key AND a.canonical_link = :link
  AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.article_id = a.id AND e.feed_id = :feed)
ORDER BY a.id LIMIT 1)sql");
        bind_link_key(select, ":key", canonical);
        select.bind(":link", canonical);
        select.bind(":feed", feed_id);
        if (select.executeStep()) return select.getColumn("id").getInt64();
        return std::nullopt;
    }

    std::int64_t insert_article(const std::string* link, TimePoint now, const std::optional<TimePoint>& date,
                                TimePoint sort_time) {
        auto& insert = impl.statement(
            "INSERT INTO articles (canonical_link, link_key, first_seen, published, sort_time) "
            "VALUES (:link, :key, :now, :published, :sort_time)");
        if (link != nullptr) {
            insert.bind(":link", *link);
            bind_link_key(insert, ":key", *link);
        } else {
            insert.bind(":link");
            insert.bind(":key");
        }
        insert.bind(":now", seconds(now));
        bind_time(insert, ":published", date);
        insert.bind(":sort_time", seconds(sort_time));
        insert.exec();
        return impl.db.getLastInsertRowid();
    }

    // An article without a date takes the first one an entry gives it.
    void adopt_date(std::int64_t article_id, TimePoint published) {
        auto& update = impl.statement(R"sql(
UPDATE articles SET published = :published,
                    sort_time = CASE WHEN :published <= first_seen THEN :published ELSE sort_time END
WHERE id = :article AND published IS NULL)sql");
        update.bind(":published", seconds(published));
        update.bind(":article", article_id);
        update.exec();
    }

    void update_fullest(std::int64_t article_id, std::int64_t entry_id) {
        auto& update = impl.statement(R"sql(
UPDATE articles SET fullest_entry = :entry
WHERE id = :article AND (fullest_entry IS NULL OR fullest_entry = :entry OR
                         (SELECT length(text) + length(title) FROM entries WHERE id = fullest_entry) <
                         (SELECT length(text) + length(title) FROM entries WHERE id = :entry)))sql");
        update.bind(":entry", entry_id);
        update.bind(":article", article_id);
        update.exec();
    }

    void write_enclosures(std::int64_t entry_id, const std::vector<Enclosure>& enclosures) {
        auto& remove = impl.statement("DELETE FROM enclosures WHERE entry_id = ?");
        remove.bind(1, entry_id);
        remove.exec();
        int position = 0;
        for (const auto& enclosure : enclosures) {
            if (enclosure.url.empty()) continue;
            auto& insert = impl.statement(
                "INSERT INTO enclosures (entry_id, position, url, type, length) VALUES (?, ?, ?, ?, "
                ":length)");
            SQLite::bind(insert, entry_id, position++, enclosure.url, enclosure.type);
            if (enclosure.length)
                insert.bind(":length", static_cast<std::int64_t>(*enclosure.length));
            else
                insert.bind(":length");
            insert.exec();
        }
    }

    // What the two full-text indexes hold of an entry. They are external-content tables kept by
    // these statements rather than by triggers (see schema_v3): a delete must name exactly the
    // values that were indexed.
    struct Indexed {
        const std::string& title;
        const std::string& author;
        const std::string& text;
        const std::string& cjk;
    };

    // `entries.cjk` keeps a mark, not the text (schema v11): the view entries_cjk_v joins it again.
    static std::string stored_cjk(const std::string& cjk) {
        return cjk.empty() ? std::string() : std::string(detail::cjk_mark);
    }

    void index_entry(std::int64_t id, const Indexed& values) {
        write_index("INSERT INTO entries_fts(rowid, title, author, text) VALUES (?, ?, ?, ?)",
                    "INSERT INTO entries_cjk(rowid, cjk) VALUES (?, ?)", id, values);
    }

    void unindex_entry(std::int64_t id, const Indexed& values) {
        write_index(
            "INSERT INTO entries_fts(entries_fts, rowid, title, author, text) VALUES ('delete', ?, ?, ?, ?)",
            "INSERT INTO entries_cjk(entries_cjk, rowid, cjk) VALUES ('delete', ?, ?)", id, values);
    }

    void write_index(const char* words_sql, const char* trigrams_sql, std::int64_t id,
                     const Indexed& values) {
        auto& words = impl.statement(words_sql);
        LargeBinds words_binds(words);
        SQLite::bind(words, id, values.title, values.author);
        bind_no_copy(words, 4, values.text);
        words.exec();
        if (values.cjk.empty()) return;  // the trigram index holds only entries with CJK text
        auto& trigrams = impl.statement(trigrams_sql);
        LargeBinds trigrams_binds(trigrams);
        trigrams.bind(1, id);
        bind_no_copy(trigrams, 2, values.cjk);
        trigrams.exec();
    }

    std::int64_t insert_entry(std::int64_t article_id, const Candidate& c, const std::string& cjk,
                              TimePoint now) {
        const Entry& entry = *c.entry;
        auto& insert = impl.statement(R"sql(
INSERT INTO entries (article_id, feed_id, identity, guid, link, canonical_link, content_hash, seen_hash, title, author,
                     summary, content, text, cjk, published, updated, categories, image, first_seen, link_key)
VALUES (:article_id, :feed_id, :identity, :guid, :link, :canonical_link, :content_hash, :seen_hash, :title,
        :author, :summary, :content, :text, :cjk, :published, :updated, :categories, :image, :now, :link_key))sql");
        std::string frames[2];  // the packed HTML, bound without a copy: outlives the bindings
        LargeBinds large(insert);
        insert.bind(":article_id", article_id);
        insert.bind(":feed_id", feed_id);
        insert.bind(":identity", c.key);
        insert.bind(":guid", entry.id);
        insert.bind(":link", entry.link);
        insert.bind(":canonical_link", c.canonical);
        bind_link_key(insert, ":link_key", c.canonical);
        insert.bind(":content_hash", c.content_hash);
        insert.bind(":seen_hash", c.seen_hash);
        insert.bind(":title", entry.title);
        insert.bind(":author", entry.author);
        // The HTML packed against the plain text (schema v5), unless the digest packed it ahead.
        if (const auto* packed = c.packed()) {
            auto frame = [](const std::optional<std::string>& f) { return f ? &*f : nullptr; };
            detail::bind_stored(insert, ":summary", entry.summary, frame(packed->summary_frame));
            detail::bind_stored(insert, ":content", entry.content, frame(packed->content_frame));
        } else {
            detail::bind_packed(insert, ":summary", entry.summary, c.text(), frames[0]);
            detail::bind_packed(insert, ":content", entry.content, c.text(), frames[1]);
        }
        bind_no_copy(insert, ":text", c.text());
        insert.bind(":cjk", stored_cjk(cjk));
        bind_time(insert, ":published", entry.published);
        bind_time(insert, ":updated", entry.updated);
        insert.bind(":categories", detail::join_lines(entry.categories));
        insert.bind(":image", entry.image);
        insert.bind(":now", seconds(now));
        insert.exec();
        auto entry_id = impl.db.getLastInsertRowid();
        index_entry(entry_id, {entry.title, entry.author, c.text(), cjk});
        return entry_id;
    }

    detail::StoredEntry read_entry(std::int64_t id) {
        auto& select = impl.statement(
            "SELECT title, author, summary, content, link, published, updated, categories, image, guid, "
            "canonical_link,"
            " text, cjk FROM entries WHERE id = ?");
        select.bind(1, id);
        select.executeStep();
        detail::StoredEntry old;
        old.entry.title = select.getColumn("title").getString();
        old.entry.author = select.getColumn("author").getString();
        old.text = select.getColumn("text").getString();
        old.entry.summary = detail::stored_text(select.getColumn("summary"), old.text, "entry", id);
        old.entry.content = detail::stored_text(select.getColumn("content"), old.text, "entry", id);
        old.entry.link = select.getColumn("link").getString();
        old.entry.published = detail::time_column(select.getColumn("published"));
        old.entry.updated = detail::time_column(select.getColumn("updated"));
        old.categories = select.getColumn("categories").getString();
        old.entry.image = select.getColumn("image").getString();
        old.entry.id = select.getColumn("guid").getString();
        old.canonical = select.getColumn("canonical_link").getString();
        // The text the trigram index holds, as entries_cjk_v joins it (schema v11).
        if (!select.getColumn("cjk").getString().empty())
            old.cjk = detail::cjk_joined(old.entry.title, old.entry.author, old.text);
        select.reset();
        return old;
    }

    void add_revision(std::int64_t entry_id, TimePoint now, const Entry& old) {
        auto& revision = impl.statement(
            "INSERT INTO revisions (entry_id, recorded_at, title, summary, content) VALUES (?1, ?2, ?3, "
            "?4, "
            "?5)");
        {
            std::string frames[2];  // outlive the bindings (LargeBinds)
            LargeBinds large(revision);
            SQLite::bind(revision, entry_id, seconds(now), old.title);
            detail::bind_packed(revision, "?4", old.summary, {}, frames[0]);
            detail::bind_packed(revision, "?5", old.content, {}, frames[1]);
            revision.exec();
        }
        auto& trim = impl.statement(R"sql(
DELETE FROM revisions WHERE entry_id = :entry
  AND id NOT IN (SELECT id FROM revisions WHERE entry_id = :entry ORDER BY id DESC LIMIT :keep))sql");
        trim.bind(":entry", entry_id);
        trim.bind(":keep", detail::max_revisions);
        trim.exec();
    }

    void update_text(std::int64_t entry_id, const detail::TextUpdate& u, TimePoint now) {
        auto& update = impl.statement(R"sql(
UPDATE entries SET title = :title, author = :author, summary = :summary, content = :content, text = :text,
                   cjk = :cjk, changed_at = CASE WHEN :text_changed THEN :now ELSE changed_at END
WHERE id = :id)sql");
        {
            std::string frames[2];  // packed against `text`, in the statement that writes it
            LargeBinds large(update);
            update.bind(":title", u.title);
            update.bind(":author", u.author);
            detail::bind_packed(update, ":summary", u.summary, u.text, frames[0]);
            detail::bind_packed(update, ":content", u.content, u.text, frames[1]);
            bind_no_copy(update, ":text", u.text);
            update.bind(":cjk", stored_cjk(u.cjk));
            update.bind(":text_changed", u.text_changed ? 1 : 0);
            update.bind(":now", seconds(now));
            update.bind(":id", entry_id);
            update.exec();
        }
        unindex_entry(entry_id, {u.old.entry.title, u.old.entry.author, u.old.text, u.old.cjk});
        index_entry(entry_id, {u.title, u.author, u.text, u.cjk});
    }

    void update_meta(std::int64_t entry_id, const detail::MetaUpdate& m) {
        auto& meta = impl.statement(R"sql(
UPDATE entries SET guid = :guid, link = :link, canonical_link = :canonical_link, link_key = :link_key,
                   published = :published,
                   updated = :updated, categories = :categories, image = :image, seen_hash = :seen_hash,
                   content_hash = :content_hash
WHERE id = :id)sql");
        meta.bind(":guid", m.guid);
        meta.bind(":link", m.link);
        meta.bind(":canonical_link", m.canonical);
        bind_link_key(meta, ":link_key", m.canonical);
        bind_time(meta, ":published", m.published);
        bind_time(meta, ":updated", m.updated);
        meta.bind(":categories", m.categories);
        meta.bind(":image", m.image);
        meta.bind(":seen_hash", m.seen_hash);
        meta.bind(":content_hash", m.content_hash);
        meta.bind(":id", entry_id);
        meta.exec();
    }

    void rekey(std::int64_t entry_id, const std::string& key) {
        auto& rekey = impl.statement("UPDATE entries SET identity = ? WHERE id = ?");
        SQLite::bind(rekey, key, entry_id);
        rekey.exec();
    }

    // Only an entry of this size can reach SQLite's limit; only it pays for a savepoint. An entry
    // refused by SQLite as SQLITE_TOOBIG is undone alone and never retried as if the disk were full.
    template <class Work>
    bool guard(std::size_t size, Work work) {
        if (size < savepoint_from) {
            work();
            return true;
        }
        impl.db.exec("SAVEPOINT feedd_entry");
        try {
            work();
            impl.db.exec("RELEASE feedd_entry");
            return true;
        } catch (const SQLite::Exception& e) {
            if ((e.getErrorCode() & 0xff) != SQLITE_TOOBIG) throw;
            impl.reset_statements();
            impl.db.exec("ROLLBACK TO feedd_entry");
            impl.db.exec("RELEASE feedd_entry");
            return false;
        }
    }
    static constexpr std::size_t savepoint_from = std::size_t{8} << 20;
};

void update_feed_metadata(detail::Connection& impl, std::int64_t feed_id, const ParsedFeed& parsed) {
    auto& update = impl.statement(R"sql(
UPDATE feeds SET title = coalesce(nullif(:title, ''), title), site_link = coalesce(nullif(:link, ''), site_link),
                 subtitle = coalesce(nullif(:subtitle, ''), subtitle),
                 language = coalesce(nullif(:language, ''), language), image = coalesce(nullif(:image, ''), image),
                 format = coalesce(nullif(:format, ''), format)
WHERE id = :id)sql");
    update.bind(":id", feed_id);
    update.bind(":title", parsed.title);
    update.bind(":link", parsed.link);
    update.bind(":subtitle", parsed.subtitle);
    update.bind(":language", parsed.language);
    update.bind(":image", parsed.image);
    update.bind(":format", parsed.format == FeedFormat::unknown ? "" : to_string(parsed.format));
    update.exec();
}

}  // namespace

namespace {

// One poll's entries and state, inside the caller's transaction.
IngestCounts ingest_poll(detail::Connection& impl, const PollWrite& poll) {
    auto feed_id = detail::ensure_feed(impl, poll.feed, poll.now);
    const bool stored_fallback = detail::stored_fallback(impl, feed_id);
    bool fallback = stored_fallback;
    IngestCounts counts;
    if (poll.parsed != nullptr && poll.parsed->is_feed) {
        if (!poll.history) update_feed_metadata(impl, feed_id, *poll.parsed);
        SqliteIngest sql{impl, feed_id};
        counts = detail::ingest_entries(sql, poll.feed, *poll.parsed, fallback, poll.now, poll.digest);
    }
    if (!poll.history) {
        detail::write_state(impl, feed_id, poll.state, fallback);
    } else if (fallback != stored_fallback) {
        // The fallback is the feed's for good, whichever page showed the broken guids: later pages
        // and polls must key its entries the same way.
        auto& update = impl.statement("UPDATE feed_state SET identity_fallback = 1 WHERE feed_id = ?");
        update.bind(1, feed_id);
        update.exec();
    }
    return counts;
}

}  // namespace

std::vector<PollCommit> detail::Connection::commit_polls(std::span<const PollWrite> polls) {
    std::vector<PollCommit> results(polls.size());
    // Polls [first, first + count) in one transaction; throws, keeping none of them, when one fails.
    auto write_together = [&](std::size_t first, std::size_t count) {
        detail::Connection::StatementScope scope(*this);
        SQLite::Transaction transaction(this->db, SQLite::TransactionBehavior::IMMEDIATE);
        for (std::size_t i = first; i < first + count; ++i) results[i].counts = ingest_poll(*this, polls[i]);
        this->reset_statements();  // before COMMIT, so that its checkpoint is not held back
        transaction.commit();
        if (++this->commits_since_optimize >= optimize_every) {
            this->commits_since_optimize = 0;
            this->db.tryExec("PRAGMA optimize");
        }
    };
    detail::commit_together_else_each<SQLite::Exception>(
        results, write_together,
        [this](const SQLite::Exception& e) { return this->failure(detail::write_failed, e); });
    return results;
}

}  // namespace feedd::store
