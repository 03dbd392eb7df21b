// The archive's rules that do not depend on the database (rules.hpp).
#include "store/rules.hpp"

#include <xxhash.h>

#include <cstdio>
#include <memory>
#include <new>

#include "feedd/url/url.hpp"
#include "store/pack.hpp"

namespace feedd::store::detail {

namespace {

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

}  // namespace

// Equal strings are not copied to be compared.
bool same_text(const std::string& a, const std::string& b) {
    return a == b || comparable(a) == comparable(b);
}

std::string time_text(const std::optional<TimePoint>& time) {
    return time ? std::to_string(seconds(*time)) : std::string();
}

namespace {

// Every field the feed gave the entry, each followed by a separator, in the order both hashes
// have always read them. Piece by piece: the entry's text is not copied for it.
template <class Add>
void each_seen_part(const Entry& entry, Add add) {
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
}

struct FreeXxh3 {
    void operator()(XXH3_state_t* state) const noexcept { XXH3_freeState(state); }
};

}  // namespace

// XXH3, not text::Hasher: this value is compared only with the one stored for the same entry (it
// is no identity and joins nothing), and every entry of every changed feed is hashed at each
// poll. text::Hasher reads a byte at a time (about 6 cycles each); it was 6 % of a 10 %-changed
// poll's CPU and 4 % of a cold one's (bench/README.md).
std::string seen_hash(const Entry& entry) {
    std::unique_ptr<XXH3_state_t, FreeXxh3> state(XXH3_createState());
    if (!state || XXH3_64bits_reset(state.get()) != XXH_OK) throw std::bad_alloc();
    each_seen_part(entry, [&state](std::string_view part) {
        XXH3_64bits_update(state.get(), part.data(), part.size());
        XXH3_64bits_update(state.get(), "\x1f", 1);
    });
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx",
                  static_cast<unsigned long long>(XXH3_64bits_digest(state.get())));
    return buffer;
}

bool seen_unchanged(const Entry& entry, const std::string& stored, const std::string& fresh) {
    if (stored == fresh) return true;
    // Stored by an earlier feedd with text::Hasher (32 hex digits): the entry stays as it is, its old
    // value included, when that hash still matches; only an edit rewrites it, with the new hash.
    if (stored.size() != 32) return false;
    Hasher all;
    each_seen_part(entry, [&all](std::string_view part) { all.add(part).add('\x1f'); });
    return stored == all.hex();
}

std::string entry_content_hash(const Entry& entry, const std::string& text) {
    return content_hash(entry.title, time_text(entry.published), text);
}

Candidate make_candidate(const Entry& entry, const EntryDigest* digest) {
    Candidate candidate;
    candidate.entry = &entry;
    candidate.digest = digest;
    if (digest != nullptr) {
        candidate.canonical = digest->canonical;
        candidate.seen_hash = digest->seen_hash;
    } else {
        candidate.canonical = url::canonical_link(entry.link);
        candidate.seen_hash = seen_hash(entry);
    }
    return candidate;
}

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

// Cuts at a character boundary near `limit` bytes, with an ellipsis when something was cut.
std::string excerpt(const std::string& text, std::size_t limit) {
    if (text.size() <= limit) return text;
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    auto space = text.rfind(' ', cut);
    if (space != std::string::npos && space > limit / 2) cut = space;
    return text.substr(0, cut) + "\u2026";
}

void fill_row_text(ArticleRow& row, const std::string& summary_html, const std::string& plain) {
    auto summary = html_to_text(summary_html);
    auto text = collapse_space(plain);  // one line: paragraphs joined
    row.summary = excerpt(summary.empty() ? text : summary, 300);
    row.snippet = excerpt(text, 200);
}

std::string join_lines(const std::vector<std::string>& items) {
    if (items.empty()) return {};
    std::string out = "\n";
    for (const auto& item : items) {
        for (char c : item) out += (c == '\n' || c == '\r') ? ' ' : c;
        out += '\n';
    }
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> out;
    std::size_t begin = 0;
    while (begin < text.size()) {
        auto end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        if (end > begin) out.push_back(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return out;
}

}  // namespace feedd::store::detail

namespace feedd::store {

std::string cjk_index_text(const std::string& title, const std::string& author, const std::string& text) {
    return detail::cjk_column(title, author, text);
}

DocumentDigest digest_document(const ParsedFeed& parsed, DigestOptions options) {
    if (!parsed.is_feed || parsed.entries.empty()) return {};
    auto digest = std::make_shared<DocumentDigest::Entries>();
    digest->entries.reserve(parsed.entries.size());
    for (const auto& entry : parsed.entries) {
        auto& d = digest->entries.emplace_back();
        d.canonical = url::canonical_link(entry.link);
        d.seen_hash = detail::seen_hash(entry);
        if (!options.all_new) continue;
        // What insert_new computes of an entry it writes (Candidate::prepare_text, then
        // insert_entry's bind_packed), the same functions on the same values.
        d.text = detail::entry_text(entry.content, entry.summary);
        d.content_hash = detail::entry_content_hash(entry, d.text);
        d.has_text = true;
        // Past max_storable_body the entry is refused, not written: nothing to pack.
        const auto storable = static_cast<std::size_t>(max_storable_body);
        if (!options.pack_html || entry.summary.size() > storable || entry.content.size() > storable)
            continue;
        d.summary_frame = detail::pack(entry.summary, d.text);
        d.content_frame = detail::pack(entry.content, d.text);
        d.packed = true;
    }
    return DocumentDigest(std::move(digest));
}

}  // namespace feedd::store
