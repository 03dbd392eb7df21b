// Atom 1.0 (RFC 4287) and Atom 0.3, and the Atom constructs RSS feeds borrow (atom:link,
// atom:updated, atom:* in items).
#include <cstdint>

#include "parse/xml_reader.hpp"

namespace feedd::parse::detail {

// ------------------------------------------------------------------------------------------
// Constructs

namespace {

// Atom 0.3's mode="base64" (RFC 4648, white space ignored); empty when the text is no base64 or
// not UTF-8. A few lines: none of the libraries the parser links offers a public decoder.
std::string decode_base64(std::string_view text) {
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (const char c : text) {
        int value;
        if (c >= 'A' && c <= 'Z')
            value = c - 'A';
        else if (c >= 'a' && c <= 'z')
            value = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            value = c - '0' + 52;
        else if (c == '+' || c == '-')
            value = 62;
        else if (c == '/' || c == '_')
            value = 63;
        else if (c == '=')
            break;
        else if (static_cast<unsigned char>(c) <= ' ')
            continue;
        else
            return {};
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out.push_back(static_cast<char>((bits >> count) & 0xFF));
        }
    }
    if (find_invalid_utf8(out) != std::string::npos) return {};
    return out;
}

}  // namespace

std::string XmlReader::atom_html(const pugi::xml_node& node) {
    const std::string type = lower(attribute(node, "type"));
    const std::string mode = lower(attribute(node, "mode"));  // Atom 0.3
    const bool plain_type = type.empty() || type == "text" || type == "text/plain";
    if (mode == "base64") {
        std::string decoded = decode_base64(text_of(node));
        return plain_type ? escape_html(decoded) : decoded;
    }
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
    if (type == "html" || type == "text/html" || (mode == "escaped" && !plain_type)) return text;
    return escape_html(text);
}

std::string XmlReader::atom_plain(const pugi::xml_node& node) {
    const std::string type = lower(attribute(node, "type"));
    if ((type.empty() || type == "text" || type == "text/plain") &&
        !iequals(node.attribute("mode").value(), "base64") &&
        !node.find_child([](const pugi::xml_node& n) { return n.type() == pugi::node_element; }))
        return collapse_space_in_place(text_of(node));
    return html_to_plain(atom_html(node));
}

void XmlReader::atom_link(const pugi::xml_node& node, const std::string& base, std::string& link,
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

void XmlReader::atom_feed_link(const pugi::xml_node& node, const std::string& base) {
    std::string rel = lower(attribute(node, "rel"));
    // A registered relation may also be written as its IANA URI (RFC 4287 4.2.7.2).
    constexpr std::string_view iana = "http://www.iana.org/assignments/relation/";
    if (rel.starts_with(iana)) rel.erase(0, iana.size());
    std::string* history = rel == "prev-archive" ? &feed_.prev_archive
                           : rel == "next"       ? &feed_.next_page
                                                 : nullptr;
    if (!history) {
        atom_link(node, base, feed_.link, nullptr);
        return;
    }
    std::string href = attribute(node, "href");
    if (href.empty()) href = collapse_space_in_place(text_of(node));
    if (!href.empty() && history->empty()) *history = resolve_url(base, href);
}

std::string XmlReader::atom_author(const pugi::xml_node& node) {
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

void XmlReader::read_atom_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base,
                                      Entry& entry, bool native) {
    const std::string_view local = name.local;
    if (local == "title") {
        if (native || entry.title.empty()) entry.title = atom_plain(node);
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
        else if (native)
            entry.author += ", " + atom_author(node);
    } else if (local == "summary") {
        if (native || entry.summary.empty()) {
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
}

// ------------------------------------------------------------------------------------------
// The reader

namespace {

class AtomReader final : public XmlReader {
  public:
    using XmlReader::XmlReader;

  private:
    Parts find_parts(const pugi::xml_node& root) override {
        // Atom under a namespace URI feedd does not know (a draft's) is still Atom.
        scope_.adopt_namespace_of(root, Ns::atom10);
        const Name root_name = scope_.name_of(root);
        without_ns_ = root_name.ns == Ns::none;
        feed_.format =
            root_name.ns == Ns::atom03 || std::string_view(root.attribute("version").value()) == "0.3"
                ? FeedFormat::atom03
                : FeedFormat::atom10;
        feed_.language = attribute(root, "xml:lang");
        // An Atom Entry Document (RFC 4287 4.1.2): a feed of one entry, without feed fields.
        if (root_name.local == "entry") return {{}, {root}};
        return {root, {}};
    }

    bool is_core(Ns ns) const override {
        return ns == Ns::atom10 || ns == Ns::atom03 || (ns == Ns::none && without_ns_);
    }

    void read_feed_field(const pugi::xml_node& node, const Name& name, const std::string& base) override {
        const std::string_view local = name.local;
        if (local == "title")
            feed_.title = atom_plain(node);
        else if (local == "subtitle" || local == "tagline")
            feed_.subtitle = atom_html(node);
        else if (local == "link")
            atom_feed_link(node, base);
        else if (local == "updated" || local == "modified")
            feed_.updated = date_of(node);
        else if (local == "logo")
            feed_.image = resolve_url(base, text_of(node));
        else if (local == "icon" && feed_.image.empty())
            feed_.image = resolve_url(base, text_of(node));
        else if (local == "author")
            feed_author_ = atom_author(node);
        else if (local == "id")
            feed_id_ = collapse_space_in_place(text_of(node));
    }

    void read_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base, Entry& entry,
                          EntryExtras& /*extras*/) override {
        read_atom_entry_field(node, name, base, entry, true);
    }

    bool without_ns_ = false;  // <feed> without the Atom namespace: its plain names are Atom's
};

}  // namespace

std::unique_ptr<XmlReader> make_atom_reader(std::string_view root_local, std::string_view document,
                                            std::string_view base_url, ParsedFeed& feed, Problems& problems) {
    if (root_local != "feed" && root_local != "entry") return nullptr;
    return std::make_unique<AtomReader>(document, base_url, feed, problems);
}

}  // namespace feedd::parse::detail
