// RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 through pugixml. The document is parsed in place without
// decoding escapes: we decode only the text we read, once, with HTML entities as a repair. When
// pugixml stops on broken XML, the source is repaired where it stopped and parsed again.
#include <pugixml.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "parse/internal.hpp"

namespace feedd::parse::detail {
namespace {

// ------------------------------------------------------------------------------------------
// Namespaces: elements are known by URI, whatever prefix a feed chose.

enum class Ns {
    none,
    atom10,
    atom03,
    rss10,
    rss090,
    rdf,
    content,
    dc,
    dcterms,
    media,
    itunes,
    sy,
    xhtml,
    other
};

Ns ns_from_uri(std::string_view uri) {
    while (!uri.empty() && uri.back() == ' ') uri.remove_suffix(1);
    if (uri == "http://www.w3.org/2005/Atom") return Ns::atom10;
    if (uri == "http://purl.org/atom/ns#") return Ns::atom03;
    if (uri == "http://purl.org/rss/1.0/") return Ns::rss10;
    if (uri == "http://my.netscape.com/rdf/simple/0.9/") return Ns::rss090;
    if (uri == "http://www.w3.org/1999/02/22-rdf-syntax-ns#") return Ns::rdf;
    if (uri == "http://purl.org/rss/1.0/modules/content/") return Ns::content;
    if (uri == "http://purl.org/dc/elements/1.1/") return Ns::dc;
    if (uri == "http://purl.org/dc/terms/") return Ns::dcterms;
    if (uri.starts_with("http://search.yahoo.com/mrss") || uri == "http://video.search.yahoo.com/mrss" ||
        uri == "http://tools.search.yahoo.com/mrss/")
        return Ns::media;
    if (uri == "http://www.itunes.com/dtds/podcast-1.0.dtd" ||
        uri == "http://www.itunes.com/DTDs/Podcast-1.0.dtd")
        return Ns::itunes;
    if (uri == "http://purl.org/rss/1.0/modules/syndication/") return Ns::sy;
    if (uri == "http://www.w3.org/1999/xhtml") return Ns::xhtml;
    if (uri.empty()) return Ns::none;
    return Ns::other;
}

// Prefixes that feeds use without declaring them, as feedparser accepts them.
Ns ns_from_undeclared_prefix(std::string_view prefix) {
    if (prefix.empty()) return Ns::none;
    if (prefix == "content") return Ns::content;
    if (prefix == "dc") return Ns::dc;
    if (prefix == "dcterms") return Ns::dcterms;
    if (prefix == "media") return Ns::media;
    if (prefix == "itunes") return Ns::itunes;
    if (prefix == "sy") return Ns::sy;
    if (prefix == "atom" || prefix == "atom10") return Ns::atom10;
    if (prefix == "rdf") return Ns::rdf;
    if (prefix == "xhtml") return Ns::xhtml;
    return Ns::other;
}

struct Name {
    Ns ns = Ns::none;
    std::string_view local;
};

// The namespace bindings in effect, innermost last.
class Scope {
  public:
    std::size_t mark() const { return bindings_.size(); }
    void pop(std::size_t mark) { bindings_.resize(mark); }

    // Takes the element's xmlns declarations into scope and returns its xml:base, if any.
    std::string_view enter(const pugi::xml_node& node) {
        std::string_view base;
        std::size_t declared = 0;
        for (auto attribute = node.first_attribute(); attribute; attribute = attribute.next_attribute()) {
            const char* name = attribute.name();
            if (name[0] != 'x') continue;
            if (std::strncmp(name, "xmlns", 5) == 0) {
                // Every name looks through the bindings: thousands of declarations would make
                // each look-up, and so the document, slow. Real feeds declare a dozen.
                if ((name[5] == '\0' || name[5] == ':') && ++declared > max_declarations) {
                    ++ignored_;
                    continue;
                }
                if (name[5] == '\0')
                    bindings_.push_back({{}, ns_from_uri(attribute.value())});
                else if (name[5] == ':')
                    bindings_.push_back({name + 6, ns_from_uri(attribute.value())});
            } else if (std::strcmp(name, "xml:base") == 0) {
                base = attribute.value();
            }
        }
        return base;
    }

    Name name_of(const pugi::xml_node& node) const {
        const std::string_view qname = node.name();
        const auto colon = qname.find(':');
        const std::string_view prefix =
            colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
        const std::string_view local = colon == std::string_view::npos ? qname : qname.substr(colon + 1);
        for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it)
            if (it->first == prefix) return {it->second, local};
        return {ns_from_undeclared_prefix(prefix), local};
    }

    // Declarations beyond max_declarations on one element, ignored.
    std::size_t ignored() const { return ignored_; }

    static constexpr std::size_t max_declarations = 64;

  private:
    std::vector<std::pair<std::string_view, Ns>> bindings_;
    std::size_t ignored_ = 0;
};

using text::iequals;
std::string lower(std::string_view value) {
    return text::to_lower(value);
}

std::optional<int> to_int(std::string_view text) {
    while (!text.empty() && static_cast<unsigned char>(text.front()) <= ' ') text.remove_prefix(1);
    while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.remove_suffix(1);
    long long value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value < 0 || value > (1LL << 31) - 1)
        return std::nullopt;
    return static_cast<int>(value);
}

// HTML elements that have no end tag.
bool is_void_element(std::string_view name) {
    static constexpr std::string_view names[] = {"area",  "base", "br",   "col",   "embed",  "hr",    "img",
                                                 "input", "link", "meta", "param", "source", "track", "wbr"};
    if (name.size() > 6) return false;
    char lowered[8];
    for (std::size_t k = 0; k < name.size(); ++k) lowered[k] = text::ascii_lower(name[k]);
    return std::find(std::begin(names), std::end(names), std::string_view(lowered, name.size())) !=
           std::end(names);
}

// ------------------------------------------------------------------------------------------
// Reading one document.

class Reader {
  public:
    // `document` is the buffer pugixml parsed in place: positions in it become line numbers.
    Reader(std::string_view document, std::string_view base_url, ParsedFeed& feed, Problems& problems)
        : document_(document), base_url_(base_url), feed_(feed), problems_(problems) {}

    void read(const pugi::xml_node& root);

  private:
    // ---- text
    // The element's text: escapes decoded in character data, CDATA as it is; child elements
    // (HTML that was not escaped) are written back as markup.
    std::string text_of(const pugi::xml_node& node) {
        std::string out;
        const pugi::xml_node first = node.first_child();
        if (!first) return out;
        if (!first.next_sibling()) {
            if (first.type() == pugi::node_pcdata) {
                decode_xml_text(first.value(), out, problems_, {node.name(), document_});
                return out;
            }
            if (first.type() == pugi::node_cdata) return first.value();
        }
        bool has_elements = false;
        for (auto child = first; child; child = child.next_sibling())
            if (child.type() == pugi::node_element) has_elements = true;
        if (has_elements) {
            serialize_children(node, out);
            return out;
        }
        for (auto child = first; child; child = child.next_sibling()) {
            if (child.type() == pugi::node_pcdata)
                decode_xml_text(child.value(), out, problems_, {node.name(), document_});
            else if (child.type() == pugi::node_cdata)
                out += child.value();
        }
        return out;
    }

    // Markup inside an element, as HTML. Character data is kept as written (it is escaped
    // already), CDATA is escaped; prefixes are dropped (XHTML content). Iterative: a document
    // may nest deeper than the stack allows.
    void serialize_children(const pugi::xml_node& parent, std::string& out) {
        struct Open {
            pugi::xml_node element;
            std::string_view name;
        };
        std::vector<Open> open;
        pugi::xml_node node = parent.first_child();
        while (true) {
            if (!node) {
                if (open.empty()) break;
                out += "</";
                out += open.back().name;
                out += '>';
                node = open.back().element.next_sibling();
                open.pop_back();
                continue;
            }
            if (node.type() == pugi::node_pcdata) {
                out += node.value();
            } else if (node.type() == pugi::node_cdata) {
                out += escape_html(node.value());
            } else if (node.type() == pugi::node_element) {
                std::string_view name = node.name();
                if (const auto colon = name.find(':'); colon != std::string_view::npos)
                    name.remove_prefix(colon + 1);
                out += '<';
                out += name;
                for (auto attribute = node.first_attribute(); attribute;
                     attribute = attribute.next_attribute()) {
                    const std::string_view attribute_name = attribute.name();
                    if (attribute_name.starts_with("xmlns")) continue;
                    out += ' ';
                    out += attribute_name;
                    out += "=\"";
                    for (std::string_view value = attribute.value(); !value.empty();) {
                        const std::size_t quote = value.find('"');
                        out.append(value.substr(0, quote));
                        if (quote == std::string_view::npos) break;
                        out += "&quot;";
                        value.remove_prefix(quote + 1);
                    }
                    out += '"';
                }
                out += '>';
                if (node.first_child() || !is_void_element(name)) {
                    open.push_back({node, name});
                    node = node.first_child();
                    continue;
                }
            }
            node = node.next_sibling();
        }
    }

    // An element whose text is HTML (description, content:encoded), links made absolute; a
    // CDATA section is copied once, straight from the document.
    std::string html_value(const pugi::xml_node& node, const std::string& base) {
        const pugi::xml_node first = node.first_child();
        if (first && !first.next_sibling() && first.type() == pugi::node_cdata)
            return absolutized_html(first.value(), base);
        std::string html = text_of(node);
        absolutize_html(html, base);
        return html;
    }

    // A date element, read straight from the document when it holds no reference to decode.
    std::optional<TimePoint> date_of(const pugi::xml_node& node) {
        const pugi::xml_node first = node.first_child();
        if (first && !first.next_sibling() && first.type() != pugi::node_element) {
            const std::string_view raw = first.value();
            if (raw.find('&') == std::string_view::npos) return parse_date(raw);
        }
        return parse_date(text_of(node));
    }

    std::string attribute(const pugi::xml_node& node, const char* name) {
        const char* raw = node.attribute(name).value();
        if (!*raw) return {};
        std::string out;
        decode_xml_text(raw, out, problems_, {node.name(), document_});
        return out;
    }

    // An Atom text construct (title, subtitle, summary, content, rights) as HTML.
    std::string atom_html(const pugi::xml_node& node) {
        const std::string type = lower(attribute(node, "type"));
        const std::string mode = lower(attribute(node, "mode"));  // Atom 0.3
        if (mode == "base64") return {};
        bool has_elements = false;
        for (auto child = node.first_child(); child; child = child.next_sibling())
            if (child.type() == pugi::node_element) has_elements = true;
        if (type == "xhtml" || type == "application/xhtml+xml" || (has_elements && type != "html")) {
            std::string out;
            pugi::xml_node container = node;
            const pugi::xml_node div =
                node.find_child([](const pugi::xml_node& n) { return n.type() == pugi::node_element; });
            std::string_view div_name = div.name();
            if (const auto colon = div_name.find(':'); colon != std::string_view::npos)
                div_name.remove_prefix(colon + 1);
            if (div && div_name == "div" && !div.next_sibling(div.name())) container = div;
            serialize_children(container, out);
            return out;
        }
        std::string text = text_of(node);
        const bool plain_type = type.empty() || type == "text" || type == "text/plain";
        if (type == "html" || type == "text/html" || (mode == "escaped" && !plain_type)) return text;
        return escape_html(text);
    }

    std::string atom_plain(const pugi::xml_node& node) {
        const std::string type = lower(attribute(node, "type"));
        if ((type.empty() || type == "text" || type == "text/plain") &&
            !node.find_child([](const pugi::xml_node& n) { return n.type() == pugi::node_element; }))
            return collapse_space_in_place(text_of(node));
        return html_to_plain(atom_html(node));
    }

    std::string with_base(const std::string& base, std::string_view xml_base) {
        if (xml_base.empty()) return base;
        std::string decoded;
        decode_xml_text(xml_base, decoded, problems_, {"xml:base", document_});
        return resolve_url(base, decoded);
    }

    void read_feed_field(const pugi::xml_node& node, const Name& name, const std::string& base);
    void read_entry(const pugi::xml_node& node, const std::string& base, Entry& entry);
    void read_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base, Entry& entry,
                          struct EntryExtras& extras);
    void read_media(const pugi::xml_node& node, const Name& name, const std::string& base,
                    struct EntryExtras& extras, int depth = 0);
    std::string atom_author(const pugi::xml_node& node);
    void atom_link(const pugi::xml_node& node, const std::string& base, std::string& link,
                   std::vector<Enclosure>* enclosures);

    bool is_core(Ns ns) const {
        if (atom_) return ns == Ns::atom10 || ns == Ns::atom03 || (ns == Ns::none && atom_without_ns_);
        return ns == Ns::none || ns == Ns::rss10 || ns == Ns::rss090;
    }

    std::string_view document_;
    std::string_view base_url_;
    ParsedFeed& feed_;
    Problems& problems_;
    Scope scope_;
    bool atom_ = false;
    bool atom_without_ns_ = false;
    std::string feed_author_;  // Atom: entries without an author inherit it
    std::optional<TimePoint> feed_published_;
    int update_frequency_ = 1;
    int update_period_ = 0;
};

struct EntryExtras {
    std::string media_image;
    std::string itunes_image;
    bool guid_is_permalink = false;
    std::string guid;
};

void Reader::atom_link(const pugi::xml_node& node, const std::string& base, std::string& link,
                       std::vector<Enclosure>* enclosures) {
    const std::string rel = lower(attribute(node, "rel"));
    std::string href = attribute(node, "href");
    if (href.empty())
        href = collapse_space_in_place(text_of(node));  // <atom:link>url</atom:link>, seen in the wild
    if (href.empty()) return;
    if (rel.empty() || rel == "alternate") {
        if (link.empty()) link = resolve_url(base, href);  // the first alternate link
    } else if (rel == "enclosure" && enclosures) {
        Enclosure enclosure;
        enclosure.url = resolve_url(base, href);
        enclosure.type = attribute(node, "type");
        if (auto length = to_int(attribute(node, "length"))) enclosure.length = *length;
        enclosures->push_back(std::move(enclosure));
    }
}

std::string Reader::atom_author(const pugi::xml_node& node) {
    std::string name, email;
    for (auto child = node.first_child(); child; child = child.next_sibling()) {
        if (child.type() != pugi::node_element) continue;
        const Name child_name = scope_.name_of(child);
        if (child_name.local == "name")
            name = plain_text(text_of(child));
        else if (child_name.local == "email")
            email = collapse_space_in_place(text_of(child));
    }
    if (name.empty() && !node.first_element_by_path("*")) name = plain_text(text_of(node));
    return name.empty() ? email : name;
}

// "editor@example.com (Jane Doe)" -> "Jane Doe"
std::string rss_author(std::string text) {
    text = html_to_plain(text);
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open != std::string::npos && close != std::string::npos && close > open + 1 &&
        text.substr(0, open).find('@') != std::string::npos)
        return collapse_space(text.substr(open + 1, close - open - 1));
    return text;
}

void Reader::read_feed_field(const pugi::xml_node& node, const Name& name, const std::string& base) {
    const std::string_view local = name.local;
    if (is_core(name.ns)) {
        if (atom_) {
            if (local == "title")
                feed_.title = atom_plain(node);
            else if (local == "subtitle" || local == "tagline")
                feed_.subtitle = atom_html(node);
            else if (local == "link")
                atom_link(node, base, feed_.link, nullptr);
            else if (local == "updated" || local == "modified")
                feed_.updated = date_of(node);
            else if (local == "logo")
                feed_.image = resolve_url(base, text_of(node));
            else if (local == "icon" && feed_.image.empty())
                feed_.image = resolve_url(base, text_of(node));
            else if (local == "author")
                feed_author_ = atom_author(node);
            return;
        }
        if (local == "title")
            feed_.title = plain_text(text_of(node));
        else if (local == "link") {
            if (feed_.link.empty()) feed_.link = resolve_url(base, text_of(node));
        } else if (local == "description")
            feed_.subtitle = text_of(node);
        else if (local == "language")
            feed_.language = collapse_space_in_place(text_of(node));
        else if (local == "lastBuildDate")
            feed_.updated = date_of(node);
        else if (local == "pubDate")
            feed_published_ = date_of(node);
        else if (local == "ttl")
            feed_.ttl_minutes = to_int(text_of(node));
        else if (local == "image") {
            for (auto child = node.first_child(); child; child = child.next_sibling())
                if (child.type() == pugi::node_element && scope_.name_of(child).local == "url")
                    feed_.image =
                        collapse_space_in_place(text_of(child));  // resolved once the feed's link is known
        } else if (local == "skipHours") {
            for (auto child = node.first_child(); child; child = child.next_sibling())
                if (child.type() == pugi::node_element)
                    if (auto hour = to_int(text_of(child)); hour && *hour <= 24)
                        feed_.skip_hours.push_back(*hour % 24);
        } else if (local == "skipDays") {
            for (auto child = node.first_child(); child; child = child.next_sibling())
                if (child.type() == pugi::node_element) {
                    auto day = collapse_space_in_place(text_of(child));
                    if (!day.empty()) feed_.skip_days.push_back(std::move(day));
                }
        }
        return;
    }
    switch (name.ns) {
        case Ns::atom10:
        case Ns::atom03:
            if (local == "link")
                atom_link(node, base, feed_.link, nullptr);
            else if (local == "updated" && !feed_.updated)
                feed_.updated = date_of(node);
            break;
        case Ns::dc:
            if (local == "language" && feed_.language.empty())
                feed_.language = collapse_space_in_place(text_of(node));
            else if (local == "date" && !feed_.updated)
                feed_.updated = date_of(node);
            else if (local == "title" && feed_.title.empty())
                feed_.title = plain_text(text_of(node));
            else if (local == "description" && feed_.subtitle.empty())
                feed_.subtitle = text_of(node);
            break;
        case Ns::dcterms:
            if (local == "modified" && !feed_.updated) feed_.updated = date_of(node);
            break;
        case Ns::itunes:
            if (local == "image" && feed_.image.empty())
                feed_.image = resolve_url(base, attribute(node, "href"));
            else if (local == "author" && feed_author_.empty())
                feed_author_ = plain_text(text_of(node));
            break;
        case Ns::sy:
            if (local == "updatePeriod") {
                const std::string period = lower(collapse_space_in_place(text_of(node)));
                update_period_ = period == "hourly"    ? 60
                                 : period == "daily"   ? 1440
                                 : period == "weekly"  ? 10080
                                 : period == "monthly" ? 43200
                                 : period == "yearly"  ? 525600
                                                       : 0;
            } else if (local == "updateFrequency") {
                if (auto frequency = to_int(text_of(node)); frequency && *frequency > 0)
                    update_frequency_ = *frequency;
            }
            break;
        default: break;
    }
}

void Reader::read_media(const pugi::xml_node& node, const Name& name, const std::string& base,
                        EntryExtras& extras, int depth) {
    if (name.local == "group") {
        if (depth > 2) return;  // groups nest once in practice; never without bound
        for (auto child = node.first_child(); child; child = child.next_sibling()) {
            if (child.type() != pugi::node_element) continue;
            const Name child_name = scope_.name_of(child);
            if (child_name.ns == Ns::media) read_media(child, child_name, base, extras, depth + 1);
        }
        return;
    }
    if (!extras.media_image.empty()) return;
    if (name.local == "thumbnail") {
        extras.media_image = resolve_url(base, attribute(node, "url"));
    } else if (name.local == "content") {
        const std::string type = lower(attribute(node, "type"));
        const std::string medium = lower(attribute(node, "medium"));
        if (type.starts_with("image/") || medium == "image")
            extras.media_image = resolve_url(base, attribute(node, "url"));
    }
}

void Reader::read_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base,
                              Entry& entry, EntryExtras& extras) {
    const std::string_view local = name.local;
    if (is_core(name.ns) && !atom_) {
        if (local == "title")
            entry.title = plain_text(text_of(node));
        else if (local == "link") {
            if (entry.link.empty()) entry.link = resolve_url(base, text_of(node));
        } else if (local == "guid") {
            extras.guid = collapse_space_in_place(text_of(node));
            entry.id = extras.guid;
            extras.guid_is_permalink = lower(attribute(node, "isPermaLink")) != "false";
        } else if (local == "pubDate")
            entry.published = date_of(node);
        else if (local == "description")
            entry.summary = html_value(node, base);
        else if (local == "author") {
            if (entry.author.empty()) entry.author = rss_author(text_of(node));
        } else if (local == "category") {
            auto category = plain_text(text_of(node));
            if (!category.empty()) entry.categories.push_back(std::move(category));
        } else if (local == "enclosure") {
            Enclosure enclosure;
            enclosure.url = resolve_url(base, attribute(node, "url"));
            enclosure.type = attribute(node, "type");
            if (auto length = to_int(attribute(node, "length"))) enclosure.length = *length;
            if (!enclosure.url.empty()) entry.enclosures.push_back(std::move(enclosure));
        }
        return;
    }
    if (is_core(name.ns) || name.ns == Ns::atom10 || name.ns == Ns::atom03) {
        if (local == "title") {
            if (atom_ || entry.title.empty()) entry.title = atom_plain(node);
        } else if (local == "link")
            atom_link(node, base, entry.link, &entry.enclosures);
        else if (local == "id") {
            if (entry.id.empty()) entry.id = collapse_space_in_place(text_of(node));
        } else if (local == "published" || local == "issued" || local == "created") {
            if (!entry.published) entry.published = date_of(node);
        } else if (local == "updated" || local == "modified")
            entry.updated = date_of(node);
        else if (local == "author") {
            if (entry.author.empty())
                entry.author = atom_author(node);
            else if (atom_)
                entry.author += ", " + atom_author(node);
        } else if (local == "summary") {
            if (atom_ || entry.summary.empty()) {
                entry.summary = atom_html(node);
                absolutize_html(entry.summary, base);
            }
        } else if (local == "content") {
            if (node.attribute("src").value()[0] == '\0') {
                entry.content = atom_html(node);
                absolutize_html(entry.content, base);
            }
        } else if (local == "category") {
            std::string category = attribute(node, "term");
            if (category.empty()) category = attribute(node, "label");
            category = collapse_space(category);
            if (!category.empty()) entry.categories.push_back(std::move(category));
        }
        return;
    }
    switch (name.ns) {
        case Ns::content:
            if (local == "encoded") entry.content = html_value(node, base);
            break;
        case Ns::dc:
            if (local == "creator" || local == "author") {
                if (entry.author.empty()) entry.author = plain_text(text_of(node));
            } else if (local == "date") {
                if (!entry.published)
                    entry.published = date_of(node);
                else if (!entry.updated)
                    entry.updated = date_of(node);
            } else if (local == "subject") {
                auto category = plain_text(text_of(node));
                if (!category.empty()) entry.categories.push_back(std::move(category));
            } else if (local == "title" && entry.title.empty())
                entry.title = plain_text(text_of(node));
            else if (local == "description" && entry.summary.empty())
                entry.summary = html_value(node, base);
            else if (local == "identifier" && entry.id.empty())
                entry.id = collapse_space_in_place(text_of(node));
            break;
        case Ns::dcterms:
            if (local == "modified")
                entry.updated = date_of(node);
            else if ((local == "issued" || local == "created" || local == "date") && !entry.published)
                entry.published = date_of(node);
            break;
        case Ns::media: read_media(node, name, base, extras); break;
        case Ns::itunes:
            if (local == "image" && extras.itunes_image.empty())
                extras.itunes_image = resolve_url(base, attribute(node, "href"));
            else if (local == "author" && entry.author.empty())
                entry.author = plain_text(text_of(node));
            else if (local == "summary" && entry.summary.empty())
                entry.summary = escape_html(text_of(node));
            break;
        default: break;
    }
}

void Reader::read_entry(const pugi::xml_node& item, const std::string& base, Entry& entry) {
    EntryExtras extras;
    for (auto child = item.first_child(); child; child = child.next_sibling()) {
        if (child.type() != pugi::node_element) continue;
        const std::size_t mark = scope_.mark();
        const std::string_view xml_base = scope_.enter(child);
        const Name name = scope_.name_of(child);
        if (xml_base.empty()) {
            read_entry_field(child, name, base, entry, extras);
        } else {
            // Content with its own xml:base keeps that base for the links inside it.
            read_entry_field(child, name, with_base(base, xml_base), entry, extras);
        }
        scope_.pop(mark);
    }
    if (!atom_) {
        if (const std::string_view about = item.attribute("rdf:about").value();
            !about.empty() && entry.id.empty())
            entry.id = about;
        if (entry.link.empty() && extras.guid_is_permalink && has_scheme(extras.guid))
            entry.link = extras.guid;
        if (entry.link.empty() && !entry.id.empty() && item.attribute("rdf:about"))
            entry.link = resolve_url(base, entry.id);
    }
    if (entry.author.empty()) entry.author = feed_author_;
    if (!extras.media_image.empty()) entry.image = extras.media_image;
    if (entry.image.empty())
        for (const auto& enclosure : entry.enclosures)
            if (enclosure.type.starts_with("image/")) {
                entry.image = enclosure.url;
                break;
            }
    if (entry.image.empty()) entry.image = extras.itunes_image;
    if (entry.image.empty()) entry.image = resolve_url(base, first_image(entry.content));
    if (entry.image.empty()) entry.image = resolve_url(base, first_image(entry.summary));
}

void Reader::read(const pugi::xml_node& root) {
    const std::string base_url(base_url_);
    const std::size_t root_mark = scope_.mark();
    const std::string_view root_base_attribute = scope_.enter(root);
    const Name root_name = scope_.name_of(root);

    pugi::xml_node channel;
    std::vector<pugi::xml_node> items;
    if (root_name.local == "feed") {
        atom_ = true;
        atom_without_ns_ = root_name.ns == Ns::none;
        feed_.format =
            root_name.ns == Ns::atom03 || std::string_view(root.attribute("version").value()) == "0.3"
                ? FeedFormat::atom03
                : FeedFormat::atom10;
        channel = root;
        feed_.language = attribute(root, "xml:lang");
    } else if (root_name.local == "rss") {
        const std::string version = collapse_space(root.attribute("version").value());
        feed_.format = version.starts_with("0.9") ? FeedFormat::rss09x : FeedFormat::rss20;
        for (auto child = root.first_child(); child; child = child.next_sibling()) {
            if (child.type() != pugi::node_element) continue;
            const auto local = scope_.name_of(child).local;
            if (local == "channel" && !channel)
                channel = child;
            else if (local == "item")
                items.push_back(child);  // items beside the channel: RSS 0.9x oddities
        }
    } else {  // rdf:RDF
        for (auto child = root.first_child(); child; child = child.next_sibling()) {
            if (child.type() != pugi::node_element) continue;
            const Name name = scope_.name_of(child);
            if (name.local == "channel" && !channel) {
                channel = child;
                feed_.format = name.ns == Ns::rss090 ? FeedFormat::rss09x : FeedFormat::rss10;
            } else if (name.local == "item") {
                items.push_back(child);
            } else if (name.local == "image") {
                for (auto url = child.first_child(); url; url = url.next_sibling())
                    if (url.type() == pugi::node_element && scope_.name_of(url).local == "url")
                        feed_.image = collapse_space_in_place(text_of(url));
            }
        }
        if (feed_.format == FeedFormat::unknown) feed_.format = FeedFormat::rss10;
    }

    // The feed's own base: xml:base of the root and the channel over --base-url.
    std::string feed_base = with_base(base_url, root_base_attribute);
    std::string_view channel_base_attribute;
    const std::size_t channel_mark = scope_.mark();
    if (channel && channel != root) {
        channel_base_attribute = scope_.enter(channel);
        feed_base = with_base(feed_base, channel_base_attribute);
    }

    if (channel) {
        for (auto child = channel.first_child(); child; child = child.next_sibling()) {
            if (child.type() != pugi::node_element) continue;
            const std::size_t mark = scope_.mark();
            const std::string_view xml_base = scope_.enter(child);
            const Name name = scope_.name_of(child);
            if (is_core(name.ns) && (name.local == "item" || name.local == "entry")) {
                items.push_back(child);
            } else {
                read_feed_field(child, name, xml_base.empty() ? feed_base : with_base(feed_base, xml_base));
            }
            scope_.pop(mark);
        }
    }
    if (!feed_.image.empty())
        feed_.image = resolve_url(feed_.link.empty() ? feed_base : feed_.link, feed_.image);
    if (!feed_.updated) feed_.updated = feed_published_;
    if (update_period_ > 0) feed_.update_period_minutes = std::max(1, update_period_ / update_frequency_);

    // Entries resolve against xml:base, then the feed's link, then --base-url.
    std::string entry_base = feed_.link.empty() ? base_url : feed_.link;
    if (!root_base_attribute.empty()) entry_base = with_base(entry_base, root_base_attribute);
    if (!channel_base_attribute.empty()) entry_base = with_base(entry_base, channel_base_attribute);

    feed_.entries.reserve(items.size());
    for (const auto& item : items) {
        const std::size_t mark = scope_.mark();
        const std::string_view xml_base = scope_.enter(item);
        Entry entry;
        read_entry(item, xml_base.empty() ? entry_base : with_base(entry_base, xml_base), entry);
        feed_.entries.push_back(std::move(entry));
        scope_.pop(mark);
    }
    scope_.pop(channel_mark);
    scope_.pop(root_mark);
    if (scope_.ignored() > 0)
        problems_.add(std::to_string(scope_.ignored()) + " namespace declarations beyond " +
                      std::to_string(Scope::max_declarations) + " on one element: ignored");
}

// ------------------------------------------------------------------------------------------
// Repairs: what to change in the source where pugixml stopped.

struct Position {
    std::size_t line = 1, column = 1;
};

Position position_of(std::string_view text, std::size_t offset) {
    Position p;
    offset = std::min(offset, text.size());
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n')
            ++p.line, p.column = 1;
        else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80)
            ++p.column;
    }
    return p;
}

std::string where(std::string_view text, std::size_t offset) {
    const Position p = position_of(text, offset);
    return "line " + std::to_string(p.line) + ", column " + std::to_string(p.column);
}

// The first "<name" that can start the root element.
std::size_t root_start(std::string_view text) {
    std::size_t i = 0;
    while ((i = text.find('<', i)) != std::string_view::npos) {
        if (i + 1 < text.size() && std::isalpha(static_cast<unsigned char>(text[i + 1]))) return i;
        if (text.substr(i, 4) == "<!--") {
            const auto end = text.find("-->", i);
            if (end == std::string_view::npos) return std::string_view::npos;
            i = end + 3;
            continue;
        }
        ++i;
    }
    return std::string_view::npos;
}

// Elements whose content is text: broken markup inside them is made CDATA.
bool is_text_element(std::string_view qname) {
    std::string_view local =
        qname.substr(qname.find(':') == std::string_view::npos ? 0 : qname.find(':') + 1);
    static constexpr std::string_view names[] = {
        "title",     "description", "summary", "content", "encoded", "subtitle", "tagline", "rights",
        "copyright", "subject",     "creator", "author",  "name",    "category", "comments"};
    return std::find(std::begin(names), std::end(names), local) != std::end(names);
}

// Offset of the unclosed start tag "<name ...>" that the end tag at `end_tag` should close.
std::size_t find_start_tag(std::string_view text, std::string_view name, std::size_t end_tag) {
    std::size_t i = end_tag;
    while (i > 0) {
        i = text.rfind('<', i - 1);
        if (i == std::string_view::npos) return i;
        if (text.substr(i + 1, name.size()) == name) {
            const std::size_t after = i + 1 + name.size();
            if (after < text.size() && (text[after] == '>' || text[after] == ' ' || text[after] == '\t' ||
                                        text[after] == '\n' || text[after] == '\r'))
                return i;
        }
        if (end_tag - i > (1u << 22)) return std::string_view::npos;
    }
    return std::string_view::npos;
}

// pugixml skips text before the root element; a feed with such junk is still not well-formed.
void report_junk_before_root(std::string_view text, Problems& problems) {
    std::size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c <= ' ') {
            ++i;
            continue;
        }
        if (c != '<' || i + 1 >= text.size()) break;
        const char next = text[i + 1];
        if (std::isalpha(static_cast<unsigned char>(next))) return;
        std::size_t end;
        if (text.substr(i, 4) == "<!--")
            end = text.find("-->", i), end = end == std::string_view::npos ? end : end + 3;
        else if (next == '?')
            end = text.find("?>", i), end = end == std::string_view::npos ? end : end + 2;
        else if (next == '!') {
            const std::size_t bracket = text.find('[', i), close = text.find('>', i);
            if (bracket != std::string_view::npos && bracket < close) {
                end = text.find("]", bracket);
                end = end == std::string_view::npos ? end : text.find('>', end);
            } else {
                end = close;
            }
            end = end == std::string_view::npos ? end : end + 1;
        } else {
            break;
        }
        if (end == std::string_view::npos) break;
        i = end;
    }
    problems.add("junk before the root element (" + where(text, i) + "): ignored");
}

// Replaces each '<' that cannot start markup ("1 < 2", "<3", "a<=b") with "&lt;", outside
// CDATA sections and comments.
void escape_stray_less_than(std::string& source) {
    std::string out;
    out.reserve(source.size() + 64);
    // Once a terminator is missing after some point it is missing after every later one: each
    // unterminated "<![CDATA[" or "<!--" must not search the rest of the document again.
    bool cdata_ends = true, comment_ends = true;
    const auto skip_past = [&](std::size_t from, std::string_view terminator, bool& ends) {
        if (!ends) return std::string::npos;
        const std::size_t at = source.find(terminator, from);
        ends = at != std::string::npos;
        return ends ? at + terminator.size() : at;
    };
    std::size_t i = 0;
    while (i < source.size()) {
        const std::size_t lt = source.find('<', i);
        if (lt == std::string::npos) break;
        out.append(source, i, lt - i);
        const std::string_view rest = std::string_view(source).substr(lt);
        std::size_t skip_to = std::string::npos;
        if (rest.starts_with("<![CDATA["))
            skip_to = skip_past(lt, "]]>", cdata_ends);
        else if (rest.starts_with("<!--"))
            skip_to = skip_past(lt, "-->", comment_ends);
        if (skip_to != std::string::npos) {
            out.append(source, lt, skip_to - lt);
            i = skip_to;
            continue;
        }
        const char next = lt + 1 < source.size() ? source[lt + 1] : '\0';
        if (std::isalpha(static_cast<unsigned char>(next)) || next == '/' || next == '!' || next == '?' ||
            next == '_' || next == ':')
            out += '<';
        else
            out += "&lt;";
        i = lt + 1;
    }
    if (i < source.size()) out.append(source, i, std::string::npos);
    source = std::move(out);
}

// Wraps the content of every <name> element at or after `from` that holds markup but no CDATA
// into a CDATA section: HTML that was not escaped becomes the text it was meant to be.
void wrap_markup_as_cdata(std::string& source, const std::string& name, std::size_t from) {
    std::string out;
    out.reserve(source.size() + 1024);
    out.append(source, 0, from);
    std::size_t i = from;
    const std::string opening = "<" + name;
    const std::string closing = "</" + name + ">";
    // The next '>' and the next end tag, found once and reused by every start tag before them:
    // a run of "<title/>" or "<title" without '>' costs one search, not one each.
    std::size_t next_gt = 0, next_close = 0;
    bool searched = false;
    while (i < source.size()) {
        const std::size_t start = source.find(opening, i);
        if (start == std::string::npos) break;
        const std::size_t after = start + 1 + name.size();
        const char c = after < source.size() ? source[after] : '\0';
        if (!searched || next_gt < start) next_gt = source.find('>', start);
        if (next_gt == std::string::npos) break;
        if (!searched || next_close < next_gt) next_close = source.find(closing, next_gt);
        searched = true;
        // No end tag after this start tag means none after any later one either.
        if (next_close == std::string::npos) break;
        const std::size_t open_end = next_gt, close = next_close;
        if ((c != '>' && c != ' ' && c != '\t' && c != '\n' && c != '\r') || source[open_end - 1] == '/') {
            out.append(source, i, after - i);
            i = after;
            continue;
        }
        out.append(source, i, open_end + 1 - i);
        std::string_view inner = std::string_view(source).substr(open_end + 1, close - open_end - 1);
        if (inner.find('<') == std::string_view::npos || inner.find("<![CDATA[") != std::string_view::npos) {
            out.append(inner);
        } else {
            out += "<![CDATA[";
            for (std::size_t k; (k = inner.find("]]>")) != std::string_view::npos;
                 inner.remove_prefix(k + 3)) {
                out.append(inner.substr(0, k));
                out += "]]]]><![CDATA[>";
            }
            out.append(inner);
            out += "]]>";
        }
        i = close;
    }
    if (i < source.size()) out.append(source, i, std::string::npos);
    source = std::move(out);
}

enum class RepairResult { repaired, give_up };

// One repair of `source` at the place pugixml stopped; `doc` is the partial tree of that parse
// (its names point into `parsed`, the in-place copy of `source`).
RepairResult repair(std::string& source, const pugi::xml_parse_result& result, const pugi::xml_document& doc,
                    const char* parsed, Problems& problems) {
    const std::size_t offset = static_cast<std::size_t>(result.offset);
    const std::size_t end = source.size();
    const std::size_t root = root_start(source);
    const bool near_end = offset + 2 >= end;
    if (root != std::string_view::npos && root > 0 && (offset < root || !doc.document_element())) {
        problems.add("junk or a broken declaration before the root element (up to " + where(source, root) +
                     "): removed");
        source.erase(0, root);
        return RepairResult::repaired;
    }
    if (near_end) {
        problems.add(std::string("truncated document: ") + result.description() +
                     " at the end; read what is there");
        return RepairResult::give_up;
    }
    switch (result.status) {
        case pugi::status_unrecognized_tag:
        case pugi::status_bad_start_element:
        case pugi::status_bad_end_element: {
            // A '<' that opens no tag: "1 < 2" in text.
            const std::size_t lt = source.rfind('<', offset);
            if (lt == std::string::npos || offset - lt > 64) break;
            problems.add("unescaped '<' at " + where(source, lt) + ": read as text");
            const char next = lt + 1 < source.size() ? source[lt + 1] : '\0';
            if (!std::isalpha(static_cast<unsigned char>(next)) && next != '/' && next != '!' &&
                next != '?') {
                // Every '<' that cannot open markup is text: all of them in one pass.
                escape_stray_less_than(source);
            } else {
                source.replace(lt, 1, "&lt;");
            }
            return RepairResult::repaired;
        }
        case pugi::status_end_element_mismatch: {
            std::size_t name_end = offset;
            while (name_end < end && source[name_end] != '>' && source[name_end] != ' ' &&
                   source[name_end] != '\n' && source[name_end] != '\r' && source[name_end] != '\t')
                ++name_end;
            const std::string name = source.substr(offset, name_end - offset);
            const std::size_t end_tag = offset >= 2 ? offset - 2 : 0;  // "</name"
            if (source.compare(end_tag, 2, "</") != 0) break;
            // Which elements are open? The last-element chain of the partial tree, those of them
            // whose end tag does not appear before the error.
            std::vector<pugi::xml_node> chain;
            for (pugi::xml_node node = doc.last_child(); node;) {
                while (node && node.type() != pugi::node_element) node = node.previous_sibling();
                if (!node) break;
                chain.push_back(node);
                node = node.last_child();
            }
            std::vector<std::string> open;
            bool found = false;
            // Only the innermost few: deeper breakage is not repaired element by element (each
            // look-up scans the source, and an attacker controls the depth).
            constexpr std::size_t max_open = 32;
            std::size_t looked_at = 0;
            for (auto it = chain.rbegin(); it != chain.rend() && looked_at++ < max_open; ++it) {
                const std::string_view qname = it->name();
                if (qname == name) {
                    found = true;
                    break;
                }
                const std::size_t start = static_cast<std::size_t>(qname.data() - parsed);
                if (start > end_tag) continue;
                const std::string closing = "</" + std::string(qname);
                const std::size_t close = source.find(closing, start);
                if (close != std::string::npos && close < end_tag) continue;
                open.push_back(std::string(qname));
            }
            if (is_text_element(name)) {
                const std::size_t start = find_start_tag(source, name, end_tag);
                const std::size_t content = start == std::string::npos ? start : source.find('>', start);
                if (content != std::string::npos && content < end_tag) {
                    problems.add("markup that is not XML inside <" + name + "> at " + where(source, start) +
                                 ": read as HTML");
                    // Feeds that do this do it in every item: all <name> elements in one pass.
                    wrap_markup_as_cdata(source, name, start);
                    return RepairResult::repaired;
                }
            }
            if (found && !open.empty()) {
                std::string closing;
                for (const auto& element : open) closing += "</" + element + ">";
                problems.add("unclosed <" + open.back() + "> before </" + name + "> at " +
                             where(source, end_tag) + ": closed");
                source.insert(end_tag, closing);
                return RepairResult::repaired;
            }
            if (!found && looked_at > max_open) break;
            if (!found) {
                const std::size_t close = source.find('>', end_tag);
                if (close == std::string::npos) break;
                problems.add("stray </" + name + "> at " + where(source, end_tag) + ": removed");
                source.erase(end_tag, close + 1 - end_tag);
                return RepairResult::repaired;
            }
            break;
        }
        default: break;
    }
    problems.add(std::string("not well-formed: ") + result.description() + " at " + where(source, offset) +
                 "; read up to there");
    return RepairResult::give_up;
}

}  // namespace

bool looks_like_html(std::string_view text) noexcept {
    std::size_t i = 0;
    for (int guard = 0; guard < 16; ++guard) {
        while (i < text.size() && static_cast<unsigned char>(text[i]) <= ' ') ++i;
        if (text.substr(i, 4) == "<!--") {
            const auto end = text.find("-->", i);
            if (end == std::string_view::npos) return false;
            i = end + 3;
            continue;
        }
        if (text.substr(i, 2) == "<?") {
            const auto end = text.find("?>", i);
            if (end == std::string_view::npos) return false;
            i = end + 2;
            continue;
        }
        break;
    }
    const std::string_view head = text.substr(i, 14);
    return iequals(head.substr(0, 5), "<html") || iequals(head, "<!doctype html");
}

void parse_xml_feed(std::string_view text, std::string_view base_url, ParsedFeed& feed, Problems& problems) {
    // The in-place parse writes into its buffer; a repair needs the source as it was, so the
    // working copy is separate and the source is copied only once a repair is needed.
    std::string repaired;
    // Junk in front of an XML declaration (a PHP warning, a blank line of HTML) goes first: the
    // declaration says where the document starts.
    if (const std::size_t declaration = text.substr(0, 65536).find("<?xml");
        declaration != std::string_view::npos) {
        std::size_t first = 0;
        while (first < declaration && static_cast<unsigned char>(text[first]) <= ' ') ++first;
        if (first < declaration) {
            problems.add("junk before the XML declaration (" + where(text, first) + "): removed");
            text.remove_prefix(declaration);
        }
    }
    std::string_view source = text;
    std::vector<char> buffer;
    pugi::xml_document doc;
    pugi::xml_parse_result result;
    constexpr int max_repairs = 32;  // each repair parses again: bounded work per document
    for (int attempt = 0;; ++attempt) {
        buffer.resize(source.size() + 1);
        std::memcpy(buffer.data(), source.data(), source.size());
        buffer.back() = '\0';  // pugixml ends the last text node on a byte of the buffer
        doc.reset();
        // Escapes stay undecoded: we decode once what we read, with HTML entities as a repair.
        result =
            doc.load_buffer_inplace(buffer.data(), buffer.size(), pugi::parse_cdata, pugi::encoding_utf8);
        if (result || attempt == max_repairs) break;
        if (repaired.empty()) repaired.assign(text);
        if (repair(repaired, result, doc, buffer.data(), problems) == RepairResult::give_up) break;
        source = repaired;
    }
    if (!result && problems.any() == false)
        problems.add(std::string("not well-formed: ") + result.description());
    if (result) report_junk_before_root(source, problems);

    const pugi::xml_node root = doc.document_element();
    if (!root) {
        feed.is_feed = false;
        feed.error = "not a feed: no XML element found";
        return;
    }
    std::string_view root_name = root.name();
    if (const auto colon = root_name.find(':'); colon != std::string_view::npos)
        root_name.remove_prefix(colon + 1);
    if (root_name != "rss" && root_name != "feed" && root_name != "RDF") {
        feed.is_feed = false;
        feed.error = "not a feed: the root element is <" + std::string(root.name()) + ">";
        return;
    }
    Reader(std::string_view(buffer.data(), buffer.size()), base_url, feed, problems).read(root);
}

}  // namespace feedd::parse::detail
