// The Google Reader API, the subset mobile readers use (docs/ARCHITECTURE.md, "Google Reader API"),
// on the same listener, users and reading state as the Miniflux API. An item is feedd's entry (its
// id is entries.id, in the three forms clients send), a subscription a configured feed ("feed/ID",
// the archive's feed id), a label a category of feeds.toml. Streams are read in the order entries
// arrived (entry ids), so that a continuation is a cursor: pages never repeat or skip an item,
// however many arrive while a client pages.
#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "api/auth.hpp"
#include "api/greader.hpp"
#include "api/json.hpp"
#include "api/params.hpp"
#include "feedd/text/text.hpp"

namespace feedd::api {
namespace {

using nlohmann::json;

constexpr std::string_view item_prefix = "tag:google.com,2005:reader/item/";
const std::string reading_list = "user/-/state/com.google/reading-list";
const std::string read_tag = "user/-/state/com.google/read";
const std::string starred_tag = "user/-/state/com.google/starred";
const std::string label_prefix = "user/-/label/";
constexpr std::size_t max_items = 1000;  // n of stream/contents and ids of items/contents
constexpr std::size_t max_ids = 10000;   // n of stream/items/ids and ids of edit-tag
constexpr std::size_t default_items = 20;

Response plain(std::string body, int status = 200) {
    Response response;
    response.status = status;
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::move(body);
    return response;
}

// What Google Reader clients are answered without a valid Auth: 401 in plain text.
Response unauthorized() {
    auto response = plain("Unauthorized\n", 401);
    response.headers.emplace_back("WWW-Authenticate", "GoogleLogin realm=\"feedd\"");
    return response;
}

Response bad_login() {
    return plain("Error=BadAuthentication\n", 401);
}

// A request a handler refuses, in Google Reader's plain text (params.hpp's BadRequest, answered by
// its `guarded`).
[[noreturn]] void bad_request(const std::string& message) {
    throw BadRequest{plain(message + "\n", 400)};
}

// ----- item ids: "tag:google.com,2005:reader/item/<16 hex>", 16 hex digits, or a decimal long

bool all_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

std::optional<std::uint64_t> hex64(std::string_view text) {
    if (text.size() != 16 || !all_hex(text)) return std::nullopt;
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value, 16);
    return value;
}

// The entry id an item id names; nothing when the text is none of the three forms. A decimal
// long may be negative (Java clients keep ids as signed longs): its bits are the id's. Sixteen hex
// digits are the hex form when they hold a letter or start with 0 (a decimal long is written
// without leading zeros), else the decimal form.
std::optional<std::int64_t> item_id(std::string_view text) {
    text = text::trim(text);
    std::optional<std::uint64_t> bits;
    if (text.starts_with(item_prefix)) {
        bits = hex64(text.substr(item_prefix.size()));
    } else if (text.size() == 16 && all_hex(text) &&
               (text.front() == '0' || std::any_of(text.begin(), text.end(), [](char c) {
                    return std::isalpha(static_cast<unsigned char>(c));
                }))) {
        bits = hex64(text);
    } else if (!text.empty()) {
        const auto* end = text.data() + text.size();
        if (text.front() == '-') {
            std::int64_t value = 0;
            const auto [at, error] = std::from_chars(text.data(), end, value);
            if (error == std::errc() && at == end) bits = static_cast<std::uint64_t>(value);
        } else {
            std::uint64_t value = 0;
            const auto [at, error] = std::from_chars(text.data(), end, value);
            if (error == std::errc() && at == end) bits = value;
        }
    }
    if (!bits) return std::nullopt;
    return static_cast<std::int64_t>(*bits);
}

std::string long_item_id(std::int64_t id) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(id));
    return std::string(item_prefix) + hex;
}

std::vector<std::int64_t> item_ids(const Request& request, std::size_t most) {
    std::vector<std::int64_t> ids;
    for (const auto& text : request.fields("i")) {
        auto id = item_id(text);
        if (!id) bad_request("invalid item id: " + text);
        ids.push_back(*id);
    }
    if (ids.size() > most) bad_request("too many item ids: at most " + std::to_string(most));
    return ids;
}

// ----- feeds, labels and streams

// The configured feeds the archive knows, in the order of feeds.toml.
struct Feeds {
    struct Feed {
        const FeedSource* source = nullptr;
        store::FeedSummary summary;
        std::string title;
        std::string stream_id;  // "feed/ID"
        std::string label;      // "user/-/label/CATEGORY", empty without a category
    };
    std::vector<Feed> list;

    explicit Feeds(Context& context, store::SummaryDetail detail = store::SummaryDetail::listing) {
        std::map<std::string, store::FeedSummary> archived;
        for (auto& summary : context.archive.feed_summaries(detail))
            if (summary.configured) archived.emplace(summary.name, std::move(summary));
        for (const auto& source : context.config.feeds) {
            auto it = archived.find(source.name);
            if (it == archived.end()) continue;
            Feed feed;
            feed.source = &source;
            feed.summary = std::move(it->second);
            feed.title = !source.title.empty()         ? source.title
                         : !feed.summary.title.empty() ? feed.summary.title
                                                       : source.name;
            feed.stream_id = "feed/" + std::to_string(feed.summary.id);
            if (!source.category.empty()) feed.label = label_prefix + source.category;
            list.push_back(std::move(feed));
        }
    }
    const Feed* by_id(std::int64_t id) const {
        for (const auto& feed : list)
            if (feed.summary.id == id) return &feed;
        return nullptr;
    }
    std::vector<std::string> labels() const {
        std::set<std::string> set;
        for (const auto& feed : list)
            if (!feed.label.empty()) set.insert(feed.source->category);
        return {set.begin(), set.end()};
    }
};

// A stream id as clients send it: "user/-/…" or "user/<userId>/…" (the id from user-info) alike.
std::string canonical_stream(std::string_view id) {
    id = text::trim(id);
    if (id.starts_with("user/")) {
        const auto slash = id.find('/', 5);
        if (slash != std::string_view::npos) return "user/-" + std::string(id.substr(slash));
    }
    return std::string(id);
}

// Narrows `filter` to a stream; false when the stream holds nothing (an unknown feed or label, a
// state feedd does not keep). A stream id of no known form is a bad request.
bool narrow(store::EntryFilter& filter, const std::string& raw, const Feeds& feeds) {
    const auto id = canonical_stream(raw);
    if (id == reading_list) return true;
    if (id == read_tag) {
        filter.read = true;
        return true;
    }
    if (id == starred_tag) {
        filter.starred = true;
        return true;
    }
    if (id == "user/-/state/com.google/kept-unread") {
        filter.read = false;
        return true;
    }
    if (id.starts_with("user/-/state/")) return false;  // broadcast, like, …: none kept
    if (id.starts_with(label_prefix)) {
        const auto label = id.substr(label_prefix.size());
        for (const auto& feed : feeds.list)
            if (feed.source->category == label) filter.feeds.push_back(feed.source->name);
        return !filter.feeds.empty();
    }
    if (id.starts_with("feed/")) {
        const auto feed_id = number(id.substr(5));
        if (!feed_id) bad_request("unknown stream: " + raw);
        const auto* feed = feeds.by_id(*feed_id);
        if (!feed) return false;
        filter.feeds.push_back(feed->source->name);
        return true;
    }
    bad_request("unknown stream: " + raw);
}

// Excluded (xt) and included (it) states.
void exclude(store::EntryFilter& filter, const std::string& raw) {
    const auto id = canonical_stream(raw);
    if (id == read_tag) filter.read = false;
    if (id == starred_tag) filter.starred = false;
}

std::optional<std::int64_t> number_field(const Request& request, std::string_view name) {
    const auto value = request.field(name);
    if (!value || value->empty()) return std::nullopt;
    const auto parsed = number(*value);
    if (!parsed) bad_request("invalid " + std::string(name) + ": " + *value);
    return parsed;
}

// A stream read the way every listing of items reads it: n, c (a cursor: the last id of the page
// before), r=o (oldest first), xt/it, ot/nt (first seen, seconds). `most`: the largest n.
struct Page {
    std::vector<store::ReaderEntry> entries;
    std::optional<std::string> continuation;
};
// `ids_only`: the page's ids, dates and state, without the entries (EntryFilter::ids_only).
Page read_stream(const Request& request, Context& context, const Feeds& feeds, const std::string& stream,
                 std::size_t most, bool ids_only = false) {
    store::EntryFilter filter;
    filter.user = context.user->name;
    filter.order = store::EntryFilter::Order::id;
    filter.count_total = false;
    filter.ids_only = ids_only;
    const bool holds = narrow(filter, stream, feeds);
    for (const auto& xt : request.fields("xt")) exclude(filter, xt);
    bool included = true;
    for (const auto& it : request.fields("it")) included = narrow(filter, it, feeds) && included;
    filter.descending = request.field("r").value_or("") != "o";
    const auto n = number_field(request, "n").value_or(static_cast<std::int64_t>(default_items));
    if (n < 1) bad_request("invalid n: " + std::to_string(n));
    const auto size = static_cast<std::size_t>(std::min<std::int64_t>(n, static_cast<std::int64_t>(most)));
    filter.limit = static_cast<int>(size + 1);  // one more says whether another page follows
    if (auto c = request.field("c"); c && !c->empty()) {
        auto cursor = item_id(*c);
        if (!cursor) bad_request("invalid continuation: " + *c);
        (filter.descending ? filter.before_id : filter.after_id) = *cursor;
    }
    if (auto ot = number_field(request, "ot")) filter.seen_from = TimePoint(std::chrono::seconds(*ot));
    if (auto nt = number_field(request, "nt")) filter.seen_to = TimePoint(std::chrono::seconds(*nt));
    if (!holds || !included) return {};
    Page page;
    page.entries = context.archive.reader_entries(filter).entries;
    if (page.entries.size() > size) {
        page.entries.resize(size);
        page.continuation = std::to_string(page.entries.back().id);
    }
    return page;
}

// ----- items: one value, written as JSON (stream/contents) and as Atom (/reader/atom)

std::int64_t seconds_of(TimePoint t) {
    return static_cast<std::int64_t>(t.time_since_epoch().count());
}

struct Item {
    const store::ReaderEntry* row = nullptr;
    const Feeds::Feed* feed = nullptr;
    std::string id;                                    // the long form
    std::vector<std::string> categories;               // streams the item is in
    std::shared_ptr<const ServedHtml::Value> content;  // the sanitised HTML
    TimePoint updated{};
};

std::vector<Item> items_of(const std::vector<store::ReaderEntry>& entries, const Feeds& feeds,
                           ServedHtml& served) {
    std::map<std::int64_t, const Feeds::Feed*> by_id;
    for (const auto& feed : feeds.list) by_id[feed.summary.id] = &feed;
    std::vector<Item> items;
    for (const auto& row : entries) {
        const auto feed = by_id.find(row.feed_id);
        if (feed == by_id.end()) continue;
        Item item;
        item.row = &row;
        item.feed = feed->second;
        item.id = long_item_id(row.id);
        item.categories.push_back(reading_list);
        if (!item.feed->label.empty()) item.categories.push_back(item.feed->label);
        if (row.read) item.categories.push_back(read_tag);
        if (row.starred) item.categories.push_back(starred_tag);
        // The archive keeps what the publisher sent; a reader gets it sanitised, relative URLs
        // resolved against the entry's link (as the Miniflux API serves it).
        item.content =
            served.get(row.entry.content.empty() ? row.entry.summary : row.entry.content, row.entry.link);
        item.updated = row.changed_at.value_or(row.entry.updated.value_or(row.date));
        items.push_back(std::move(item));
    }
    return items;
}

json item_json(const Item& item) {
    const auto& row = *item.row;
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(row.first_seen.time_since_epoch());
    json enclosures = json::array();
    for (const auto& enclosure : row.entry.enclosures) {
        json one = {{"href", enclosure.url}, {"type", enclosure.type}};
        if (enclosure.length) one["length"] = std::to_string(*enclosure.length);
        enclosures.push_back(std::move(one));
    }
    json out = {{"id", item.id},
                {"crawlTimeMsec", std::to_string(micros.count() / 1000)},
                {"timestampUsec", std::to_string(micros.count())},
                {"published", seconds_of(row.date)},
                {"updated", seconds_of(item.updated)},
                {"title", row.entry.title},
                {"canonical", json::array({{{"href", row.entry.link}}})},
                {"alternate", json::array({{{"href", row.entry.link}, {"type", "text/html"}}})},
                {"categories", item.categories},
                {"origin",
                 {{"streamId", item.feed->stream_id},
                  {"title", item.feed->title},
                  {"htmlUrl", item.feed->summary.site_link}}},
                {"summary", {{"direction", "ltr"}, {"content", item.content->html}}},
                {"author", row.entry.author}};
    if (!enclosures.empty()) out["enclosure"] = std::move(enclosures);
    return out;
}

json items_json(const std::vector<Item>& items) {
    json out = json::array();
    for (const auto& item : items) out.push_back(item_json(item));
    return out;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string stream_title(const std::string& stream, const Feeds& feeds) {
    const auto id = canonical_stream(stream);
    if (id.starts_with("feed/"))
        for (const auto& feed : feeds.list)
            if (feed.stream_id == id) return feed.title;
    if (id.starts_with(label_prefix)) return id.substr(label_prefix.size());
    return id.substr(id.rfind('/') + 1);
}

// The Atom form of a stream, as FeedHQ served it to newsboat: each entry's state as a category of
// scheme http://www.google.com/reader/ whose label ("read", "fresh", "starred") newsboat reads.
std::string atom(const std::string& stream, const Feeds& feeds, const std::vector<Item>& items,
                 const std::optional<std::string>& continuation) {
    auto safe = [](std::string_view value) { return text::xml_safe(value); };
    pugi::xml_document document;
    auto declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version") = "1.0";
    declaration.append_attribute("encoding") = "utf-8";
    auto feed = document.append_child("feed");
    feed.append_attribute("xmlns") = "http://www.w3.org/2005/Atom";
    feed.append_attribute("xmlns:gr") = "http://www.google.com/schemas/reader/atom/";
    const auto id = canonical_stream(stream);
    feed.append_child("id").text().set(safe("tag:google.com,2005:reader/" + id).c_str());
    feed.append_child("title").text().set(safe(stream_title(stream, feeds)).c_str());
    for (const auto& f : feeds.list)
        if (f.stream_id == id && !f.summary.site_link.empty()) {
            auto link = feed.append_child("link");
            link.append_attribute("rel") = "alternate";
            link.append_attribute("href") = safe(f.summary.site_link).c_str();
        }
    feed.append_child("updated").text().set(
        format_utc(TimePoint(std::chrono::seconds(now_seconds()))).c_str());
    if (continuation) feed.append_child("gr:continuation").text().set(continuation->c_str());
    for (const auto& item : items) {
        const auto& row = *item.row;
        auto entry = feed.append_child("entry");
        entry.append_child("id").text().set(item.id.c_str());
        entry.append_child("title").text().set(safe(row.entry.title).c_str());
        entry.append_child("published").text().set(format_utc(row.date).c_str());
        entry.append_child("updated").text().set(format_utc(item.updated).c_str());
        if (!row.entry.link.empty()) {
            auto link = entry.append_child("link");
            link.append_attribute("rel") = "alternate";
            link.append_attribute("href") = safe(row.entry.link).c_str();
            link.append_attribute("type") = "text/html";
        }
        auto categories = item.categories;
        if (!row.read) categories.push_back("user/-/state/com.google/fresh");
        for (const auto& term : categories) {
            auto category = entry.append_child("category");
            category.append_attribute("term") = safe(term).c_str();
            category.append_attribute("scheme") = "http://www.google.com/reader/";
            category.append_attribute("label") = safe(term.substr(term.rfind('/') + 1)).c_str();
        }
        auto content = entry.append_child("content");
        content.append_attribute("type") = "html";
        content.text().set(safe(item.content->html).c_str());
        if (!row.entry.author.empty())
            entry.append_child("author").append_child("name").text().set(safe(row.entry.author).c_str());
        for (const auto& enclosure : row.entry.enclosures) {
            auto link = entry.append_child("link");
            link.append_attribute("rel") = "enclosure";
            link.append_attribute("href") = safe(enclosure.url).c_str();
            if (!enclosure.type.empty()) link.append_attribute("type") = safe(enclosure.type).c_str();
            if (enclosure.length) link.append_attribute("length") = std::to_string(*enclosure.length).c_str();
        }
        auto source = entry.append_child("source");
        source.append_attribute("gr:stream-id") = item.feed->stream_id.c_str();
        source.append_child("id").text().set(
            safe("tag:google.com,2005:reader/" + item.feed->stream_id).c_str());
        source.append_child("title").text().set(safe(item.feed->title).c_str());
    }
    std::ostringstream out;
    document.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
    return out.str();
}

// ----- writes

// Edits must carry the write token of the caller's session (T), as /token gave it.
void check_edit_token(const Request& request, const Context& context) {
    const auto token = request.field("T");
    if (token && equal_constant_time(text::trim(*token), edit_token(context.user->session))) return;
    auto response = plain("Unauthorized: a valid write token (T) is required\n", 401);
    response.headers.emplace_back("Google-Bad-Token", "true");
    throw BadRequest{std::move(response)};
}

Response ok() {
    return plain("OK");
}

// The stream a request names: in the path (stream/contents/feed/12) or as s=.
std::string stream_of(const Request& request) {
    if (auto it = request.params.find("stream"); it != request.params.end()) return it->second;
    if (auto s = request.field("s"); s && !s->empty()) return *s;
    return reading_list;
}

Response contents(const Request& request, Context& context, ServedHtml& served) {
    const Feeds feeds(context);
    const auto stream = stream_of(request);
    const auto page = read_stream(request, context, feeds, stream, max_items);
    const auto items = items_of(page.entries, feeds, served);
    json out = {{"direction", "ltr"},
                {"id", canonical_stream(stream)},
                {"title", stream_title(stream, feeds)},
                {"updated", now_seconds()},
                {"items", items_json(items)}};
    if (page.continuation) out["continuation"] = *page.continuation;
    return json_response(out);
}

}  // namespace

void add_greader_routes(Router& router, std::shared_ptr<ServedHtml> served) {
    const auto login = [](const Request& request, Context& context) {
        const auto& session = context.user->session;
        if (request.field("output").value_or("") == "json")
            return json_response({{"SID", session}, {"LSID", "null"}, {"Auth", session}});
        return plain("SID=" + session + "\nLSID=null\nAuth=" + session + "\n");
    };
    for (const char* method : {"POST", "GET"})
        router.add(method, "/accounts/ClientLogin", login, Router::Access::login, bad_login);
    auto add = [&router](const char* method, const std::string& path, Handler handler) {
        router.add(method, "/reader/api/0/" + path, guarded(std::move(handler)), Router::Access::user,
                   unauthorized);
    };
    add("GET", "token",
        [](const Request&, Context& context) { return plain(edit_token(context.user->session)); });
    add("GET", "user-info", [](const Request&, Context& context) {
        const auto id = std::to_string(context.user->id);
        return json_response(
            {{"userId", id}, {"userName", context.user->name}, {"userProfileId", id}, {"userEmail", ""}});
    });
    add("GET", "subscription/list", [](const Request&, Context& context) {
        const Feeds feeds(context);
        json subscriptions = json::array();
        for (const auto& feed : feeds.list) {
            json categories = json::array();
            if (!feed.label.empty())
                categories.push_back({{"id", feed.label}, {"label", feed.source->category}});
            subscriptions.push_back({{"id", feed.stream_id},
                                     {"title", feed.title},
                                     {"categories", categories},
                                     {"url", feed.source->url},
                                     {"htmlUrl", feed.summary.site_link},
                                     {"iconUrl", ""},
                                     {"firstitemmsec", "0"},
                                     {"sortid", std::to_string(feed.summary.id)}});
        }
        return json_response({{"subscriptions", subscriptions}});
    });
    add("GET", "tag/list", [](const Request&, Context& context) {
        json tags = json::array({{{"id", starred_tag}}});
        for (const auto& label : Feeds(context).labels())
            tags.push_back({{"id", label_prefix + label}, {"type", "folder"}});
        return json_response({{"tags", tags}});
    });
    add("GET", "unread-count", [](const Request&, Context& context) {
        const Feeds feeds(context, store::SummaryDetail::state);  // each feed's newest entry
        std::map<std::string, std::int64_t> unread;
        for (const auto& counts : context.archive.read_counts(context.user->name))
            unread[counts.feed] = counts.unread;
        json list = json::array();
        std::map<std::string, std::pair<std::int64_t, std::int64_t>> labels;  // unread, newest
        std::int64_t total = 0, newest_all = 0;
        for (const auto& feed : feeds.list) {
            const auto count = unread[feed.source->name];
            const auto newest = feed.summary.newest ? std::chrono::duration_cast<std::chrono::microseconds>(
                                                          feed.summary.newest->time_since_epoch())
                                                          .count()
                                                    : 0;
            list.push_back({{"id", feed.stream_id},
                            {"count", count},
                            {"newestItemTimestampUsec", std::to_string(newest)}});
            if (!feed.label.empty()) {
                auto& [label_count, label_newest] = labels[feed.label];
                label_count += count;
                label_newest = std::max(label_newest, newest);
            }
            total += count;
            newest_all = std::max(newest_all, newest);
        }
        for (const auto& [label, figures] : labels)
            list.push_back({{"id", label},
                            {"count", figures.first},
                            {"newestItemTimestampUsec", std::to_string(figures.second)}});
        list.push_back({{"id", reading_list},
                        {"count", total},
                        {"newestItemTimestampUsec", std::to_string(newest_all)}});
        return json_response({{"max", total}, {"unreadcounts", list}});
    });
    const auto stream_contents = [served](const Request& request, Context& context) {
        return contents(request, context, *served);
    };
    add("GET", "stream/contents", stream_contents);
    add("GET", "stream/contents/{stream*}", stream_contents);
    add("GET", "stream/items/ids", [](const Request& request, Context& context) {
        const Feeds feeds(context);
        const auto page =
            read_stream(request, context, feeds, stream_of(request), max_ids, /*ids_only=*/true);
        json refs = json::array();
        for (const auto& row : page.entries) {
            const auto micros =
                std::chrono::duration_cast<std::chrono::microseconds>(row.first_seen.time_since_epoch());
            refs.push_back({{"id", std::to_string(row.id)},
                            {"directStreamIds", json::array()},
                            {"timestampUsec", std::to_string(micros.count())}});
        }
        json out = {{"itemRefs", refs}};
        if (page.continuation) out["continuation"] = *page.continuation;
        return json_response(out);
    });
    const auto items_contents = [served](const Request& request, Context& context) {
        const auto ids = item_ids(request, max_items);
        const Feeds feeds(context);
        std::vector<store::ReaderEntry> entries;
        if (!ids.empty()) {
            store::EntryFilter filter;
            filter.user = context.user->name;
            filter.ids = ids;
            filter.limit = 0;
            filter.count_total = false;
            entries = context.archive.reader_entries(filter).entries;
            // In the order asked, as clients match answers to what they asked.
            std::map<std::int64_t, std::size_t> place;
            for (std::size_t i = 0; i < ids.size(); ++i) place.emplace(ids[i], i);
            std::sort(entries.begin(), entries.end(),
                      [&](const auto& a, const auto& b) { return place[a.id] < place[b.id]; });
        }
        return json_response({{"direction", "ltr"},
                              {"id", reading_list},
                              {"updated", now_seconds()},
                              {"items", items_json(items_of(entries, feeds, *served))}});
    };
    add("POST", "stream/items/contents", items_contents);
    add("GET", "stream/items/contents", items_contents);
    add("POST", "edit-tag", [](const Request& request, Context& context) {
        check_edit_token(request, context);
        const auto ids = item_ids(request, max_ids);
        if (ids.empty()) bad_request("no item ids (i=)");
        std::optional<bool> read, starred;
        for (const auto& tag : request.fields("a")) {
            const auto id = canonical_stream(tag);
            if (id == read_tag) read = true;
            if (id == "user/-/state/com.google/kept-unread") read = false;
            if (id == starred_tag) starred = true;
        }
        for (const auto& tag : request.fields("r")) {
            const auto id = canonical_stream(tag);
            if (id == read_tag) read = false;
            if (id == "user/-/state/com.google/kept-unread") read = true;
            if (id == starred_tag) starred = false;
        }
        // Labels, sharing, likes: feedd keeps none of them; the answer is still OK, as clients
        // send them together with the states it keeps.
        if (read || starred) {
            const auto user = context.user->name;
            context.write([user, ids, read, starred](store::Archive& archive) {
                if (read) archive.set_read(user, ids, *read);
                if (starred)
                    for (const auto id : ids) archive.set_starred(user, id, *starred);
            });
        }
        return ok();
    });
    add("POST", "mark-all-as-read", [](const Request& request, Context& context) {
        check_edit_token(request, context);
        const auto stream = request.field("s");
        if (!stream || stream->empty()) bad_request("no stream (s=)");
        const Feeds feeds(context);
        store::EntryFilter filter;
        if (!narrow(filter, *stream, feeds)) return ok();
        if (filter.read || filter.starred)
            bad_request("only a feed, a label or the reading list is marked read");
        std::vector<std::string> names = filter.feeds;
        if (names.empty())
            for (const auto& feed : feeds.list) names.push_back(feed.source->name);
        // ts: what the client had seen, in microseconds (some send seconds or milliseconds).
        std::optional<TimePoint> until;
        if (auto ts = number_field(request, "ts")) {
            auto value = *ts;
            if (value > 100'000'000'000'000)
                value /= 1'000'000;
            else if (value > 100'000'000'000)
                value /= 1000;
            until = TimePoint(std::chrono::seconds(value));
        }
        const auto user = context.user->name;
        context.write([user, names, until](store::Archive& archive) {
            for (const auto& name : names) archive.mark_feed_read(user, name, until);
        });
        return ok();
    });
    // newsboat's FeedHQ backend reads each subscription as Atom.
    router.add("GET", "/reader/atom/{stream*}", guarded([served](const Request& request, Context& context) {
                   const Feeds feeds(context);
                   const auto stream = stream_of(request);
                   const auto page = read_stream(request, context, feeds, stream, max_items);
                   Response response;
                   response.content_type = "application/atom+xml; charset=utf-8";
                   response.body =
                       atom(stream, feeds, items_of(page.entries, feeds, *served), page.continuation);
                   return response;
               }),
               Router::Access::user, unauthorized);
}

}  // namespace feedd::api
