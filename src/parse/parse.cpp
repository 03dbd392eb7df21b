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

// The JSON of docs/ARCHITECTURE.md written straight into one string, field by field, in the order
// of the contract (as tests/fixtures/golden shows it), absent values as null. Building an
// nlohmann::ordered_json tree first and dumping it cost ten times the parse itself (`feedd
// parse` ran at a seventh of the parser's speed); the bytes are the same as that dump's.
class JsonWriter {
  public:
    explicit JsonWriter(std::size_t reserve) { out_.reserve(reserve); }

    JsonWriter& key(std::string_view name) {
        comma();
        out_ += '"';
        out_ += name;  // the contract's own names: nothing to escape
        out_ += "\":";
        fresh_ = true;
        return *this;
    }
    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    void null() {
        comma();
        out_ += "null";
    }
    void boolean(bool value) {
        comma();
        out_ += value ? "true" : "false";
    }
    void number(std::int64_t value) {
        comma();
        out_ += std::to_string(value);
    }
    void string(std::string_view text) {
        comma();
        if (text::find_invalid_utf8(text) != std::string_view::npos) {
            // Rare (the parser hands on UTF-8): nlohmann's own replacement of bad bytes, so that the
            // output stays what it always was.
            out_ += nlohmann::json(std::string(text))
                        .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            return;
        }
        out_ += '"';
        std::size_t run = 0;  // start of the bytes not yet copied
        for (std::size_t i = 0; i < text.size(); ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            out_.append(text.substr(run, i - run));
            run = i + 1;
            switch (c) {
                case '"': out_ += "\\\""; break;
                case '\\': out_ += "\\\\"; break;
                case '\b': out_ += "\\b"; break;
                case '\f': out_ += "\\f"; break;
                case '\n': out_ += "\\n"; break;
                case '\r': out_ += "\\r"; break;
                case '\t': out_ += "\\t"; break;
                default: {
                    static constexpr char hex[] = "0123456789abcdef";
                    out_ += "\\u00";
                    out_ += hex[c >> 4];
                    out_ += hex[c & 15];
                }
            }
        }
        out_.append(text.substr(run));
        out_ += '"';
    }

    void text_or_null(const std::string& text) {
        if (text.empty())
            null();
        else
            string(text);
    }
    void date_or_null(const std::optional<TimePoint>& t) {
        if (t)
            string(format_utc(*t));
        else
            null();
    }
    template <class T>
    void number_or_null(const std::optional<T>& value) {
        if (value)
            number(*value);
        else
            null();
    }
    void strings(const std::vector<std::string>& values) {
        begin_array();
        for (const auto& value : values) string(value);
        end_array();
    }

    std::string take() { return std::move(out_); }

  private:
    // A comma before every value or key that is not the first of its object or array.
    void comma() {
        if (!fresh_) out_ += ',';
        fresh_ = false;
    }
    void open(char bracket) {
        comma();
        out_ += bracket;
        fresh_ = true;
    }
    void close(char bracket) {
        out_ += bracket;
        fresh_ = false;
    }

    std::string out_;
    bool fresh_ = true;
};

void write_feed(JsonWriter& json, const ParsedFeed& feed) {
    json.begin_object();
    json.key("format").string(to_string(feed.format));
    json.key("title").text_or_null(feed.title);
    json.key("link").text_or_null(feed.link);
    json.key("subtitle").text_or_null(feed.subtitle);
    json.key("language").text_or_null(feed.language);
    json.key("updated").date_or_null(feed.updated);
    json.key("image").text_or_null(feed.image);
    json.key("ttl_minutes").number_or_null(feed.ttl_minutes);
    json.key("update_period_minutes").number_or_null(feed.update_period_minutes);
    json.key("skip_hours").begin_array();
    for (int hour : feed.skip_hours) json.number(hour);
    json.end_array();
    json.key("skip_days").strings(feed.skip_days);
    json.end_object();
}

void write_entry(JsonWriter& json, const Entry& entry) {
    json.begin_object();
    json.key("id").text_or_null(entry.id);
    json.key("title").text_or_null(entry.title);
    json.key("link").text_or_null(entry.link);
    json.key("published").date_or_null(entry.published);
    json.key("updated").date_or_null(entry.updated);
    json.key("author").text_or_null(entry.author);
    json.key("summary").text_or_null(entry.summary);
    json.key("content").text_or_null(entry.content);
    json.key("categories").strings(entry.categories);
    json.key("image").text_or_null(entry.image);
    json.key("enclosures").begin_array();
    for (const auto& enclosure : entry.enclosures) {
        json.begin_object();
        json.key("url").string(enclosure.url);
        json.key("type").text_or_null(enclosure.type);
        json.key("length").number_or_null(enclosure.length);
        json.end_object();
    }
    json.end_array();
    json.end_object();
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
    std::size_t size = 256;
    for (const auto& entry : feed.entries) size += 256 + entry.content.size() + entry.summary.size();
    JsonWriter json(size + size / 16);  // room for the escapes, so that the string grows once at most
    json.begin_object();
    json.key("wellformed").boolean(feed.wellformed);
    json.key("error").text_or_null(feed.error);
    if (!feed.is_feed) {
        json.key("feed").null();
        json.key("entries").begin_array();
        json.end_array();
    } else {
        json.key("feed");
        write_feed(json, feed);
        json.key("entries").begin_array();
        for (const auto& entry : feed.entries) write_entry(json, entry);
        json.end_array();
    }
    if (!feed.advertised.empty()) {
        json.key("advertised").begin_array();
        for (const auto& link : feed.advertised) {
            json.begin_object();
            json.key("url").string(link.url);
            json.key("type").text_or_null(link.type);
            json.key("title").text_or_null(link.title);
            json.end_object();
        }
        json.end_array();
    }
    json.end_object();
    return json.take();
}

}  // namespace feedd::parse
