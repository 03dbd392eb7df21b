// Atom and JSON Feed of a query's articles (render.hpp).
#include "feedd/render/render.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>

#include "feedd/html/html.hpp"
#include "feedd/text/text.hpp"

namespace feedd::render {
namespace {

using nlohmann::json;

constexpr const char* feed_scheme = "tag:feedd,2024:feed";
constexpr const char* generator_uri = FEEDD_PROJECT_URL;

// What one article shows: its fullest entry, and the dates a reader sorts by.
struct Item {
    const store::ArticleDetail& article;
    const store::EntryDetail& shown;
    TimePoint published;
    TimePoint updated;
};

Item item_of(const store::ArticleDetail& article) {
    const auto& shown = article.fullest();
    TimePoint updated = article.date;
    if (shown.entry.updated) updated = std::max(updated, *shown.entry.updated);
    if (shown.changed_at) updated = std::max(updated, *shown.changed_at);
    return {article, shown, article.date, updated};
}

// The newest change among the articles: the document's own updated time. An empty result has
// none, and says the epoch rather than "now", so that its ETag does not change every second.
TimePoint newest(std::span<const store::ArticleDetail> articles) {
    TimePoint newest{};
    for (const auto& article : articles) newest = std::max(newest, item_of(article).updated);
    return newest;
}

std::string content_html(const Item& item) {
    const auto& entry = item.shown.entry;
    return html::sanitize(entry.content.empty() ? entry.summary : entry.content, entry.link);
}

// The entry's own categories after its feeds, each once.
std::vector<std::string> topics(const Item& item) {
    std::vector<std::string> out;
    for (const auto& category : item.shown.entry.categories) {
        if (category.empty()) continue;
        if (std::find(out.begin(), out.end(), category) == out.end()) out.push_back(category);
    }
    return out;
}

void text_element(pugi::xml_node parent, const char* name, std::string_view value) {
    parent.append_child(name).text().set(text::xml_safe(value).c_str());
}

void attribute(pugi::xml_node node, const char* name, std::string_view value) {
    node.append_attribute(name).set_value(text::xml_safe(value).c_str());
}

void link(pugi::xml_node parent, const char* rel, std::string_view href, std::string_view type) {
    auto node = parent.append_child("link");
    attribute(node, "rel", rel);
    if (!type.empty()) attribute(node, "type", type);
    attribute(node, "href", href);
}

}  // namespace

std::vector<store::ArticleDetail> query_articles(store::Archive& archive, const store::ArticleQuery& query) {
    std::vector<store::ArticleDetail> articles;
    for (const auto& row : archive.query(query)) {
        auto article = archive.article(row.id);
        if (article && !article->entries.empty()) articles.push_back(std::move(*article));
    }
    return articles;
}

std::string query_title(const store::ArticleQuery& query, std::string_view since_as_asked,
                        std::string_view until_as_asked) {
    std::string title = "feedd";
    std::string sep = ": ";
    auto add = [&](const std::string& part) {
        title += sep + part;
        sep = ", ";
    };
    if (!query.search.empty()) add("search \"" + query.search + "\"");
    for (const auto& feed : query.feeds) add("feed " + feed);
    if (!query.category.empty()) add("category " + query.category);
    if (query.since)
        add("since " + (since_as_asked.empty() ? format_utc(*query.since) : std::string(since_as_asked)));
    if (query.until)
        add("until " + (until_as_asked.empty() ? format_utc(*query.until) : std::string(until_as_asked)));
    if (sep == ": ") add("all articles");
    return title;
}

std::string article_id(std::int64_t id) {
    return "tag:feedd,2024:article/" + std::to_string(id);
}

std::string atom(const FeedMeta& meta, std::span<const store::ArticleDetail> articles) {
    pugi::xml_document document;
    auto declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version").set_value("1.0");
    declaration.append_attribute("encoding").set_value("utf-8");
    auto feed = document.append_child("feed");
    feed.append_attribute("xmlns").set_value("http://www.w3.org/2005/Atom");
    text_element(feed, "id", meta.self_url);
    text_element(feed, "title", meta.title);
    text_element(feed, "updated", format_utc(newest(articles)));
    link(feed, "self", meta.self_url, "application/atom+xml");
    // RFC 4287 4.1.1: a feed names an author unless every entry does.
    text_element(feed.append_child("author"), "name", "feedd");
    auto generator = feed.append_child("generator");
    attribute(generator, "uri", generator_uri);
    attribute(generator, "version", FEEDD_VERSION);
    generator.text().set("feedd");

    for (const auto& article : articles) {
        const Item item = item_of(article);
        const auto& entry = item.shown.entry;
        auto node = feed.append_child("entry");
        text_element(node, "id", article_id(article.id));
        text_element(node, "title", entry.title);
        if (!entry.link.empty()) link(node, "alternate", entry.link, "text/html");
        for (const auto& enclosure : entry.enclosures) {
            if (enclosure.url.empty()) continue;
            auto enclosure_link = node.append_child("link");
            attribute(enclosure_link, "rel", "enclosure");
            if (!enclosure.type.empty()) attribute(enclosure_link, "type", enclosure.type);
            if (enclosure.length) attribute(enclosure_link, "length", std::to_string(*enclosure.length));
            attribute(enclosure_link, "href", enclosure.url);
        }
        text_element(node, "published", format_utc(item.published));
        text_element(node, "updated", format_utc(item.updated));
        if (!entry.author.empty()) text_element(node.append_child("author"), "name", entry.author);
        for (const auto& name : article.feeds) {
            auto category = node.append_child("category");
            attribute(category, "term", name);
            attribute(category, "scheme", feed_scheme);
        }
        for (const auto& topic : topics(item)) attribute(node.append_child("category"), "term", topic);
        if (!entry.content.empty() && !entry.summary.empty() && entry.summary != entry.content) {
            auto summary = node.append_child("summary");
            attribute(summary, "type", "html");
            summary.text().set(text::xml_safe(html::sanitize(entry.summary, entry.link)).c_str());
        }
        auto content = node.append_child("content");
        attribute(content, "type", "html");
        content.text().set(text::xml_safe(content_html(item)).c_str());
    }
    std::ostringstream out;
    document.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
    return out.str();
}

std::string json_feed(const FeedMeta& meta, std::span<const store::ArticleDetail> articles) {
    json items = json::array();
    for (const auto& article : articles) {
        const Item item = item_of(article);
        const auto& entry = item.shown.entry;
        json out = {{"id", article_id(article.id)}};
        if (!entry.link.empty()) out["url"] = entry.link;
        out["title"] = entry.title;
        out["content_html"] = content_html(item);
        const std::string summary = text::html_to_text(entry.summary);
        if (!summary.empty()) out["summary"] = summary;
        out["date_published"] = format_utc(item.published);
        out["date_modified"] = format_utc(item.updated);
        if (!entry.author.empty()) out["authors"] = json::array({{{"name", entry.author}}});
        json tags = json::array();
        for (const auto& name : article.feeds) tags.push_back(name);
        for (const auto& topic : topics(item))
            if (std::find(tags.begin(), tags.end(), topic) == tags.end()) tags.push_back(topic);
        if (!tags.empty()) out["tags"] = tags;
        if (!entry.image.empty()) out["image"] = entry.image;
        json attachments = json::array();
        for (const auto& enclosure : entry.enclosures) {
            if (enclosure.url.empty()) continue;
            json attachment = {
                {"url", enclosure.url},
                {"mime_type", enclosure.type.empty() ? "application/octet-stream" : enclosure.type}};
            if (enclosure.length) attachment["size_in_bytes"] = *enclosure.length;
            attachments.push_back(std::move(attachment));
        }
        if (!attachments.empty()) out["attachments"] = std::move(attachments);
        out["_feedd"] = {{"article_id", article.id}, {"feeds", article.feeds}};
        items.push_back(std::move(out));
    }
    json document = {{"version", "https://jsonfeed.org/version/1.1"},
                     {"title", meta.title},
                     {"feed_url", meta.self_url},
                     {"authors", json::array({{{"name", "feedd"}}})},
                     {"items", std::move(items)}};
    // Text from the web may hold bytes that are not UTF-8: written as U+FFFD, the JSON stays valid.
    return document.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string etag(std::string_view body) {
    return "\"" + text::hash_hex(body) + "\"";
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    auto opaque = [](std::string_view tag) {
        tag = text::trim(tag);
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        return tag;
    };
    const auto wanted = opaque(etag);
    std::size_t start = 0;
    while (start <= if_none_match.size()) {
        std::size_t end = if_none_match.find(',', start);
        if (end == std::string_view::npos) end = if_none_match.size();
        const auto tag = opaque(if_none_match.substr(start, end - start));
        if (tag == "*" || (!tag.empty() && tag == wanted)) return true;
        start = end + 1;
    }
    return false;
}

}  // namespace feedd::render
