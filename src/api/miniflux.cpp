// The Miniflux API v1, the subset its clients use (docs/ARCHITECTURE.md, "HTTP API"). Field names
// and types as Miniflux documents them; feeds and categories come from feeds.toml, entries and
// their reading state from the archive. Miniflux's entry is feedd's entry (one feed's version of
// an article); the state is the article's, so an article read in one feed is read in all.
#include <algorithm>
#include <map>
#include <set>

#include "api/json.hpp"
#include "api/miniflux.hpp"
#include "api/params.hpp"
#include "api/served_html.hpp"
#include "feedd/opml/opml.hpp"
#include "feedd/text/text.hpp"

namespace feedd::api {
namespace {

using nlohmann::json;

std::string iso(TimePoint t) {
    return format_utc(t);
}

// Categories are the folder paths of feeds.toml, "All" for feeds without one; numbered in the
// order of their titles, so that the numbers stay while the set of folders does.
struct Categories {
    std::vector<std::string> titles;  // index + 1 is the id
    explicit Categories(const config::Config& config) {
        std::set<std::string> set;
        for (const auto& feed : config.feeds) set.insert(title_of(feed));
        titles.assign(set.begin(), set.end());
    }
    static std::string title_of(const FeedSource& feed) {
        return feed.category.empty() ? "All" : feed.category;
    }
    std::int64_t id_of(const FeedSource& feed) const {
        const auto it = std::find(titles.begin(), titles.end(), title_of(feed));
        return static_cast<std::int64_t>(it - titles.begin()) + 1;
    }
    json object(std::int64_t id, const User& user) const {
        return {{"id", id},
                {"title", titles[static_cast<std::size_t>(id - 1)]},
                {"user_id", user.id},
                {"hide_globally", false}};
    }
};

// What a handler knows about the configured feeds: the archive's ids and state. The listing
// detail: no per-feed counts, which would scan every entry on each request.
struct FeedIndex {
    std::map<std::int64_t, std::string> by_id;
    std::map<std::string, store::FeedSummary> summaries;
    explicit FeedIndex(store::Archive& archive) {
        for (auto& summary : archive.feed_summaries(store::SummaryDetail::listing)) {
            if (!summary.configured) continue;
            by_id[summary.id] = summary.name;
            summaries[summary.name] = std::move(summary);
        }
    }
};

const FeedSource* configured(const config::Config& config, const std::string& name) {
    for (const auto& feed : config.feeds)
        if (feed.name == name) return &feed;
    return nullptr;
}

json feed_object(const FeedSource& feed, const FeedIndex& index, const Categories& categories,
                 const User& user) {
    const auto summary = index.summaries.find(feed.name);
    const store::FeedSummary* s = summary == index.summaries.end() ? nullptr : &summary->second;
    std::string title = feed.title;
    if (title.empty() && s) title = s->title;
    if (title.empty()) title = feed.name;
    return {{"id", s ? s->id : 0},
            {"user_id", user.id},
            {"title", title},
            {"site_url", s ? s->site_link : std::string()},
            {"feed_url", feed.url},
            {"checked_at",
             s && s->state.last_poll ? iso(*s->state.last_poll) : std::string("0001-01-01T00:00:00Z")},
            {"next_check_at",
             s && s->state.next_poll ? iso(*s->state.next_poll) : std::string("0001-01-01T00:00:00Z")},
            {"etag_header", ""},
            {"last_modified_header", ""},
            {"parsing_error_message",
             s && s->state.consecutive_failures > 0 ? s->state.last_error : std::string()},
            {"parsing_error_count", s ? s->state.consecutive_failures : 0},
            {"scraper_rules", ""},
            {"rewrite_rules", ""},
            {"crawler", false},
            {"blocklist_rules", ""},
            {"keeplist_rules", ""},
            {"user_agent", ""},
            {"username", ""},
            {"password", ""},
            {"disabled", !feed.enabled},
            {"ignore_http_cache", false},
            {"fetch_via_proxy", false},
            {"hide_globally", false},
            {"no_media_player", false},
            {"category", categories.object(categories.id_of(feed), user)},
            {"icon", nullptr}};
}

// Reading time in minutes at 265 words a minute, as Miniflux counts it for Latin scripts.
int reading_time(std::size_t words) {
    return static_cast<int>((words + 264) / 265);
}

// `feed_json`: feed_object of the entry's feed. `page`: the article's archived page (full text),
// served instead of the feed's HTML when it has more words.
json entry_object(const store::ReaderEntry& row, const json& feed_json, const User& user,
                  const std::optional<store::PageDetail>& page, ServedHtml& served) {
    // The one place where archived HTML leaves through the Miniflux API: the archive keeps what the
    // publisher sent, a reader gets it sanitised, relative URLs resolved against the entry's link
    // (a page's against where it was fetched from).
    const auto& own = row.entry.content.empty() ? row.entry.summary : row.entry.content;
    const bool fuller = page && page->fetched_at &&
                        text::count_words(page->text) > text::count_words(text::html_to_text(own));
    const auto content =
        fuller ? served.get(page->html, page->final_url.empty() ? row.entry.link : page->final_url)
               : served.get(own, row.entry.link);
    json enclosures = json::array();
    std::int64_t position = 0;
    for (const auto& enclosure : row.entry.enclosures) {
        enclosures.push_back({{"id", row.id * 1000 + position++},
                              {"user_id", user.id},
                              {"entry_id", row.id},
                              {"url", enclosure.url},
                              {"mime_type", enclosure.type},
                              {"size", enclosure.length.value_or(0)},
                              {"media_progression", 0}});
    }
    return {{"id", row.id},
            {"user_id", user.id},
            {"feed_id", feed_json.at("id")},
            {"status", row.read ? "read" : "unread"},
            {"hash", row.identity},
            {"title", row.entry.title},
            {"url", row.entry.link},
            {"comments_url", ""},
            {"published_at", iso(row.date)},
            {"created_at", iso(row.first_seen)},
            {"changed_at", iso(row.changed_at.value_or(row.first_seen))},
            {"content", content->html},
            {"author", row.entry.author},
            {"share_code", ""},
            {"starred", row.starred},
            {"reading_time", reading_time(content->words)},
            {"enclosures", enclosures},
            {"feed", feed_json},
            {"tags", row.entry.categories}};
}

Response entries_of(const Request& request, Context& context, std::optional<std::int64_t> feed_id,
                    ServedHtml& served) {
    const auto& user = *context.user;
    FeedIndex index(context.archive);
    const Categories categories(context.config);
    store::EntryFilter filter;
    filter.user = user.name;
    if (feed_id) {
        const auto it = index.by_id.find(*feed_id);
        if (it == index.by_id.end()) return json_error(404, "feed not found");
        filter.feeds.push_back(it->second);
    }
    for (const auto& [key, value] : request.query) {
        if (key != "status") continue;
        if (value == "read")
            filter.read = true;
        else if (value == "unread")
            filter.read = false;
        else if (value == "removed")
            return json_response({{"total", 0}, {"entries", json::array()}});
        else
            return json_error(400, "invalid status: " + value);
    }
    if (auto starred = request.query_value("starred"); starred && !starred->empty())
        filter.starred = *starred == "true" || *starred == "1";
    if (auto limit = number_param(request, "limit"))
        filter.limit = static_cast<int>(std::clamp<std::int64_t>(*limit, 0, 10000));
    if (auto offset = number_param(request, "offset")) filter.offset = std::max<std::int64_t>(0, *offset);
    if (auto order = request.query_value("order")) {
        if (*order == "id")
            filter.order = store::EntryFilter::Order::id;
        else if (*order == "published_at" || *order == "created_at" || *order == "changed_at" ||
                 order->empty())
            filter.order = store::EntryFilter::Order::date;
        else if (*order != "status" && *order != "category_title" && *order != "category_id")
            return json_error(400, "invalid order: " + *order);
    }
    if (auto direction = request.query_value("direction")) {
        if (*direction == "asc")
            filter.descending = false;
        else if (*direction == "desc" || direction->empty())
            filter.descending = true;
        else
            return json_error(400, "invalid direction: " + *direction);
    }
    if (auto before = number_param(request, "before"))
        filter.before = TimePoint(std::chrono::seconds(*before));
    if (auto after = number_param(request, "after")) filter.after = TimePoint(std::chrono::seconds(*after));
    filter.before_id = number_param(request, "before_entry_id");
    filter.after_id = number_param(request, "after_entry_id");
    if (auto category = number_param(request, "category_id")) {
        if (*category < 1 || *category > static_cast<std::int64_t>(categories.titles.size()))
            return json_error(404, "category not found");
        const auto& title = categories.titles[static_cast<std::size_t>(*category - 1)];
        std::vector<std::string> in_category;
        for (const auto& feed : context.config.feeds)
            if (Categories::title_of(feed) == title) in_category.push_back(feed.name);
        if (feed_id) {
            // Within one feed's entries: the feed is in the category or nothing is.
            if (std::find(in_category.begin(), in_category.end(), filter.feeds.front()) == in_category.end())
                in_category.clear();
            else
                in_category = filter.feeds;
        }
        if (in_category.empty()) return json_response({{"total", 0}, {"entries", json::array()}});
        filter.feeds = std::move(in_category);
    }
    if (auto search = request.query_value("search"); search && !search->empty()) {
        store::ArticleQuery query;
        query.search = *search;
        query.limit = 0;
        try {
            for (const auto& row : context.archive.query(query)) filter.articles.push_back(row.id);
        } catch (const store::QueryError& e) {
            return json_error(400, std::string("invalid search: ") + e.what());
        }
        filter.by_articles = true;
    }
    const auto page = context.archive.reader_entries(filter);
    json entries = json::array();
    std::map<std::string, json> feeds;  // each feed's object built once, however many entries it has
    for (const auto& row : page.entries) {
        auto feed_json = feeds.find(row.feed);
        if (feed_json == feeds.end()) {
            const auto* feed = configured(context.config, row.feed);
            if (!feed) continue;
            feed_json = feeds.emplace(row.feed, feed_object(*feed, index, categories, user)).first;
        }
        entries.push_back(
            entry_object(row, feed_json->second, user, context.archive.page(row.article_id), served));
    }
    return json_response({{"total", page.total}, {"entries", entries}});
}

std::optional<store::ReaderEntry> one_entry(Context& context, std::int64_t id) {
    store::EntryFilter filter;
    filter.user = context.user->name;
    filter.ids = {id};
    filter.limit = 1;
    auto page = context.archive.reader_entries(filter);
    if (page.entries.empty()) return std::nullopt;
    return std::move(page.entries.front());
}

// What a write answers: Miniflux's 204, no body.
Response no_content() {
    Response response;
    response.status = 204;
    return response;
}

}  // namespace

void add_miniflux_routes(Router& router, std::shared_ptr<ServedHtml> served) {
    router.add("GET", "/v1/feeds", guarded([](const Request&, Context& context) {
                   FeedIndex index(context.archive);
                   const Categories categories(context.config);
                   json feeds = json::array();
                   for (const auto& feed : context.config.feeds)
                       if (index.summaries.count(feed.name))
                           feeds.push_back(feed_object(feed, index, categories, *context.user));
                   return json_response(feeds);
               }));
    router.add("GET", "/v1/feeds/counters", guarded([](const Request&, Context& context) {
                   json reads = json::object(), unreads = json::object();
                   for (const auto& counts : context.archive.read_counts(context.user->name)) {
                       if (!configured(context.config, counts.feed)) continue;
                       reads[std::to_string(counts.feed_id)] = counts.read;
                       unreads[std::to_string(counts.feed_id)] = counts.unread;
                   }
                   return json_response({{"reads", reads}, {"unreads", unreads}});
               }));
    router.add("GET", "/v1/feeds/{id}", guarded([](const Request& request, Context& context) {
                   const auto id = path_id(request, "id");
                   FeedIndex index(context.archive);
                   const auto it = index.by_id.find(id);
                   const FeedSource* feed =
                       it == index.by_id.end() ? nullptr : configured(context.config, it->second);
                   if (!feed) return json_error(404, "feed not found");
                   return json_response(feed_object(*feed, index, Categories(context.config), *context.user));
               }));
    router.add("GET", "/v1/feeds/{id}/entries", guarded([served](const Request& request, Context& context) {
                   return entries_of(request, context, path_id(request, "id"), *served);
               }));
    router.add(
        "PUT", "/v1/feeds/{id}/mark-all-as-read", guarded([](const Request& request, Context& context) {
            const auto id = path_id(request, "id");
            FeedIndex index(context.archive);
            const auto it = index.by_id.find(id);
            if (it == index.by_id.end()) return json_error(404, "feed not found");
            const auto user = context.user->name;
            const auto feed = it->second;
            context.write([user, feed](store::Archive& archive) { archive.mark_feed_read(user, feed); });
            return no_content();
        }));
    router.add("POST", "/v1/feeds", [](const Request&, Context&) {
        return json_error(403,
                          "feeds are configured in feeds.toml on the server (feedd feeds add URL); "
                          "the API does not create them");
    });
    router.add("GET", "/v1/categories", guarded([](const Request&, Context& context) {
                   const Categories categories(context.config);
                   json out = json::array();
                   for (std::size_t i = 0; i < categories.titles.size(); ++i)
                       out.push_back(categories.object(static_cast<std::int64_t>(i + 1), *context.user));
                   return json_response(out);
               }));
    router.add("GET", "/v1/entries", guarded([served](const Request& request, Context& context) {
                   return entries_of(request, context, std::nullopt, *served);
               }));
    router.add("GET", "/v1/entries/{id}", guarded([served](const Request& request, Context& context) {
                   const auto id = path_id(request, "id");
                   auto row = one_entry(context, id);
                   const FeedSource* feed = row ? configured(context.config, row->feed) : nullptr;
                   if (!feed) return json_error(404, "entry not found");
                   FeedIndex index(context.archive);
                   return json_response(entry_object(
                       *row, feed_object(*feed, index, Categories(context.config), *context.user),
                       *context.user, context.archive.page(row->article_id), *served));
               }));
    router.add("PUT", "/v1/entries", guarded([](const Request& request, Context& context) {
                   const auto body = json::parse(request.body, nullptr, false);
                   if (body.is_discarded() || !body.is_object())
                       return json_error(400, "the body is not a JSON object");
                   const auto ids = body.find("entry_ids");
                   const auto status = body.find("status");
                   if (ids == body.end() || !ids->is_array() || ids->empty())
                       return json_error(400, "entry_ids: a list of entry ids is required");
                   if (status == body.end() || !status->is_string() ||
                       (*status != "read" && *status != "unread" && *status != "removed"))
                       return json_error(400, "status: read or unread");
                   std::vector<std::int64_t> entry_ids;
                   for (const auto& id : *ids) {
                       if (!id.is_number_integer()) return json_error(400, "entry_ids: integers only");
                       entry_ids.push_back(id.get<std::int64_t>());
                   }
                   // "removed" is Miniflux's hiding of an entry; feedd keeps every entry: read.
                   const bool read = *status != "unread";
                   const auto user = context.user->name;
                   context.write([user, entry_ids, read](store::Archive& archive) {
                       archive.set_read(user, entry_ids, read);
                   });
                   return no_content();
               }));
    router.add("PUT", "/v1/entries/{id}/bookmark", guarded([](const Request& request, Context& context) {
                   const auto id = path_id(request, "id");
                   auto row = one_entry(context, id);
                   if (!row) return json_error(404, "entry not found");
                   const bool starred = !row->starred;  // Miniflux toggles
                   const auto user = context.user->name;
                   context.write([user, id, starred](store::Archive& archive) {
                       archive.set_starred(user, id, starred);
                   });
                   return no_content();
               }));
    router.add("GET", "/v1/export", guarded([](const Request&, Context& context) {
                   Response response;
                   response.content_type = "application/xml";
                   opml::ExportOptions options;
                   options.created =
                       std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
                   response.body = opml::export_opml(
                       export_feeds(context.config, context.archive.feed_summaries()), options);
                   return response;
               }));
}

}  // namespace feedd::api
