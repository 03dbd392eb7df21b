// One poll into the archive: entry identity, deduplication, revisions, the feed's fetch state.
// The rules are docs/ARCHITECTURE.md's "Identity and deduplication".
#include <algorithm>
#include <unordered_map>

#include <sqlite3.h>

#include "feedd/url/url.hpp"
#include "store/impl.hpp"
#include "store/text.hpp"

namespace feedd::store {

using detail::bind_no_copy;
using detail::bind_time;
using detail::collapse_space;
using detail::LargeBinds;
using detail::seconds;

namespace {

constexpr int max_revisions = 20;
constexpr int optimize_every = 1000;  // commits between two `PRAGMA optimize`

struct Existing {
    std::int64_t id = 0;
    std::int64_t article_id = 0;
    std::string seen_hash;
};

std::string time_text(const std::optional<TimePoint>& time);

// One entry of the poll with what identity needs, computed once.
struct Candidate {
    const Entry* entry = nullptr;
    std::string canonical;  // canonical link, "" without a link
    std::string text;       // plain text of content, else summary
    std::string content_hash;
    std::string seen_hash;
    bool guid_repeated = false;  // within this poll
    bool link_repeated = false;  // within this poll: the link is not specific
    std::string key;
    std::optional<Existing> existing;

    // The plain text is needed only to write the entry or to key it by content: an unchanged
    // entry never pays for it.
    void prepare_text() {
        if (text_ready) return;
        text = detail::entry_text(entry->content, entry->summary);
        content_hash = detail::content_hash(entry->title, time_text(entry->published), text);
        text_ready = true;
    }

  private:
    bool text_ready = false;
};

// White space is collapsed, and dropped beside tags ("<p> a </p>" is "<p>a</p>"): a feed that
// re-indents its HTML has not edited the story. One copy of the text, edited in place.
std::string comparable(std::string_view html) {
    auto text = collapse_space(html);
    std::size_t kept = 0;  // text[0, kept) is the result so far; never ahead of the reading
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == ' ' &&
            ((kept > 0 && text[kept - 1] == '>') || (i + 1 < text.size() && text[i + 1] == '<')))
            continue;
        text[kept++] = text[i];
    }
    text.resize(kept);
    return text;
}

// Equal as the archive compares texts; equal strings are not copied to be compared.
bool same_text(const std::string& a, const std::string& b) {
    return a == b || comparable(a) == comparable(b);
}

// The date an entry gives its article: published, else updated (Atom requires only the latter).
std::optional<TimePoint> entry_date(const Entry& entry) {
    return entry.published ? entry.published : entry.updated;
}

std::string time_text(const std::optional<TimePoint>& time) {
    return time ? std::to_string(seconds(*time)) : std::string();
}

// Everything the feed said about the entry: equal hashes mean nothing to do. Hashed piece by
// piece: the entry's text is not copied for it.
std::string seen_hash(const Entry& entry) {
    detail::Hasher all;
    auto add = [&all](std::string_view part) { all.add(part).add('\x1f'); };
    add(entry.id);
    add(entry.title);
    add(entry.link);
    add(time_text(entry.published));
    add(time_text(entry.updated));
    add(entry.author);
    add(entry.summary);
    add(entry.content);
    for (const auto& category : entry.categories) add(category);
    add("\x1e");
    add(entry.image);
    for (const auto& enclosure : entry.enclosures) {
        add(enclosure.url);
        add(enclosure.type);
        add(enclosure.length ? std::to_string(*enclosure.length) : "");
    }
    return all.hex();
}

Candidate make_candidate(const Entry& entry) {
    Candidate candidate;
    candidate.entry = &entry;
    candidate.canonical = url::canonical_link(entry.link);
    candidate.seen_hash = seen_hash(entry);
    return candidate;
}

// The entry's key under the feed's rule; prefixes keep keys of different kinds apart.
std::string identity_key(Candidate& c, IdentityRule rule, bool fallback) {
    const auto& guid = c.entry->id;
    bool guid_ok = !guid.empty() && !c.guid_repeated;
    bool link_ok = !c.canonical.empty() && !c.link_repeated;
    enum class Kind { guid, link, hash } kind;
    switch (rule) {
        case IdentityRule::content: kind = Kind::hash; break;
        case IdentityRule::guid:  // forced: trusted even when repeated
            kind = !guid.empty() ? Kind::guid : !c.canonical.empty() ? Kind::link : Kind::hash;
            break;
        case IdentityRule::link:
            kind = !c.canonical.empty() ? Kind::link : !guid.empty() ? Kind::guid : Kind::hash;
            break;
        case IdentityRule::automatic:
        default:
            if (fallback)
                kind = link_ok ? Kind::link : guid_ok ? Kind::guid : Kind::hash;
            else
                kind = guid_ok ? Kind::guid : link_ok ? Kind::link : Kind::hash;
    }
    if (kind == Kind::guid) return "guid:" + guid;
    if (kind == Kind::link) return "link:" + c.canonical;
    c.prepare_text();
    return "hash:" + c.content_hash;
}

struct Ingest {
    detail::Connection& impl;
    std::int64_t feed_id;
    TimePoint now;
    IngestCounts counts;

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

    struct LinkMatch {
        int count = 0;
        Existing first;
        std::string guid;
    };
    // This feed's entries with the canonical link (at most two are needed to tell).
    LinkMatch by_link(const std::string& canonical) {
        auto& select = impl.statement(
            "SELECT id, article_id, seen_hash, guid FROM entries WHERE feed_id = ? AND canonical_link = ? "
            "LIMIT 2");
        SQLite::bind(select, feed_id, canonical);
        LinkMatch match;
        while (select.executeStep()) {
            if (match.count++ == 0) {
                match.first = existing(select);
                match.guid = select.getColumn(guid_column).getString();
            }
        }
        return match;
    }

    bool tombstoned(const Candidate& c, bool link_specific) {
        auto& select = impl.statement("SELECT 1 FROM tombstones WHERE feed_id = ? AND identity = ?");
        SQLite::bind(select, feed_id, c.key);
        if (select.executeStep()) return true;
        if (!link_specific) return false;
        auto& links = impl.statement("SELECT 1 FROM tombstone_links WHERE canonical_link = ?");
        links.bind(1, c.canonical);
        return links.executeStep();
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

    // An article without a date takes the first one an entry gives it.
    void adopt_date(std::int64_t article_id, const std::optional<TimePoint>& published) {
        if (!published) return;
        auto& update = impl.statement(R"sql(
UPDATE articles SET published = :published,
                    sort_time = CASE WHEN :published <= first_seen THEN :published ELSE sort_time END
WHERE id = :article AND published IS NULL)sql");
        bind_time(update, ":published", published);
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

    void insert_new(Candidate& c) {
        const Entry& entry = *c.entry;
        c.prepare_text();
        // A link is specific when no other entry of this feed carries it (now or before).
        bool link_specific = !c.canonical.empty() && !c.link_repeated;
        if (!c.canonical.empty()) {
            auto match = by_link(c.canonical);
            if (match.count > 0) link_specific = false;
            if (!link_specific) {
                // Shared by several entries of this feed: it merges nothing, from now on either.
                auto& clear = impl.statement(R"sql(
UPDATE articles SET canonical_link = NULL
WHERE canonical_link = :link
  AND id IN (SELECT article_id FROM entries WHERE feed_id = :feed AND canonical_link = :link))sql");
                clear.bind(":link", c.canonical);
                clear.bind(":feed", feed_id);
                clear.exec();
            }
        }
        if (tombstoned(c, link_specific)) {
            ++counts.tombstoned_entries;
            return;
        }

        std::optional<std::int64_t> article_id;
        if (link_specific) {
            auto& select = impl.statement(R"sql(
SELECT a.id FROM articles a WHERE a.canonical_link = ?
  AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.article_id = a.id AND e.feed_id = ?)
ORDER BY a.id LIMIT 1)sql");
            SQLite::bind(select, c.canonical, feed_id);
            if (select.executeStep()) article_id = select.getColumn("id").getInt64();
        }
        if (!article_id) {
            auto& insert = impl.statement(
                "INSERT INTO articles (canonical_link, first_seen, published, sort_time) "
                "VALUES (:link, :now, :published, :sort_time)");
            if (link_specific)
                insert.bind(":link", c.canonical);
            else
                insert.bind(":link");
            insert.bind(":now", seconds(now));
            auto date = entry_date(entry);
            bind_time(insert, ":published", date);
            bool usable_date = date && *date <= now;
            insert.bind(":sort_time", seconds(usable_date ? *date : now));
            insert.exec();
            article_id = impl.db.getLastInsertRowid();
            ++counts.new_articles;
            counts.new_article_ids.push_back(*article_id);
        } else {
            adopt_date(*article_id, entry_date(entry));
        }

        auto& insert = impl.statement(R"sql(
INSERT INTO entries (article_id, feed_id, identity, guid, link, canonical_link, content_hash, seen_hash, title, author,
                     summary, content, text, cjk, published, updated, categories, image, first_seen)
VALUES (:article_id, :feed_id, :identity, :guid, :link, :canonical_link, :content_hash, :seen_hash, :title,
        :author, :summary, :content, :text, :cjk, :published, :updated, :categories, :image, :now))sql");
        const auto cjk = detail::cjk_column(entry.title, entry.author, c.text);
        std::string frames[2];  // the packed HTML, bound without a copy: outlives the bindings
        LargeBinds large(insert);
        insert.bind(":article_id", *article_id);
        insert.bind(":feed_id", feed_id);
        insert.bind(":identity", c.key);
        insert.bind(":guid", entry.id);
        insert.bind(":link", entry.link);
        insert.bind(":canonical_link", c.canonical);
        insert.bind(":content_hash", c.content_hash);
        insert.bind(":seen_hash", c.seen_hash);
        insert.bind(":title", entry.title);
        insert.bind(":author", entry.author);
        // The HTML packed against the plain text (schema v5).
        detail::bind_packed(insert, ":summary", entry.summary, c.text, frames[0]);
        detail::bind_packed(insert, ":content", entry.content, c.text, frames[1]);
        bind_no_copy(insert, ":text", c.text);
        bind_no_copy(insert, ":cjk", cjk);
        bind_time(insert, ":published", entry.published);
        bind_time(insert, ":updated", entry.updated);
        insert.bind(":categories", detail::join_lines(entry.categories));
        insert.bind(":image", entry.image);
        insert.bind(":now", seconds(now));
        insert.exec();
        auto entry_id = impl.db.getLastInsertRowid();
        index_entry(entry_id, {entry.title, entry.author, c.text, cjk});
        if (!entry.enclosures.empty()) write_enclosures(entry_id, entry.enclosures);
        update_fullest(*article_id, entry_id);
        ++counts.new_entries;
        c.existing = Existing{entry_id, *article_id, c.seen_hash};
    }

    void update_existing(Candidate& c, const Existing& existing) {
        const Entry& in = *c.entry;
        c.prepare_text();
        auto& select = impl.statement(
            "SELECT title, author, summary, content, link, published, updated, categories, image, guid, "
            "canonical_link,"
            " text, cjk FROM entries WHERE id = ?");
        select.bind(1, existing.id);
        select.executeStep();
        Entry old;
        old.title = select.getColumn("title").getString();
        old.author = select.getColumn("author").getString();
        auto old_text = select.getColumn("text").getString();
        old.summary = detail::stored_text(select.getColumn("summary"), old_text, "entry", existing.id);
        old.content = detail::stored_text(select.getColumn("content"), old_text, "entry", existing.id);
        old.link = select.getColumn("link").getString();
        old.published = detail::time_column(select.getColumn("published"));
        old.updated = detail::time_column(select.getColumn("updated"));
        auto old_categories = select.getColumn("categories").getString();
        old.image = select.getColumn("image").getString();
        old.id = select.getColumn("guid").getString();
        auto old_canonical = select.getColumn("canonical_link").getString();
        auto old_cjk = select.getColumn("cjk").getString();
        select.reset();

        // A value is never replaced by nothing. The article's text (summary, content) is referred
        // to where it is, not copied.
        auto pick = [](const std::string& incoming, const std::string& stored) -> const std::string& {
            return incoming.empty() ? stored : incoming;
        };
        Entry merged;
        merged.published = old.published;
        merged.updated = old.updated;
        merged.title = pick(in.title, old.title);
        merged.author = pick(in.author, old.author);
        const std::string& summary = pick(in.summary, old.summary);
        const std::string& content = pick(in.content, old.content);
        merged.link = pick(in.link, old.link);
        merged.image = pick(in.image, old.image);
        merged.id = pick(in.id, old.id);
        if (in.published) merged.published = in.published;
        if (in.updated) merged.updated = in.updated;
        auto categories = in.categories.empty() ? old_categories : detail::join_lines(in.categories);
        auto canonical = c.canonical.empty() ? old_canonical : c.canonical;

        bool text_changed = !same_text(merged.title, old.title) || !same_text(summary, old.summary) ||
                            !same_text(content, old.content);
        bool author_changed = merged.author != old.author;

        if (text_changed) {
            auto& revision = impl.statement(
                "INSERT INTO revisions (entry_id, recorded_at, title, summary, content) VALUES (?1, ?2, ?3, "
                "?4, "
                "?5)");
            std::string frames[2];  // outlive the bindings (LargeBinds)
            LargeBinds large(revision);
            SQLite::bind(revision, existing.id, seconds(now), old.title);
            detail::bind_packed(revision, "?4", old.summary, {}, frames[0]);
            detail::bind_packed(revision, "?5", old.content, {}, frames[1]);
            revision.exec();
            auto& trim = impl.statement(R"sql(
DELETE FROM revisions WHERE entry_id = :entry
  AND id NOT IN (SELECT id FROM revisions WHERE entry_id = :entry ORDER BY id DESC LIMIT :keep))sql");
            trim.bind(":entry", existing.id);
            trim.bind(":keep", max_revisions);
            trim.exec();
        }
        if (text_changed || author_changed) {
            auto text = detail::entry_text(content, summary);
            if (text.empty()) text = old_text;
            auto& update = impl.statement(R"sql(
UPDATE entries SET title = :title, author = :author, summary = :summary, content = :content, text = :text,
                   cjk = :cjk, changed_at = CASE WHEN :text_changed THEN :now ELSE changed_at END
WHERE id = :id)sql");
            const auto cjk = detail::cjk_column(merged.title, merged.author, text);
            std::string frames[2];  // packed against `text`, in the statement that writes it
            LargeBinds large(update);
            update.bind(":title", merged.title);
            update.bind(":author", merged.author);
            detail::bind_packed(update, ":summary", summary, text, frames[0]);
            detail::bind_packed(update, ":content", content, text, frames[1]);
            bind_no_copy(update, ":text", text);
            bind_no_copy(update, ":cjk", cjk);
            update.bind(":text_changed", text_changed ? 1 : 0);
            update.bind(":now", seconds(now));
            update.bind(":id", existing.id);
            update.exec();
            unindex_entry(existing.id, {old.title, old.author, old_text, old_cjk});
            index_entry(existing.id, {merged.title, merged.author, text, cjk});
        }
        // Dates, categories, links and images change silently: no revision for them.
        auto& meta = impl.statement(R"sql(
UPDATE entries SET guid = :guid, link = :link, canonical_link = :canonical_link, published = :published,
                   updated = :updated, categories = :categories, image = :image, seen_hash = :seen_hash,
                   content_hash = :content_hash
WHERE id = :id)sql");
        meta.bind(":guid", merged.id);
        meta.bind(":link", merged.link);
        meta.bind(":canonical_link", canonical);
        bind_time(meta, ":published", merged.published);
        bind_time(meta, ":updated", merged.updated);
        meta.bind(":categories", categories);
        meta.bind(":image", merged.image);
        meta.bind(":seen_hash", c.seen_hash);
        meta.bind(":content_hash", c.content_hash);
        meta.bind(":id", existing.id);
        meta.exec();
        if (!in.enclosures.empty()) write_enclosures(existing.id, in.enclosures);
        if (text_changed) {
            update_fullest(existing.article_id, existing.id);
            ++counts.updated_entries;
        } else {
            ++counts.unchanged_entries;
        }
        adopt_date(existing.article_id, entry_date(merged));
    }

    // Under the link rule an entry may still be stored under its old key (the feed just fell
    // back from guids): find it by its link and give it the new key.
    std::optional<Existing> adopt_by_link(const Candidate& c) {
        if (!c.key.starts_with("link:")) return std::nullopt;
        auto match = by_link(c.canonical);
        if (match.count != 1) return std::nullopt;
        auto& rekey = impl.statement("UPDATE entries SET identity = ? WHERE id = ?");
        SQLite::bind(rekey, c.key, match.first.id);
        rekey.exec();
        return match.first;
    }

    // One entry, kept or refused alone: an entry too large for the archive (over
    // max_storable_body, or refused by SQLite as SQLITE_TOOBIG) is that entry's error, not the
    // poll's, and is never retried as if the disk were full.
    void process(Candidate& c) {
        const std::size_t size = c.entry->title.size() + c.entry->summary.size() + c.entry->content.size();
        if (c.entry->summary.size() > max_storable || c.entry->content.size() > max_storable)
            return refuse(c, size);
        // Only an entry of this size can reach SQLite's limit; only it pays for a savepoint.
        if (size < savepoint_from) return process_entry(c);
        impl.db.exec("SAVEPOINT feedd_entry");
        try {
            process_entry(c);
            impl.db.exec("RELEASE feedd_entry");
        } catch (const SQLite::Exception& e) {
            if ((e.getErrorCode() & 0xff) != SQLITE_TOOBIG) throw;
            impl.reset_statements();
            impl.db.exec("ROLLBACK TO feedd_entry");
            impl.db.exec("RELEASE feedd_entry");
            refuse(c, size);
        }
    }

    static constexpr std::size_t max_storable = static_cast<std::size_t>(max_storable_body);
    static constexpr std::size_t savepoint_from = std::size_t{8} << 20;

    void refuse(const Candidate& c, std::size_t size) {
        counts.refused_entries.push_back("entry " +
                                         (c.entry->id.empty() ? c.key : c.entry->id).substr(0, 200) +
                                         " not archived: " + std::to_string(size) +
                                         " bytes of text, more than the archive stores in one entry (" +
                                         std::to_string(max_storable) + ")");
    }

    void process_entry(Candidate& c) {
        if (!c.existing) c.existing = find(c.key);
        if (!c.existing) c.existing = adopt_by_link(c);
        if (!c.existing) return insert_new(c);
        if (c.existing->seen_hash == c.seen_hash) {
            ++counts.unchanged_entries;
            return;
        }
        update_existing(c, *c.existing);
        c.existing->seen_hash = c.seen_hash;
    }
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
    const FeedSource& feed = poll.feed;
    const ParsedFeed* parsed = poll.parsed;
    auto feed_id = detail::ensure_feed(impl, feed, poll.now);
    const bool stored_fallback = detail::stored_fallback(impl, feed_id);
    bool fallback = stored_fallback;
    Ingest ingest{impl, feed_id, poll.now, {}};

    if (parsed != nullptr && parsed->is_feed) {
        if (!poll.history) update_feed_metadata(impl, feed_id, *parsed);
        std::vector<Candidate> candidates;
        candidates.reserve(parsed->entries.size());
        std::unordered_map<std::string, int> guid_uses, link_uses;
        for (const auto& entry : parsed->entries) {
            candidates.push_back(make_candidate(entry));
            if (!entry.id.empty()) ++guid_uses[entry.id];
            if (!candidates.back().canonical.empty()) ++link_uses[candidates.back().canonical];
        }
        int blank = 0, repeated = 0, changed = 0;
        for (auto& c : candidates) {
            c.guid_repeated = !c.entry->id.empty() && guid_uses[c.entry->id] > 1;
            c.link_repeated = !c.canonical.empty() && link_uses[c.canonical] > 1;
            if (c.entry->id.empty()) ++blank;
            if (c.guid_repeated) ++repeated;
        }

        const IdentityRule rule = feed.identity;
        for (auto& c : candidates) {
            c.key = identity_key(c, rule, fallback);
            c.existing = ingest.find(c.key);
            // A guid we do not know on a link we know, whose old guid left the feed: the
            // feed changed the guid, not the story.
            if (rule == IdentityRule::automatic && !fallback && !c.existing && c.key.starts_with("guid:") &&
                !c.canonical.empty() && !c.link_repeated) {
                auto match = ingest.by_link(c.canonical);
                if (match.count == 1 && !match.guid.empty() && match.guid != c.entry->id &&
                    !guid_uses.contains(match.guid))
                    ++changed;
            }
        }
        // Over 5 % of the poll with broken guids: the feed's entries are told apart by link.
        auto total = static_cast<int>(candidates.size());
        if (rule == IdentityRule::automatic && !fallback && total > 0 &&
            (blank + repeated + changed) * 100 > 5 * total) {
            fallback = true;
            for (auto& c : candidates) {
                c.key = identity_key(c, rule, fallback);
                c.existing = ingest.find(c.key);
            }
        }
        for (auto& c : candidates) ingest.process(c);
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
    return ingest.counts;
}

}  // namespace

std::vector<PollCommit> Archive::commit_polls(std::span<const PollWrite> polls) {
    std::vector<PollCommit> results(polls.size());
    // Polls [first, first + count) in one transaction; throws, keeping none of them, when one fails.
    auto write_together = [&](std::size_t first, std::size_t count) {
        detail::Connection::StatementScope scope(*impl_);
        SQLite::Transaction transaction(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        for (std::size_t i = first; i < first + count; ++i) results[i].counts = ingest_poll(*impl_, polls[i]);
        impl_->reset_statements();  // before COMMIT, so that its checkpoint is not held back
        transaction.commit();
        if (++impl_->commits_since_optimize >= optimize_every) {
            impl_->commits_since_optimize = 0;
            impl_->db.tryExec("PRAGMA optimize");
        }
    };
    if (polls.size() > 1) {
        // One transaction for all: a commit (WAL frames, FTS5 segment, checkpoint) per batch
        // rather than per feed is most of the cost of a burst of polls.
        try {
            write_together(0, polls.size());
            return results;
        } catch (const SQLite::Exception&) {
            // Rolled back whole: one transaction per poll tells which of them fails, and keeps
            // the others.
            results.assign(polls.size(), PollCommit{});
        }
    }
    for (std::size_t i = 0; i < polls.size(); ++i) {
        try {
            write_together(i, 1);
        } catch (const SQLite::Exception& e) {
            results[i].counts = {};
            results[i].error = impl_->failure(detail::write_failed, e);
        }
    }
    return results;
}

IngestCounts Archive::commit_poll(const FeedSource& feed, const ParsedFeed* parsed, const FeedState& state,
                                  TimePoint now) {
    const PollWrite poll{feed, parsed, state, now};
    auto result = std::move(commit_polls({&poll, 1}).front());
    if (!result.ok()) throw StoreError(result.error);
    return std::move(result.counts);
}

}  // namespace feedd::store
