// The archive's rules that do not depend on the database: how an entry is identified (guid →
// link → hash), when a feed falls back from broken guids, what counts as a change, how an entry
// is merged (a value is never replaced by nothing), which article an entry joins, revisions and
// tombstones. docs/ARCHITECTURE.md, "Identity and deduplication".
//
// Both stores run this one flow (`ingest_entries`). It is a template over the store's own
// statements (`Sql`, see "What a store provides" below) rather than an interface with virtual
// calls: it runs once per entry of every poll, and the SQLite store is the embedded default whose
// ingest rate matters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/text.hpp"

namespace feedd::store::detail {

inline constexpr int max_revisions = 20;  // per entry, the newest kept

// What a failed call says before the database's message.
inline constexpr std::string_view read_failed = "archive read failed";
inline constexpr std::string_view write_failed = "archive write failed";

// Lists (categories, tags) are stored one item per line between newlines ("\nPolitics\nChina\n"),
// so that a membership test is a substring search for "\n<item>\n" without a JSON parser.
std::string join_lines(const std::vector<std::string>& items);  // "" when empty
std::vector<std::string> split_lines(const std::string& text);
inline std::int64_t seconds(TimePoint time) {
    return time.time_since_epoch().count();
}

// An entry of this feed found by its key or link.
struct Existing {
    std::int64_t id = 0;
    std::int64_t article_id = 0;
    std::string seen_hash;
};

// This feed's entries with a canonical link (at most two are needed to tell).
struct LinkMatch {
    int count = 0;
    Existing first;
    std::string guid;
};

std::string time_text(const std::optional<TimePoint>& time);
// The entry's content hash (what makes a revision), of its title, date and plain text `text`.
std::string entry_content_hash(const Entry& entry, const std::string& text);

// A row of `feedd query`'s text from the shown entry's summary (HTML) and plain text: the summary
// (else the text) and the start of the text as one line each, cut near 300 and 200 bytes.
void fill_row_text(ArticleRow& row, const std::string& summary_html, const std::string& plain);
// Cuts at a character boundary near `limit` bytes, with an ellipsis when something was cut.
std::string excerpt(const std::string& text, std::size_t limit);

// What digest_document made of one entry ahead of the ingest (store.hpp's DocumentDigest).
struct EntryDigest {
    std::string canonical;
    std::string seen_hash;
    bool has_text = false;  // text and content_hash are set
    std::string text;
    std::string content_hash;
    bool packed = false;  // the stored form of summary and content is set: a frame, or nothing
                          // when the HTML is stored as it is
    std::optional<std::string> summary_frame;
    std::optional<std::string> content_frame;
};

}  // namespace feedd::store::detail

namespace feedd::store {
struct DocumentDigest::Entries {
    std::vector<detail::EntryDigest> entries;  // one per entry of the document, in its order
};
}  // namespace feedd::store

namespace feedd::store::detail {

// One entry of the poll with what identity needs, computed once.
struct Candidate {
    const Entry* entry = nullptr;
    const EntryDigest* digest = nullptr;  // what was computed ahead, when it was
    std::string canonical;                // canonical link, "" without a link
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
        if (digest != nullptr && digest->has_text) {
            content_hash = digest->content_hash;
        } else {
            text_ = entry_text(entry->content, entry->summary);
            content_hash = entry_content_hash(*entry, text_);
        }
        text_ready = true;
    }
    // Plain text of content, else summary: after prepare_text.
    [[nodiscard]] const std::string& text() const {
        return digest != nullptr && digest->has_text ? digest->text : text_;
    }
    // The stored form of summary and content, when the digest packed them.
    [[nodiscard]] const EntryDigest* packed() const {
        return digest != nullptr && digest->packed ? digest : nullptr;
    }

  private:
    std::string text_;
    bool text_ready = false;
};

// Equal as the archive compares texts: white space collapsed, and dropped beside tags.
bool same_text(const std::string& a, const std::string& b);
// The date an entry gives its article: published, else updated (Atom requires only the latter).
inline std::optional<TimePoint> entry_date(const Entry& entry) {
    return entry.published ? entry.published : entry.updated;
}
// Everything the feed said about the entry: equal hashes mean nothing to do.
std::string seen_hash(const Entry& entry);
// Whether the entry is as the archive last saw it: `stored` is the entry's stored seen hash,
// `fresh` seen_hash(entry). Also true for a hash stored by an older feedd that still matches.
bool seen_unchanged(const Entry& entry, const std::string& stored, const std::string& fresh);
// With the entry's digest, when one was made, its link and seen hash are taken from it.
Candidate make_candidate(const Entry& entry, const EntryDigest* digest = nullptr);
// The entry's key under the feed's rule; prefixes keep keys of different kinds apart.
std::string identity_key(Candidate& c, IdentityRule rule, bool fallback);

// An entry as stored, read back to merge a changed one into it.
struct StoredEntry {
    Entry entry;  // title, author, summary, content (HTML), link, dates, image, guid (as `id`)
    std::string text;
    std::string categories;  // as stored (join_lines)
    std::string canonical;
    std::string cjk;
};

// What an update writes of an entry's text (title, author, HTML, plain text) and what the
// indexes held before (a store whose index is kept by hand deletes exactly those values).
struct TextUpdate {
    const std::string& title;
    const std::string& author;
    const std::string& summary;
    const std::string& content;
    const std::string& text;
    const std::string& cjk;
    bool text_changed;
    const StoredEntry& old;
};

// The silent part of an update: dates, categories, links, images and the hashes.
struct MetaUpdate {
    const std::string& guid;
    const std::string& link;
    const std::string& canonical;
    std::optional<TimePoint> published;
    std::optional<TimePoint> updated;
    const std::string& categories;
    const std::string& image;
    const std::string& seen_hash;
    const std::string& content_hash;
};

// What a store provides (`Sql`), each for the feed it was made for:
//   void look_ahead(const std::vector<Candidate>&);  // the poll's keys are known: a store that pays
//                                                    // a round trip per statement reads ahead here
//   std::optional<Existing> find(const std::string& key);
//   LinkMatch by_link(const std::string& canonical);
//   void unlink(const std::string& canonical);  // the link merges nothing from now on
//   bool tombstoned(const std::string& key);
//   bool link_tombstoned(const std::string& canonical);
//   std::optional<std::int64_t> article_by_link(const std::string& canonical);  // of another feed
//   std::int64_t insert_article(const std::string* link, TimePoint now, std::optional<TimePoint> date,
//                               TimePoint sort_time);
//   void adopt_date(std::int64_t article, TimePoint published);  // when it has none
//   std::int64_t insert_entry(std::int64_t article, const Candidate&, const std::string& cjk,
//                             TimePoint now);  // indexed for search too
//   void write_enclosures(std::int64_t entry, const std::vector<Enclosure>&);
//   void update_fullest(std::int64_t article, std::int64_t entry);
//   StoredEntry read_entry(std::int64_t entry);
//   void add_revision(std::int64_t entry, TimePoint now, const Entry& old);  // keeps max_revisions
//   void update_text(std::int64_t entry, const TextUpdate&, TimePoint now);  // and its index
//   void update_meta(std::int64_t entry, const MetaUpdate&);
//   void rekey(std::int64_t entry, const std::string& key);
//   template <class Work> bool guard(std::size_t size, Work work);  // false: too large, undone
template <class Sql>
class EntryIngest {
  public:
    EntryIngest(Sql& sql, TimePoint now) : sql_(sql), now_(now) {}
    IngestCounts counts;

    // One entry, kept or refused alone: an entry too large for the archive (over
    // max_storable_body, or refused by the database) is that entry's error, not the poll's.
    void process(Candidate& c) {
        const std::size_t size = c.entry->title.size() + c.entry->summary.size() + c.entry->content.size();
        if (c.entry->summary.size() > max_storable || c.entry->content.size() > max_storable)
            return refuse(c, size);
        if (!sql_.guard(size, [&] { process_entry(c); })) refuse(c, size);
    }

  private:
    static constexpr std::size_t max_storable = static_cast<std::size_t>(max_storable_body);

    void refuse(const Candidate& c, std::size_t size) {
        counts.refused_entries.push_back("entry " +
                                         (c.entry->id.empty() ? c.key : c.entry->id).substr(0, 200) +
                                         " not archived: " + std::to_string(size) +
                                         " bytes of text, more than the archive stores in one entry (" +
                                         std::to_string(max_storable) + ")");
    }

    void process_entry(Candidate& c) {
        if (!c.existing) c.existing = sql_.find(c.key);
        if (!c.existing) c.existing = adopt_by_link(c);
        if (!c.existing) return insert_new(c);
        if (seen_unchanged(*c.entry, c.existing->seen_hash, c.seen_hash)) {
            ++counts.unchanged_entries;
            return;
        }
        update_existing(c, *c.existing);
        c.existing->seen_hash = c.seen_hash;
    }

    // Under the link rule an entry may still be stored under its old key (the feed just fell
    // back from guids): find it by its link and give it the new key.
    std::optional<Existing> adopt_by_link(const Candidate& c) {
        if (!c.key.starts_with("link:")) return std::nullopt;
        auto match = sql_.by_link(c.canonical);
        if (match.count != 1) return std::nullopt;
        sql_.rekey(match.first.id, c.key);
        return match.first;
    }

    void adopt_date(std::int64_t article_id, const std::optional<TimePoint>& published) {
        if (published) sql_.adopt_date(article_id, *published);
    }

    void insert_new(Candidate& c) {
        const Entry& entry = *c.entry;
        c.prepare_text();
        // A link is specific when no other entry of this feed carries it (now or before).
        bool link_specific = !c.canonical.empty() && !c.link_repeated;
        if (!c.canonical.empty()) {
            if (sql_.by_link(c.canonical).count > 0) link_specific = false;
            // Shared by several entries of this feed: it merges nothing, from now on either.
            if (!link_specific) sql_.unlink(c.canonical);
        }
        if (sql_.tombstoned(c.key) || (link_specific && sql_.link_tombstoned(c.canonical))) {
            ++counts.tombstoned_entries;
            return;
        }

        std::optional<std::int64_t> article_id;
        if (link_specific) article_id = sql_.article_by_link(c.canonical);
        if (!article_id) {
            auto date = entry_date(entry);
            bool usable_date = date && *date <= now_;
            article_id = sql_.insert_article(link_specific ? &c.canonical : nullptr, now_, date,
                                             usable_date ? *date : now_);
            ++counts.new_articles;
            counts.new_article_ids.push_back(*article_id);
        } else {
            adopt_date(*article_id, entry_date(entry));
            counts.joined_article_ids.push_back(*article_id);
        }
        const auto cjk = cjk_column(entry.title, entry.author, c.text());
        const auto entry_id = sql_.insert_entry(*article_id, c, cjk, now_);
        if (!entry.enclosures.empty()) sql_.write_enclosures(entry_id, entry.enclosures);
        sql_.update_fullest(*article_id, entry_id);
        ++counts.new_entries;
        c.existing = Existing{entry_id, *article_id, c.seen_hash};
    }

    void update_existing(Candidate& c, const Existing& existing) {
        const Entry& in = *c.entry;
        c.prepare_text();
        const StoredEntry old = sql_.read_entry(existing.id);

        // A value is never replaced by nothing. The article's text (summary, content) is referred
        // to where it is, not copied.
        auto pick = [](const std::string& incoming, const std::string& stored) -> const std::string& {
            return incoming.empty() ? stored : incoming;
        };
        Entry merged;
        merged.published = old.entry.published;
        merged.updated = old.entry.updated;
        merged.title = pick(in.title, old.entry.title);
        merged.author = pick(in.author, old.entry.author);
        const std::string& summary = pick(in.summary, old.entry.summary);
        const std::string& content = pick(in.content, old.entry.content);
        merged.link = pick(in.link, old.entry.link);
        merged.image = pick(in.image, old.entry.image);
        merged.id = pick(in.id, old.entry.id);
        if (in.published) merged.published = in.published;
        if (in.updated) merged.updated = in.updated;
        auto categories = in.categories.empty() ? old.categories : join_lines(in.categories);
        const auto& canonical = c.canonical.empty() ? old.canonical : c.canonical;

        bool text_changed = !same_text(merged.title, old.entry.title) ||
                            !same_text(summary, old.entry.summary) || !same_text(content, old.entry.content);
        bool author_changed = merged.author != old.entry.author;

        if (text_changed) sql_.add_revision(existing.id, now_, old.entry);
        if (text_changed || author_changed) {
            auto text = entry_text(content, summary);
            if (text.empty()) text = old.text;
            const auto cjk = cjk_column(merged.title, merged.author, text);
            sql_.update_text(existing.id,
                             {merged.title, merged.author, summary, content, text, cjk, text_changed, old},
                             now_);
        }
        // Dates, categories, links and images change silently: no revision for them.
        sql_.update_meta(existing.id, {merged.id, merged.link, canonical, merged.published, merged.updated,
                                       categories, merged.image, c.seen_hash, c.content_hash});
        if (!in.enclosures.empty()) sql_.write_enclosures(existing.id, in.enclosures);
        if (text_changed) {
            sql_.update_fullest(existing.article_id, existing.id);
            ++counts.updated_entries;
        } else {
            ++counts.unchanged_entries;
        }
        adopt_date(existing.article_id, entry_date(merged));
    }

    Sql& sql_;
    TimePoint now_;
};

// A poll's entries into the archive: keys, the guid fallback (`fallback` is the feed's stored
// flag on entry, what it is now on return), then each entry. Inside the caller's transaction.
// `digest`, when not null, was made of `parsed` (digest_document).
template <class Sql>
IngestCounts ingest_entries(Sql& sql, const FeedSource& feed, const ParsedFeed& parsed, bool& fallback,
                            TimePoint now, const DocumentDigest* digest = nullptr) {
    EntryIngest<Sql> ingest(sql, now);
    std::vector<Candidate> candidates;
    candidates.reserve(parsed.entries.size());
    const auto* digested = digest != nullptr ? digest->entries() : nullptr;
    if (digested != nullptr && digested->entries.size() != parsed.entries.size()) digested = nullptr;
    std::unordered_map<std::string, int> guid_uses, link_uses;
    for (std::size_t i = 0; i < parsed.entries.size(); ++i) {
        const auto& entry = parsed.entries[i];
        candidates.push_back(make_candidate(entry, digested != nullptr ? &digested->entries[i] : nullptr));
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
    for (auto& c : candidates) c.key = identity_key(c, rule, fallback);
    sql.look_ahead(candidates);
    for (auto& c : candidates) {
        c.existing = sql.find(c.key);
        // A guid we do not know on a link we know, whose old guid left the feed: the feed changed
        // the guid, not the story.
        if (rule == IdentityRule::automatic && !fallback && !c.existing && c.key.starts_with("guid:") &&
            !c.canonical.empty() && !c.link_repeated) {
            auto match = sql.by_link(c.canonical);
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
        for (auto& c : candidates) c.key = identity_key(c, rule, fallback);
        sql.look_ahead(candidates);
        for (auto& c : candidates) c.existing = sql.find(c.key);
    }
    for (auto& c : candidates) ingest.process(c);
    return std::move(ingest.counts);
}

// The batch rule of `commit_polls`, the same on both stores: all polls in one transaction (one
// commit per batch rather than per feed is most of the cost of a burst of polls); when that fails
// it rolled back whole, and one transaction per poll tells which poll fails and keeps the others.
// `write_together(first, count)` writes polls [first, first + count) into `results` in one
// transaction and throws `Failure` when one of them fails; `describe` makes the poll's error line.
template <class Failure, class Write, class Describe>
void commit_together_else_each(std::vector<PollCommit>& results, Write&& write_together,
                               Describe&& describe) {
    if (results.size() > 1) {
        try {
            write_together(std::size_t{0}, results.size());
            return;
        } catch (const Failure&) {
            results.assign(results.size(), PollCommit{});
        }
    }
    for (std::size_t i = 0; i < results.size(); ++i) {
        try {
            write_together(i, std::size_t{1});
        } catch (const Failure& e) {
            results[i].counts = {};
            results[i].error = describe(e);
        }
    }
}

}  // namespace feedd::store::detail
