#include "feedd/parse/parse.hpp"

#include <nlohmann/json.hpp>

#include "parse/internal.hpp"

namespace feedd::parse {

namespace detail {

std::string Problems::bounded(std::string message) {
    return cut_utf8(std::move(message), max_message);
}

std::string Problems::summary() const {
    if (count_ <= 1) return first_;
    return first_ + " (and " + std::to_string(count_ - 1) + " more problem" + (count_ > 2 ? "s" : "") + ")";
}

}  // namespace detail

namespace {

bool contains_ignoring_case(std::string_view text, std::string_view needle) {
    if (needle.size() > text.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
        std::size_t k = 0;
        while (k < needle.size() && text::ascii_lower(text[i + k]) == needle[k]) ++k;
        if (k == needle.size()) return true;
    }
    return false;
}

// Titles, names, categories and the language are one-line labels: a megabyte of them is an
// attack or a broken feed, and would flood every list that shows them. Text (summary, content)
// is kept whole; the fetcher's body limit bounds it.
constexpr std::size_t max_label = 4096;

void bound_label(std::string& label, const char* what, detail::Problems& problems) {
    if (label.size() <= max_label) return;
    const std::size_t size = label.size();
    label = detail::cut_utf8(std::move(label), max_label);
    problems.add_lazy([&] {
        return std::string(what) + " of " + std::to_string(size) + " bytes cut to " +
               std::to_string(max_label);
    });
}

void bound_labels(ParsedFeed& feed, detail::Problems& problems) {
    bound_label(feed.title, "feed title", problems);
    bound_label(feed.language, "feed language", problems);
    for (auto& entry : feed.entries) {
        bound_label(entry.title, "entry title", problems);
        bound_label(entry.author, "entry author", problems);
        for (auto& category : entry.categories) bound_label(category, "entry category", problems);
    }
}

// Where the first NUL is, for the report.
std::string position_of_nul(std::string_view text, std::size_t offset) {
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n')
            ++line, column = 1;
        else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
            ++column;
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

void mark_html_page(std::string_view text, const ParseOptions& options, ParsedFeed& feed) {
    feed.is_feed = false;
    feed.wellformed = false;
    feed.advertised = discover_feed_links(text, options.base_url);
    feed.error = "not a feed: an HTML page";
    if (!feed.advertised.empty())
        feed.error += " that advertises " + std::to_string(feed.advertised.size()) + " feed" +
                      (feed.advertised.size() > 1 ? "s" : "") + " (first: " + feed.advertised.front().url +
                      ")";
}

// `owned`, when given, is the string `bytes` lies in, the caller's to give away: each copy of the
// document is freed once the next one is made (converted text, text without NUL, the XML
// document), so that a large body is not held several times over.
ParsedFeed parse_unchecked(std::string_view bytes, const ParseOptions& options, std::string* owned) {
    ParsedFeed feed;
    detail::Problems problems;
    detail::Utf8Text utf8 = detail::to_utf8(bytes, options.content_type, problems);
    std::string_view text = utf8.text();
    // The string `text` lies in, when it is ours to free.
    std::string* source = utf8.converted ? &utf8.owned : owned;
    if (utf8.converted && owned) std::string().swap(*owned);
    // NUL is no character of XML or JSON text; pugixml would end the document at it, and the
    // JSON reader reject it. Dropped, as other forbidden control characters are.
    std::string without_nul;
    if (const std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
        without_nul.reserve(text.size());
        std::size_t count = 0;
        for (const char c : text) {
            if (c == '\0')
                ++count;
            else
                without_nul.push_back(c);
        }
        problems.add(std::to_string(count) + " NUL character" + (count > 1 ? "s" : "") + " (the first at " +
                     position_of_nul(text, nul) + ") dropped");
        text = without_nul;
        if (source) std::string().swap(*source);
        source = &without_nul;
    }
    std::size_t first = 0;
    while (first < text.size() && static_cast<unsigned char>(text[first]) <= ' ') ++first;
    if (first == text.size()) {
        feed.is_feed = false;
        feed.wellformed = false;
        feed.error = "not a feed: the document is empty";
        return feed;
    }
    if (text[first] == '{' || text[first] == '[') {
        detail::parse_json_feed(text.substr(first), options.base_url, feed, problems, source);
    } else if (detail::looks_like_html(text)) {
        mark_html_page(text, options, feed);
        return feed;
    } else if (text.find('<') == std::string_view::npos) {
        feed.is_feed = false;
        feed.error = "not a feed: neither XML nor JSON";
    } else {
        // Once the document is loaded and its reader found, `text` is freed (when it is ours): it
        // is an HTML page only when neither held.
        const bool released = detail::parse_xml_feed(text, options.base_url, feed, problems, source);
        const bool html_root = contains_ignoring_case(feed.error, "root element is <html>");
        const bool no_root = feed.error.ends_with("no XML element found");
        if (!released && !feed.is_feed &&
            (html_root || (no_root && contains_ignoring_case(text.substr(0, 4096), "<html")))) {
            mark_html_page(text, options, feed);
            return feed;
        }
    }
    if (!feed.is_feed) {
        feed.wellformed = false;
        return feed;
    }
    bound_labels(feed, problems);
    feed.wellformed = !problems.any();
    feed.error = problems.summary();
    return feed;
}

using Json = nlohmann::ordered_json;

Json text_or_null(const std::string& text) {
    return text.empty() ? Json(nullptr) : Json(text);
}
Json date_or_null(const std::optional<TimePoint>& t) {
    return t ? Json(format_utc(*t)) : Json(nullptr);
}
template <class T>
Json optional_or_null(const std::optional<T>& value) {
    return value ? Json(*value) : Json(nullptr);
}

// The fields in the order of the contract (as tests/fixtures/golden shows it), absent values as null.
Json feed_json(const ParsedFeed& feed) {
    return Json{{"format", to_string(feed.format)},
                {"title", text_or_null(feed.title)},
                {"link", text_or_null(feed.link)},
                {"subtitle", text_or_null(feed.subtitle)},
                {"language", text_or_null(feed.language)},
                {"updated", date_or_null(feed.updated)},
                {"image", text_or_null(feed.image)},
                {"ttl_minutes", optional_or_null(feed.ttl_minutes)},
                {"update_period_minutes", optional_or_null(feed.update_period_minutes)},
                {"skip_hours", feed.skip_hours},
                {"skip_days", feed.skip_days}};
}

Json entry_json(const Entry& entry) {
    Json enclosures = Json::array();
    for (const auto& enclosure : entry.enclosures)
        enclosures.push_back(Json{{"url", enclosure.url},
                                  {"type", text_or_null(enclosure.type)},
                                  {"length", optional_or_null(enclosure.length)}});
    return Json{{"id", text_or_null(entry.id)},           {"title", text_or_null(entry.title)},
                {"link", text_or_null(entry.link)},       {"published", date_or_null(entry.published)},
                {"updated", date_or_null(entry.updated)}, {"author", text_or_null(entry.author)},
                {"summary", text_or_null(entry.summary)}, {"content", text_or_null(entry.content)},
                {"categories", entry.categories},         {"image", text_or_null(entry.image)},
                {"enclosures", std::move(enclosures)}};
}

ParsedFeed parse_reporting(std::string_view bytes, const ParseOptions& options, std::string* owned) {
    try {
        ParsedFeed feed = parse_unchecked(bytes, options, owned);
        // "not a feed: the root element is <...>" quotes the document too.
        feed.error = detail::cut_utf8(std::move(feed.error), detail::Problems::max_message + 64);
        return feed;
    } catch (const std::exception& e) {
        // Only resource exhaustion gets here; a bad feed is data, not an exception.
        ParsedFeed feed;
        feed.is_feed = false;
        feed.wellformed = false;
        feed.error = std::string("cannot parse: ") + e.what();
        return feed;
    }
}

}  // namespace

ParsedFeed parse_feed(std::string_view bytes, const ParseOptions& options) {
    return parse_reporting(bytes, options, nullptr);
}

ParsedFeed parse_feed(std::string&& bytes, const ParseOptions& options) {
    std::string owned = std::move(bytes);
    return parse_reporting(owned, options, &owned);
}

std::string to_json(const ParsedFeed& feed) {
    Json document{{"wellformed", feed.wellformed}, {"error", text_or_null(feed.error)}};
    if (!feed.is_feed) {
        document["feed"] = nullptr;
        document["entries"] = Json::array();
    } else {
        document["feed"] = feed_json(feed);
        Json entries = Json::array();
        for (const auto& entry : feed.entries) entries.push_back(entry_json(entry));
        document["entries"] = std::move(entries);
    }
    if (!feed.advertised.empty()) {
        Json advertised = Json::array();
        for (const auto& link : feed.advertised)
            advertised.push_back(Json{
                {"url", link.url}, {"type", text_or_null(link.type)}, {"title", text_or_null(link.title)}});
        document["advertised"] = std::move(advertised);
    }
    return document.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace feedd::parse
