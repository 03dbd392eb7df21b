// Microsoft's Channel Definition Format (W3C NOTE-CDFsubmit, 1997): <CHANNEL HREF LASTMOD> with
// <TITLE>, <ABSTRACT>, <LOGO HREF> and <ITEM HREF LASTMOD>, sub-channels holding more items.
// Old, still served. Its documents are written in capitals, but not always: names and
// attributes are matched whatever their case.
#include "parse/xml_reader.hpp"

namespace feedd::parse::detail {
namespace {

class CdfReader final : public XmlReader {
  public:
    using XmlReader::XmlReader;

  private:
    // Attributes whatever their case (HREF, href).
    std::string attribute_ci(const pugi::xml_node& node, std::string_view name) {
        for (auto a = node.first_attribute(); a; a = a.next_attribute())
            if (iequals(a.name(), name)) return attribute(node, a.name());
        return {};
    }

    // The channel's fields are read here, and every item of it and of its sub-channels is
    // collected; the base reads the items.
    Parts find_parts(const pugi::xml_node& root) override {
        feed_.format = FeedFormat::cdf;
        const std::string root_base = attribute_ci(root, "base");
        const std::string base =
            root_base.empty() ? std::string(base_url_) : resolve_url(base_url_, root_base);
        feed_.link = resolve_url(base, attribute_ci(root, "href"));
        feed_.updated = parse_date(attribute_ci(root, "lastmod"));
        Parts parts;
        struct Level {
            pugi::xml_node channel;
            int depth;
        };
        std::vector<Level> channels{{root, 0}};
        while (!channels.empty()) {
            const Level level = channels.back();
            channels.pop_back();
            for (auto child = level.channel.first_child(); child; child = child.next_sibling()) {
                if (child.type() != pugi::node_element) continue;
                const std::string_view name = child.name();
                if (iequals(name, "item")) {
                    parts.items.push_back(child);
                } else if (iequals(name, "channel")) {
                    if (level.depth < max_depth) channels.push_back({child, level.depth + 1});
                } else if (level.depth == 0) {
                    if (iequals(name, "title"))
                        feed_.title = plain_text(text_of(child));
                    else if (iequals(name, "abstract"))
                        feed_.subtitle = escape_html(collapse_space_in_place(text_of(child)));
                    else if (iequals(name, "logo") && feed_.image.empty())
                        feed_.image = attribute_ci(child, "href");  // resolved once the link is known
                }
            }
        }
        return parts;
    }

    bool is_core(Ns ns) const override { return ns == Ns::none; }

    void read_feed_field(const pugi::xml_node&, const Name&, const std::string&) override {}

    void read_entry_field(const pugi::xml_node& node, const Name& name, const std::string& /*base*/,
                          Entry& entry, EntryExtras& /*extras*/) override {
        if (iequals(name.local, "title"))
            entry.title = plain_text(text_of(node));
        else if (iequals(name.local, "abstract"))
            entry.summary = escape_html(collapse_space_in_place(text_of(node)));
    }

    void complete_entry(const pugi::xml_node& item, const std::string& base, Entry& entry,
                        const EntryExtras& /*extras*/) override {
        entry.link = resolve_url(base, attribute_ci(item, "href"));
        entry.updated = parse_date(attribute_ci(item, "lastmod"));
    }

    static constexpr int max_depth = 8;  // sub-channels nest a level or two
};

}  // namespace

std::unique_ptr<XmlReader> make_cdf_reader(std::string_view root_local, std::string_view document,
                                           std::string_view base_url, ParsedFeed& feed, Problems& problems) {
    if (!iequals(root_local, "channel")) return nullptr;
    return std::make_unique<CdfReader>(document, base_url, feed, problems);
}

}  // namespace feedd::parse::detail
