// JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) through nlohmann-json, read without
// exceptions: a value of the wrong type is treated as absent (a numeric id excepted, which the
// specification says to read as a string).
#include <cstdint>

#include <nlohmann/json.hpp>

#include "parse/internal.hpp"

namespace feedd::parse::detail {
namespace {

using Json = nlohmann::json;

// A JSON string as text: "\u0000" is no character of a title or a page.
std::string text_of(const Json& value) {
    std::string text = value.get<std::string>();
    if (text.find('\0') != std::string::npos) std::erase(text, '\0');
    return text;
}

// The same, moved out of the document: an article's text is not copied out of it.
std::string take_text(Json& value) {
    std::string text = std::move(value.get_ref<std::string&>());
    if (text.find('\0') != std::string::npos) std::erase(text, '\0');
    return text;
}

std::string string_at(const Json& object, const char* key) {
    if (!object.is_object()) return {};
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return {};
    return text_of(*it);
}

// "id": a string, or a number read as one.
std::string id_at(const Json& object) {
    if (!object.is_object()) return {};
    const auto it = object.find("id");
    if (it == object.end()) return {};
    if (it->is_number_unsigned()) return std::to_string(it->get<unsigned long long>());
    if (it->is_number_integer()) return std::to_string(it->get<long long>());
    return string_at(object, "id");
}

std::string author_of(const Json& object) {
    std::string names;
    if (object.contains("authors") && object["authors"].is_array()) {  // 1.1
        for (const auto& author : object["authors"]) {
            const std::string name = collapse_space(string_at(author, "name"));
            if (name.empty()) continue;
            if (!names.empty()) names += ", ";
            names += name;
        }
    }
    if (names.empty() && object.contains("author"))
        names = collapse_space(string_at(object["author"], "name"));  // 1.0
    return names;
}

}  // namespace

void parse_json_feed(std::string_view text, std::string_view base_url, ParsedFeed& feed, Problems& problems,
                     std::string* source) {
    Json document = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (document.is_discarded()) {
        feed.is_feed = false;
        feed.error = "not a feed: JSON that does not parse";
        return;
    }
    // The document holds its own strings: the source goes before its text is read out.
    if (source) std::string().swap(*source);
    const std::string version = string_at(document, "version");
    if (!document.is_object() || version.find("jsonfeed.org/version/") == std::string::npos) {
        feed.is_feed = false;
        feed.error = "not a feed: JSON without a JSON Feed version";
        return;
    }
    feed.format = FeedFormat::json1x;
    const std::string base(base_url);
    feed.title = collapse_space(string_at(document, "title"));
    feed.link = resolve_url(base, string_at(document, "home_page_url"));
    const std::string feed_url = resolve_url(base, string_at(document, "feed_url"));
    feed.subtitle = escape_html(string_at(document, "description"));
    feed.language = string_at(document, "language");
    const std::string feed_author = author_of(document);
    const std::string entry_base = !feed.link.empty() ? feed.link : !feed_url.empty() ? feed_url : base;
    feed.image = resolve_url(entry_base, string_at(document, "icon"));
    if (feed.image.empty()) feed.image = resolve_url(entry_base, string_at(document, "favicon"));

    const auto items = document.find("items");
    if (items == document.end() || !items->is_array()) {
        problems.add("JSON Feed without an \"items\" array");
        return;
    }
    for (auto& item : *items) {
        if (!item.is_object()) continue;
        Entry entry;
        entry.id = id_at(item);
        entry.title = collapse_space(string_at(item, "title"));  // plain text in JSON Feed
        entry.link = resolve_url(entry_base, string_at(item, "url"));
        if (entry.link.empty()) entry.link = resolve_url(entry_base, string_at(item, "external_url"));
        entry.published = parse_date(string_at(item, "date_published"));
        entry.updated = parse_date(string_at(item, "date_modified"));
        entry.author = author_of(item);
        if (entry.author.empty()) entry.author = feed_author;
        entry.summary = escape_html(string_at(item, "summary"));
        if (const auto html = item.find("content_html"); html != item.end() && html->is_string())
            entry.content = take_text(*html);
        if (entry.content.empty()) entry.content = escape_html(string_at(item, "content_text"));
        absolutize_html(entry.content, entry_base);
        if (const auto tags = item.find("tags"); tags != item.end() && tags->is_array())
            for (const auto& tag : *tags)
                if (tag.is_string())
                    if (auto category = text_of(tag); !category.empty())
                        entry.categories.push_back(std::move(category));
        if (const auto attachments = item.find("attachments");
            attachments != item.end() && attachments->is_array()) {
            for (const auto& attachment : *attachments) {
                Enclosure enclosure;
                enclosure.url = resolve_url(entry_base, string_at(attachment, "url"));
                enclosure.type = string_at(attachment, "mime_type");
                if (attachment.is_object()) {
                    if (const auto size = attachment.find("size_in_bytes");
                        size != attachment.end() && size->is_number_integer() &&
                        (size->is_number_unsigned() ? size->get<std::uint64_t>() <= INT64_MAX
                                                    : size->get<std::int64_t>() >= 0))
                        enclosure.length = size->get<std::int64_t>();
                }
                if (!enclosure.url.empty()) entry.enclosures.push_back(std::move(enclosure));
            }
        }
        entry.image = resolve_url(entry_base, string_at(item, "image"));
        if (entry.image.empty()) entry.image = resolve_url(entry_base, string_at(item, "banner_image"));
        if (entry.image.empty())
            for (const auto& enclosure : entry.enclosures)
                if (enclosure.type.starts_with("image/")) {
                    entry.image = enclosure.url;
                    break;
                }
        if (entry.image.empty()) entry.image = resolve_url(entry_base, first_image(entry.content));
        feed.entries.push_back(std::move(entry));
    }
}

}  // namespace feedd::parse::detail
