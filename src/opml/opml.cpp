// OPML as readers really write it: folders as nested outlines (or the `category` attribute),
// attribute names in any case, titles in `text` or `title` or neither.
#include "feedd/opml/opml.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <sstream>
#include <variant>

#include <pugixml.hpp>

#include "feedd/text/text.hpp"

namespace feedd::opml {

namespace {

using text::iequals;
using text::to_lower;

std::string trim(std::string_view value) {
    return std::string(text::trim(value, " \t\r\n"));
}

// The value of an attribute whose name matches in any case (xmlUrl, xmlurl, XMLURL), as written.
std::string raw_attribute(pugi::xml_node node, std::string_view name) {
    for (const auto attr : node.attributes()) {
        if (iequals(attr.name(), name)) return trim(attr.value());
    }
    return {};
}

// The same for text (titles, folders, categories, names): controls, C1 and bidirectional
// overrides dropped (text::printable), so none reaches feeds.toml or a terminal.
std::string attribute(pugi::xml_node node, std::string_view name) {
    return text::printable(raw_attribute(node, name));
}

bool has_outline_children(pugi::xml_node node) {
    for (const auto child : node.children()) {
        if (child.type() == pugi::node_element && iequals(child.name(), "outline")) return true;
    }
    return false;
}

// Where a byte offset is, for people: "line 3, column 14".
std::string position(std::string_view text, std::ptrdiff_t offset) {
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::ptrdiff_t i = 0; i < offset && static_cast<std::size_t>(i) < text.size(); ++i) {
        if (text[static_cast<std::size_t>(i)] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string join_path(const std::string& parent, const std::string& name) {
    if (name.empty()) return parent;
    return parent.empty() ? name : parent + "/" + name;
}

// Two spellings of one URL found in one file: scheme and host in any case.
std::string url_key(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return url;
    const auto host_end = url.find_first_of("/?#", scheme_end + 3);
    const std::size_t split = host_end == std::string::npos ? url.size() : host_end;
    std::string key = to_lower(url.substr(0, split)) + url.substr(split);
    if (host_end == std::string::npos) key += '/';
    return key;
}

class Importer {
  public:
    Importer(std::string feedd_prefix, std::string_view xml) : prefix_(std::move(feedd_prefix)), xml_(xml) {}

    ImportResult result;

    // Recursive, but never deeper than max_folder_depth folders and a feed: a deeper file is
    // refused (25 000 nested outlines would otherwise overflow the stack, and build a folder path
    // per level, in quadratic time). `depth`: the outlines around `parent`'s children.
    void walk(pugi::xml_node parent, const std::string& folder, std::size_t depth = 0) {
        for (const auto child : parent.children()) {
            if (child.type() != pugi::node_element || !iequals(child.name(), "outline")) continue;
            if (depth > max_folder_depth) {
                throw OpmlError("outlines nested in more than " + std::to_string(max_folder_depth) +
                                " folder levels at " + position(xml_, child.offset_debug()) +
                                " (feedd keeps at most " + std::to_string(max_folder_depth) + ")");
            }
            visit(child, folder, depth + 1);
        }
    }

  private:
    std::string prefix_;
    std::string_view xml_;
    std::map<std::string, std::size_t> by_url_;

    void skip(const std::string& what, std::string reason) {
        result.skipped.push_back({what.empty() ? "(an outline without text)" : what, std::move(reason)});
    }

    void visit(pugi::xml_node outline, const std::string& folder, std::size_t depth) {
        std::string label = text::collapse_space(attribute(outline, "text"));  // exporters wrap long titles
        if (label.empty()) label = text::collapse_space(attribute(outline, "title"));
        // A URL is not cleaned: one with control characters is refused by the import's URL check
        // (config::check_feed_url), with the outline named.
        std::string url = raw_attribute(outline, "xmlUrl");
        const std::string type = to_lower(attribute(outline, "type"));
        const bool children = has_outline_children(outline);

        if (url.empty()) {
            if (children) {
                walk(outline, join_path(folder, label), depth);
            } else if (type == "link" || type == "include") {
                skip(label.empty() ? attribute(outline, "url") : label,
                     "type \"" + type + "\" is a link to a page or another OPML file, not a feed");
            } else if (!type.empty() || !attribute(outline, "htmlUrl").empty()) {
                skip(label, "no feed URL (xmlUrl)");
            } else {
                skip(label, "an empty folder or an outline without a feed URL (xmlUrl)");
            }
            return;
        }
        // FreshRSS exports the pages it scrapes (HTML+XPath, JSON+DotNotation) with an xmlUrl too.
        if (type.find("xpath") != std::string::npos || type.find("dotnotation") != std::string::npos) {
            skip(label.empty() ? url : label, "type \"" + type + "\" is a scraped web page, not a feed");
            return;
        }
        // feed://host/path and feed:https://host/path are old browser spellings of http(s) URLs.
        if (to_lower(url).starts_with("feed:")) {
            url = url.substr(5);
            if (url.starts_with("//")) url = "http:" + url;
        }
        const std::string lowered = to_lower(url);
        if (!lowered.starts_with("http://") && !lowered.starts_with("https://")) {
            skip(label.empty() ? url : label, "not an http(s) URL: " + url);
            return;
        }
        add(outline, url, label, folder);
        if (children) walk(outline, folder, depth);
    }

    void add(pugi::xml_node outline, const std::string& url, const std::string& label,
             const std::string& folder) {
        // OPML 2.0: `category` is a comma-separated list of slash-delimited paths ("/News/Asia,
        // politics"). A leading slash on a feed outside any folder names its folder.
        std::string category = folder;
        std::vector<std::string> tags;
        std::stringstream list(attribute(outline, "category"));
        std::string entry;
        bool first = true;
        while (std::getline(list, entry, ',')) {
            entry = trim(entry);
            const bool rooted = entry.starts_with('/');
            while (entry.starts_with('/')) entry.erase(0, 1);
            while (entry.ends_with('/')) entry.pop_back();
            if (entry.empty()) continue;
            if (first && rooted && category.empty()) {
                category = entry;
            } else if (std::find(tags.begin(), tags.end(), entry) == tags.end()) {
                tags.push_back(entry);
            }
            first = false;
        }

        const auto [it, fresh] = by_url_.emplace(url_key(url), result.feeds.size());
        if (!fresh) {
            // Seen in an earlier folder: that one is its category, this one becomes a tag.
            ImportedFeed& feed = result.feeds[it->second];
            tags.insert(tags.begin(), category);
            for (const auto& tag : tags) {
                if (!tag.empty() && tag != feed.category &&
                    std::find(feed.tags.begin(), feed.tags.end(), tag) == feed.tags.end())
                    feed.tags.push_back(tag);
            }
            if (feed.title.empty()) feed.title = label;
            return;
        }
        ImportedFeed feed;
        feed.url = url;
        feed.title = label;
        feed.site_link = attribute(outline, "htmlUrl");
        feed.category = category;
        feed.tags = std::move(tags);
        if (!prefix_.empty()) {
            feed.name = text::printable(trim(outline.attribute((prefix_ + ":name").c_str()).value()));
            feed.enabled =
                std::string_view(outline.attribute((prefix_ + ":disabled").c_str()).value()) != "true";
            // feedd writes the name as `text` when a feed has no title (OPML wants some text).
            if (feed.title == feed.name) feed.title.clear();
        }
        result.feeds.push_back(std::move(feed));
    }
};

// The prefix the document binds to feedd's namespace (empty when it does not).
std::string feedd_prefix(pugi::xml_node root) {
    for (const auto attr : root.attributes()) {
        const std::string_view name = attr.name();
        if (name.starts_with("xmlns:") && attr.value() == feedd_namespace) return std::string(name.substr(6));
    }
    return {};
}

using text::xml_safe;

struct Folder {
    std::string name;
    // Sub-folders and feeds in the order they first appear.
    std::vector<std::variant<std::unique_ptr<Folder>, const ExportFeed*>> items;

    Folder* child(const std::string& child_name) {
        for (auto& item : items) {
            if (auto* folder = std::get_if<std::unique_ptr<Folder>>(&item);
                folder && (*folder)->name == child_name)
                return folder->get();
        }
        auto folder = std::make_unique<Folder>();
        folder->name = child_name;
        Folder* raw = folder.get();
        items.emplace_back(std::move(folder));
        return raw;
    }
};

void set(pugi::xml_node node, const char* name, const std::string& value) {
    node.append_attribute(name).set_value(xml_safe(value).c_str());
}

void write_folder(pugi::xml_node parent, const Folder& folder) {
    for (const auto& item : folder.items) {
        if (const auto* sub = std::get_if<std::unique_ptr<Folder>>(&item)) {
            auto outline = parent.append_child("outline");
            set(outline, "text", (*sub)->name);
            set(outline, "title", (*sub)->name);
            write_folder(outline, **sub);
            continue;
        }
        const ExportFeed& feed = *std::get<const ExportFeed*>(item);
        const FeedSource& source = feed.source;
        const std::string text = !source.title.empty()      ? source.title
                                 : !feed.feed_title.empty() ? feed.feed_title
                                                            : source.name;
        auto outline = parent.append_child("outline");
        set(outline, "type", "rss");
        set(outline, "text", text);
        set(outline, "title", feed.feed_title.empty() ? text : feed.feed_title);
        set(outline, "xmlUrl", source.url);
        if (!feed.site_link.empty()) set(outline, "htmlUrl", feed.site_link);
        if (!source.tags.empty()) set(outline, "category", text::join(source.tags, ","));
        set(outline, "feedd:name", source.name);
        if (feed.disabled || !source.enabled) set(outline, "feedd:disabled", "true");
    }
}

// "Sat, 28 Nov 2026 19:06:44 GMT" (RFC 822, as OPML's dateCreated wants it).
std::string format_rfc822(TimePoint time) {
    static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto day = std::chrono::floor<std::chrono::days>(time);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::weekday weekday{day};
    const std::chrono::hh_mm_ss hms{time - day};
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04d %02ld:%02ld:%02ld GMT", days[weekday.c_encoding()],
                  static_cast<unsigned>(ymd.day()), months[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<int>(ymd.year()), static_cast<long>(hms.hours().count()),
                  static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()));
    return buffer;
}

}  // namespace

std::string export_opml(const std::vector<ExportFeed>& feeds, const ExportOptions& options) {
    Folder root;
    for (const auto& feed : feeds) {
        Folder* folder = &root;
        std::stringstream path(feed.source.category);
        std::string part;
        std::size_t depth = 0;
        // Config bounds the depth; the bound is kept here too, as write_folder recurses.
        while (std::getline(path, part, '/') && depth < max_folder_depth) {
            if (part.empty()) continue;
            folder = folder->child(part);
            ++depth;
        }
        folder->items.emplace_back(&feed);
    }

    pugi::xml_document document;
    auto declaration = document.append_child(pugi::node_declaration);
    declaration.append_attribute("version").set_value("1.0");
    declaration.append_attribute("encoding").set_value("UTF-8");
    auto opml = document.append_child("opml");
    opml.append_attribute("version").set_value("2.0");
    opml.append_attribute("xmlns:feedd").set_value(std::string(feedd_namespace).c_str());
    auto head = opml.append_child("head");
    head.append_child("title").text().set(xml_safe(options.title).c_str());
    head.append_child("dateCreated").text().set(format_rfc822(options.created).c_str());
    write_folder(opml.append_child("body"), root);

    std::ostringstream out;
    document.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
    return out.str();
}

ImportResult import_opml(std::string_view xml) {
    if (trim(xml).empty()) throw OpmlError("not OPML: the file is empty");
    pugi::xml_document document;
    const auto parsed =
        document.load_buffer(xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype);
    if (!parsed) {
        throw OpmlError(std::string("not XML: ") + parsed.description() + " at " +
                        position(xml, parsed.offset));
    }
    for (const auto node : document.children()) {
        // pugixml never expands entities a DTD declares, but a file that declares them (a "billion
        // laughs" bomb, or XXE) is not an honest OPML file: refuse it outright.
        if (node.type() == pugi::node_doctype &&
            std::string_view(node.value()).find("<!ENTITY") != std::string_view::npos) {
            throw OpmlError("refusing an OPML file whose DOCTYPE declares entities (OPML needs none)");
        }
    }
    const auto root = document.document_element();
    if (!iequals(root.name(), "opml")) {
        std::string message = std::string("not OPML: the root element is <") + root.name() + ">, not <opml>";
        const std::string name = to_lower(root.name());
        if (name == "rss" || name == "feed" || name == "rdf:rdf")
            message += " (this is a feed: add it with `feedd feeds add URL`)";
        throw OpmlError(message);
    }
    pugi::xml_node body;
    pugi::xml_node head;
    for (const auto child : root.children()) {
        if (child.type() != pugi::node_element) continue;
        if (iequals(child.name(), "body")) body = child;
        if (iequals(child.name(), "head")) head = child;
    }
    if (!body) throw OpmlError("not OPML: <opml> has no <body>");
    Importer importer(feedd_prefix(root), xml);
    if (head) importer.result.title = text::collapse_space(head.child("title").text().get());
    importer.walk(body, "");
    return std::move(importer.result);
}

}  // namespace feedd::opml
