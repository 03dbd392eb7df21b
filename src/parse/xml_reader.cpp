// The XML readers' shared parts: namespaces, element helpers, modules, the order of a read.
#include "parse/xml_reader.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace feedd::parse::detail {

Ns ns_from_uri(std::string_view uri) {
    while (!uri.empty() && uri.back() == ' ') uri.remove_suffix(1);
    if (uri == "http://www.w3.org/2005/Atom") return Ns::atom10;
    if (uri == "http://purl.org/atom/ns#") return Ns::atom03;
    if (uri == "http://purl.org/rss/1.0/") return Ns::rss10;
    if (uri == "http://my.netscape.com/rdf/simple/0.9/") return Ns::rss090;
    if (uri == "http://backend.userland.com/rss2" || uri == "http://backend.userland.com/rss" ||
        uri == "http://blogs.law.harvard.edu/tech/rss")
        return Ns::rss20;
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
    if (uri == "http://purl.org/syndication/history/1.0") return Ns::fh;
    if (uri == "http://www.w3.org/1999/xhtml") return Ns::xhtml;
    if (uri.empty()) return Ns::none;
    return Ns::other;
}

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

std::string_view Scope::enter(const pugi::xml_node& node) {
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
            if (name[5] != '\0' && name[5] != ':') continue;
            const std::string_view uri = attribute.value();
            const Ns ns = !adopted_uri_.empty() && uri == adopted_uri_ ? adopted_ns_ : ns_from_uri(uri);
            bindings_.push_back({name[5] == '\0' ? std::string_view{} : std::string_view(name + 6), ns, uri});
        } else if (std::strcmp(name, "xml:base") == 0) {
            base = attribute.value();
        }
    }
    return base;
}

void Scope::adopt_namespace_of(const pugi::xml_node& node, Ns ns) {
    const std::string_view qname = node.name();
    const auto colon = qname.find(':');
    const std::string_view prefix =
        colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
    for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it)
        if (it->prefix == prefix) {
            if (it->ns != Ns::other) return;
            adopted_uri_ = it->uri;
            adopted_ns_ = ns;
            for (auto& binding : bindings_)
                if (binding.uri == adopted_uri_) binding.ns = ns;
            return;
        }
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

namespace {

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

}  // namespace

// ------------------------------------------------------------------------------------------
// Element helpers

std::string XmlReader::text_of(const pugi::xml_node& node) {
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

// Iterative: a document may nest deeper than the stack allows.
void XmlReader::serialize_children(const pugi::xml_node& parent, std::string& out) {
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
            for (auto attribute = node.first_attribute(); attribute; attribute = attribute.next_attribute()) {
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

// A CDATA section is copied once, straight from the document.
std::string XmlReader::html_value(const pugi::xml_node& node, const std::string& base) {
    const pugi::xml_node first = node.first_child();
    if (first && !first.next_sibling() && first.type() == pugi::node_cdata)
        return absolutized_html(first.value(), base);
    std::string html = text_of(node);
    absolutize_html(html, base);
    return html;
}

// Read straight from the document when the date holds no reference to decode.
std::optional<TimePoint> XmlReader::date_of(const pugi::xml_node& node) {
    const pugi::xml_node first = node.first_child();
    if (first && !first.next_sibling() && first.type() != pugi::node_element) {
        const std::string_view raw = first.value();
        if (raw.find('&') == std::string_view::npos) return parse_date(raw);
    }
    return parse_date(text_of(node));
}

std::string XmlReader::attribute(const pugi::xml_node& node, const char* name) {
    const char* raw = node.attribute(name).value();
    if (!*raw) return {};
    std::string out;
    decode_xml_text(raw, out, problems_, {node.name(), document_});
    return out;
}

std::string XmlReader::with_base(const std::string& base, std::string_view xml_base) {
    if (xml_base.empty()) return base;
    std::string decoded;
    decode_xml_text(xml_base, decoded, problems_, {"xml:base", document_});
    return resolve_url(base, decoded);
}

// ------------------------------------------------------------------------------------------
// Modules

namespace {

// Module elements are matched whatever the case of their name (itunes:Subtitle, media:Title):
// publishers get it wrong, and no module has two names that differ only in case. A name too long
// for the buffer matches nothing.
std::string_view lowered(std::string_view name, std::array<char, 32>& buffer) {
    if (name.size() > buffer.size()) return {};
    for (std::size_t i = 0; i < name.size(); ++i) buffer[i] = text::ascii_lower(name[i]);
    return {buffer.data(), name.size()};
}

void add_category(std::vector<std::string>& categories, std::string category) {
    if (!category.empty() && std::find(categories.begin(), categories.end(), category) == categories.end())
        categories.push_back(std::move(category));
}

}  // namespace

void XmlReader::read_module_feed_field(const pugi::xml_node& node, const Name& name,
                                       const std::string& base) {
    std::array<char, 32> buffer;
    const std::string_view local = lowered(name.local, buffer);
    switch (name.ns) {
        case Ns::atom10:
        case Ns::atom03:
            if (local == "link")
                atom_feed_link(node, base);
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
        case Ns::fh:
            if (local == "complete")
                feed_.complete = true;
            else if (local == "archive")
                feed_.archive = true;
            break;
        case Ns::itunes:
            if (local == "image" && feed_.image.empty())
                feed_.image = resolve_url(base, attribute(node, "href"));
            else if (local == "author" && feed_author_.empty())
                feed_author_ = plain_text(text_of(node));
            else if (local == "subtitle" && itunes_subtitle_.empty())
                itunes_subtitle_ = text_of(node);
            else if (local == "summary" && itunes_summary_.empty())
                itunes_summary_ = text_of(node);
            break;
        case Ns::sy:
            if (local == "updateperiod") {
                const std::string period = lower(collapse_space_in_place(text_of(node)));
                update_period_ = period == "hourly"    ? 60
                                 : period == "daily"   ? 1440
                                 : period == "weekly"  ? 10080
                                 : period == "monthly" ? 43200
                                 : period == "yearly"  ? 525600
                                                       : 0;
            } else if (local == "updatefrequency") {
                if (auto frequency = to_int(text_of(node)); frequency && *frequency > 0)
                    update_frequency_ = *frequency;
            }
            break;
        default: break;
    }
}

// Media RSS: the image, and the title, description and categories a video site gives instead
// of RSS's or Atom's own (YouTube: all of them inside <media:group>). Groups and media:content
// hold the same elements as the item.
void XmlReader::read_media(const pugi::xml_node& node, std::string_view local, const std::string& base,
                           EntryExtras& extras, int depth) {
    const auto read_children = [&] {
        if (depth > 2) return;  // group > content > elements in practice; never without bound
        for (auto child = node.first_child(); child; child = child.next_sibling()) {
            if (child.type() != pugi::node_element) continue;
            const Name child_name = scope_.name_of(child);
            std::array<char, 32> buffer;
            if (child_name.ns == Ns::media)
                read_media(child, lowered(child_name.local, buffer), base, extras, depth + 1);
        }
    };
    if (local == "group") {
        read_children();
    } else if (local == "thumbnail") {
        if (extras.media_image.empty()) extras.media_image = resolve_url(base, attribute(node, "url"));
    } else if (local == "content") {
        const std::string type = lower(attribute(node, "type"));
        const std::string medium = lower(attribute(node, "medium"));
        if (extras.media_image.empty() && (type.starts_with("image/") || medium == "image"))
            extras.media_image = resolve_url(base, attribute(node, "url"));
        read_children();
    } else if (local == "title") {
        if (extras.media_title.empty()) {
            extras.media_title = text_of(node);
            extras.media_title = lower(attribute(node, "type")) == "html"
                                     ? html_to_plain(extras.media_title)
                                     : plain_text(std::move(extras.media_title));
        }
    } else if (local == "description") {
        if (extras.media_description.empty()) {
            // type="plain" unless it says "html" (Media RSS 1.5).
            extras.media_description = lower(attribute(node, "type")) == "html" ? html_value(node, base)
                                                                                : escape_html(text_of(node));
        }
    } else if (local == "category") {
        extras.media_categories.push_back(plain_text(text_of(node)));
    }
}

void XmlReader::read_module_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base,
                                        Entry& entry, EntryExtras& extras) {
    std::array<char, 32> buffer;
    const std::string_view local = lowered(name.local, buffer);
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
            else if (local == "identifier")
                extras.dc_identifier = collapse_space_in_place(text_of(node));
            break;
        case Ns::dcterms:
            if (local == "modified")
                entry.updated = date_of(node);
            else if ((local == "issued" || local == "created" || local == "date") && !entry.published)
                entry.published = date_of(node);
            break;
        case Ns::media: read_media(node, local, base, extras); break;
        case Ns::itunes:
            if (local == "image" && extras.itunes_image.empty())
                extras.itunes_image = resolve_url(base, attribute(node, "href"));
            else if (local == "author" && extras.itunes_author.empty())
                extras.itunes_author = plain_text(text_of(node));
            else if (local == "summary" && extras.itunes_summary.empty())
                extras.itunes_summary = escape_html(text_of(node));
            else if (local == "subtitle" && extras.itunes_subtitle.empty())
                extras.itunes_subtitle = escape_html(text_of(node));
            break;
        case Ns::xhtml:
            // <xhtml:body> in an item: its content, written as markup.
            if (local == "body" && entry.content.empty()) entry.content = html_value(node, base);
            break;
        default: break;
    }
}

// ------------------------------------------------------------------------------------------
// The order of a read

void XmlReader::read_entry(const pugi::xml_node& item, const std::string& base, Entry& entry) {
    EntryExtras extras;
    for (auto child = item.first_child(); child; child = child.next_sibling()) {
        if (child.type() != pugi::node_element) continue;
        const std::size_t mark = scope_.mark();
        const std::string_view xml_base = scope_.enter(child);
        const Name name = scope_.name_of(child);
        // Content with its own xml:base keeps that base for the links inside it.
        const std::string own_base = xml_base.empty() ? std::string() : with_base(base, xml_base);
        const std::string& child_base = xml_base.empty() ? base : own_base;
        if (is_core(name.ns))
            read_entry_field(child, name, child_base, entry, extras);
        else if (name.ns == Ns::atom10 || name.ns == Ns::atom03)  // atom:* in RSS
            read_atom_entry_field(child, name, child_base, entry, false);
        else
            read_module_entry_field(child, name, child_base, entry, extras);
        scope_.pop(mark);
    }
    complete_entry(item, base, entry, extras);
    if (entry.id.empty()) entry.id = std::move(extras.dc_identifier);
    // What a podcast or a video site says where RSS and Atom say nothing.
    if (entry.title.empty()) entry.title = std::move(extras.media_title);
    if (entry.summary.empty()) entry.summary = std::move(extras.itunes_summary);
    if (entry.summary.empty()) entry.summary = std::move(extras.media_description);
    if (entry.summary.empty()) entry.summary = std::move(extras.itunes_subtitle);
    for (auto& category : extras.media_categories) add_category(entry.categories, std::move(category));
    if (entry.author.empty()) entry.author = std::move(extras.itunes_author);
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

void XmlReader::read(const pugi::xml_node& root) {
    const std::string base_url(base_url_);
    const std::size_t root_mark = scope_.mark();
    const std::string_view root_base_attribute = scope_.enter(root);
    Parts parts = find_parts(root);
    const pugi::xml_node channel = parts.channel;
    std::vector<pugi::xml_node>& items = parts.items;

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
                const std::string own_base =
                    xml_base.empty() ? std::string() : with_base(feed_base, xml_base);
                const std::string& base = xml_base.empty() ? feed_base : own_base;
                if (is_core(name.ns))
                    read_feed_field(child, name, base);
                else
                    read_module_feed_field(child, name, base);
            }
            scope_.pop(mark);
        }
    }
    if (feed_.subtitle.empty()) feed_.subtitle = std::move(itunes_subtitle_);
    if (feed_.subtitle.empty()) feed_.subtitle = std::move(itunes_summary_);
    // An Atom feed without an alternate link is often at home where its id says.
    if (feed_.link.empty() && (feed_id_.starts_with("http://") || feed_id_.starts_with("https://")))
        feed_.link = feed_id_;
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
        // The root as the item (an Atom Entry Document) is in scope, its xml:base applied.
        const std::string_view xml_base = item == root ? std::string_view{} : scope_.enter(item);
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

}  // namespace feedd::parse::detail
