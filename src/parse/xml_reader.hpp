// What the XML feed readers share, private to src/parse: namespaces, the element helpers (text,
// markup, dates, attributes, xml:base), the modules every format carries (Dublin Core, content,
// Media RSS, iTunes, syndication) and the order of a read. rss_reader.cpp and atom_reader.cpp
// read their own vocabulary; xml_repair.cpp loads the document; xml_feed.cpp picks the reader.
#pragma once

#include <pugixml.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parse/internal.hpp"

namespace feedd::parse::detail {

// ------------------------------------------------------------------------------------------
// Namespaces: elements are known by URI, whatever prefix a feed chose.

enum class Ns {
    none,
    atom10,
    atom03,
    rss10,
    rss090,
    rss20,  // RSS 2.0 written in a namespace (Userland's, Harvard's, or the document's own)
    rdf,
    content,
    dc,
    dcterms,
    media,
    itunes,
    sy,
    fh,  // feed history (RFC 5005)
    xhtml,
    other
};

Ns ns_from_uri(std::string_view uri);
// Prefixes that feeds use without declaring them, as feedparser accepts them.
Ns ns_from_undeclared_prefix(std::string_view prefix);

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
    std::string_view enter(const pugi::xml_node& node);

    Name name_of(const pugi::xml_node& node) const {
        const std::string_view qname = node.name();
        const auto colon = qname.find(':');
        const std::string_view prefix =
            colon == std::string_view::npos ? std::string_view{} : qname.substr(0, colon);
        const std::string_view local = colon == std::string_view::npos ? qname : qname.substr(colon + 1);
        for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it)
            if (it->prefix == prefix) return {it->ns, local};
        return {ns_from_undeclared_prefix(prefix), local};
    }

    // From now on the namespace of `node`'s own name, when feedd does not know it, counts as
    // `ns`: a feed that puts its RSS or Atom elements into a namespace of its own still has
    // them read. Applies to the bindings in scope and to later declarations of the same URI.
    void adopt_namespace_of(const pugi::xml_node& node, Ns ns);

    // Declarations beyond max_declarations on one element, ignored.
    std::size_t ignored() const { return ignored_; }

    static constexpr std::size_t max_declarations = 64;

  private:
    struct Binding {
        std::string_view prefix;
        Ns ns;
        std::string_view uri;
    };
    std::vector<Binding> bindings_;
    std::size_t ignored_ = 0;
    std::string_view adopted_uri_;
    Ns adopted_ns_ = Ns::other;
};

using text::iequals;
inline std::string lower(std::string_view value) {
    return text::to_lower(value);
}
std::optional<int> to_int(std::string_view text);

// What an entry's elements say that is settled only once all of them are read.
struct EntryExtras {
    std::string media_image;
    std::string itunes_image;
    bool guid_is_permalink = false;
    std::string guid;
    std::string dc_identifier;
    // Fallbacks for fields the item's own elements leave empty.
    std::string media_title;
    std::string media_description;  // HTML
    std::vector<std::string> media_categories;
    std::string itunes_summary;   // HTML
    std::string itunes_subtitle;  // HTML
    std::string itunes_author;
};

// ------------------------------------------------------------------------------------------
// Reading one document. A format's reader finds the channel and the items and reads its own
// elements; the rest (scopes, bases, modules, entry images, feed defaults) is done here once.

class XmlReader {
  public:
    // `document` is the buffer pugixml parsed in place: positions in it become line numbers.
    XmlReader(std::string_view document, std::string_view base_url, ParsedFeed& feed, Problems& problems)
        : document_(document), base_url_(base_url), feed_(feed), problems_(problems) {}
    virtual ~XmlReader() = default;
    XmlReader(const XmlReader&) = delete;
    XmlReader& operator=(const XmlReader&) = delete;

    void read(const pugi::xml_node& root);

  protected:
    struct Parts {
        pugi::xml_node channel;  // the element whose children are the feed's fields (may be the root)
        std::vector<pugi::xml_node> items;  // entries found outside the channel
    };
    // Sets the format and finds the channel; the root's namespaces are in scope.
    virtual Parts find_parts(const pugi::xml_node& root) = 0;
    // Whether elements of `ns` are the format's own.
    virtual bool is_core(Ns ns) const = 0;
    // An element of the format's own namespace in the channel, or in an item.
    virtual void read_feed_field(const pugi::xml_node& node, const Name& name, const std::string& base) = 0;
    virtual void read_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base,
                                  Entry& entry, EntryExtras& extras) = 0;
    // What the format derives once all of an item's fields are read.
    virtual void complete_entry(const pugi::xml_node& /*item*/, const std::string& /*base*/, Entry& /*entry*/,
                                const EntryExtras& /*extras*/) {}

    // ---- element helpers (xml_reader.cpp)
    // The element's text: escapes decoded in character data, CDATA as it is; child elements
    // (HTML that was not escaped) are written back as markup.
    std::string text_of(const pugi::xml_node& node);
    // Markup inside an element, as HTML. Character data is kept as written (it is escaped
    // already), CDATA is escaped; prefixes are dropped (XHTML content).
    void serialize_children(const pugi::xml_node& parent, std::string& out);
    // An element whose text is HTML (description, content:encoded), links made absolute.
    std::string html_value(const pugi::xml_node& node, const std::string& base);
    std::optional<TimePoint> date_of(const pugi::xml_node& node);
    std::string attribute(const pugi::xml_node& node, const char* name);
    // `base` with an element's xml:base applied.
    std::string with_base(const std::string& base, std::string_view xml_base);

    // ---- Atom constructs (atom_reader.cpp): Atom's own elements, and atom:* inside RSS.
    // An Atom text construct (title, subtitle, summary, content, rights) as HTML.
    std::string atom_html(const pugi::xml_node& node);
    std::string atom_plain(const pugi::xml_node& node);
    std::string atom_author(const pugi::xml_node& node);
    void atom_link(const pugi::xml_node& node, const std::string& base, std::string& link,
                   std::vector<Enclosure>* enclosures);
    // A feed-level atom:link: the feed's own link, or one to its earlier documents (RFC 5005).
    void atom_feed_link(const pugi::xml_node& node, const std::string& base);
    // An Atom element of an entry; `native` in an Atom feed, where Atom's values win and
    // authors add up, rather than an RSS item where they fill what RSS left empty.
    void read_atom_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base,
                               Entry& entry, bool native);

    // ---- modules both formats carry (xml_reader.cpp)
    void read_module_feed_field(const pugi::xml_node& node, const Name& name, const std::string& base);
    void read_module_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base,
                                 Entry& entry, EntryExtras& extras);

    std::string_view document_;
    std::string_view base_url_;
    ParsedFeed& feed_;
    Problems& problems_;
    Scope scope_;
    std::string feed_author_;  // entries without an author inherit it
    std::optional<TimePoint> feed_published_;
    std::string feed_id_;  // Atom: the link when there is no other

  private:
    void read_entry(const pugi::xml_node& item, const std::string& base, Entry& entry);
    void read_media(const pugi::xml_node& node, std::string_view local, const std::string& base,
                    EntryExtras& extras, int depth = 0);

    int update_frequency_ = 1;
    int update_period_ = 0;
    std::string itunes_subtitle_;  // the feed's subtitle when it has no other
    std::string itunes_summary_;
};

// The reader for a root element of this local name (rss, RDF; feed, entry; CHANNEL), or null.
std::unique_ptr<XmlReader> make_rss_reader(std::string_view root_local, std::string_view document,
                                           std::string_view base_url, ParsedFeed& feed, Problems& problems);
std::unique_ptr<XmlReader> make_atom_reader(std::string_view root_local, std::string_view document,
                                            std::string_view base_url, ParsedFeed& feed, Problems& problems);
std::unique_ptr<XmlReader> make_cdf_reader(std::string_view root_local, std::string_view document,
                                           std::string_view base_url, ParsedFeed& feed, Problems& problems);

// ------------------------------------------------------------------------------------------
// Internal DTD entities (dtd.cpp)

struct EntityExpansion {
    bool expanded = false;   // `out` holds the document with the entities expanded
    bool too_large = false;  // they would have grown it beyond the limit: none expanded
};
// Expands the plain-text internal entities the DOCTYPE declares (`<!ENTITY name "text">`) in
// the document after it; never an external one, never one whose value refers to an entity.
EntityExpansion expand_internal_entities(std::string_view text, std::string& out);

// ------------------------------------------------------------------------------------------
// Loading (xml_repair.cpp): pugixml in place, the source repaired where it stops.

struct LoadedXml {
    std::vector<char> buffer;  // what the tree's strings point into
    pugi::xml_document doc;
};
// Parses `text`, repairing malformed XML (stray '<', unescaped markup in text elements, unclosed
// or stray end tags, junk before the root) a bounded number of times; what it repaired or could
// not read it reports.
void load_repairing(std::string_view text, LoadedXml& loaded, Problems& problems);

}  // namespace feedd::parse::detail
