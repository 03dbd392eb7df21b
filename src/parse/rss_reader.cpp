// RSS 0.9x and 2.0 (<rss><channel>) and the RDF family, RSS 0.90 and 1.0 (<rdf:RDF>, items
// beside the channel): one vocabulary, the RDF documents differ only in where items stand.
#include "parse/xml_reader.hpp"

namespace feedd::parse::detail {
namespace {

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

class RssReader final : public XmlReader {
  public:
    RssReader(bool rdf, std::string_view document, std::string_view base_url, ParsedFeed& feed,
              Problems& problems)
        : XmlReader(document, base_url, feed, problems), rdf_(rdf) {}

  private:
    Parts find_parts(const pugi::xml_node& root) override {
        return rdf_ ? find_rdf_parts(root) : find_rss_parts(root);
    }

    Parts find_rss_parts(const pugi::xml_node& root) {
        Parts parts;
        scope_.adopt_namespace_of(root, Ns::rss20);
        const std::string version = collapse_space(root.attribute("version").value());
        feed_.format = version.starts_with("0.9") ? FeedFormat::rss09x : FeedFormat::rss20;
        for (auto child = root.first_child(); child; child = child.next_sibling()) {
            if (child.type() != pugi::node_element) continue;
            const auto local = scope_.name_of(child).local;
            if (local == "channel" && !parts.channel)
                parts.channel = child;
            else if (local == "item")
                parts.items.push_back(child);  // items beside the channel: RSS 0.9x oddities
        }
        return parts;
    }

    Parts find_rdf_parts(const pugi::xml_node& root) {
        Parts parts;
        // RSS 1.0 elements under a namespace URI feedd does not know (a typo, a draft's) are
        // still RSS 1.0: the channel's namespace is the vocabulary's.
        for (auto child = root.first_child(); child; child = child.next_sibling())
            if (child.type() == pugi::node_element && scope_.name_of(child).local == "channel") {
                scope_.adopt_namespace_of(child, Ns::rss10);
                break;
            }
        for (auto child = root.first_child(); child; child = child.next_sibling()) {
            if (child.type() != pugi::node_element) continue;
            const Name name = scope_.name_of(child);
            if (name.local == "channel" && !parts.channel) {
                parts.channel = child;
                feed_.format = name.ns == Ns::rss090 ? FeedFormat::rss09x : FeedFormat::rss10;
            } else if (name.local == "item") {
                parts.items.push_back(child);
            } else if (name.local == "image") {
                for (auto url = child.first_child(); url; url = url.next_sibling())
                    if (url.type() == pugi::node_element && scope_.name_of(url).local == "url")
                        feed_.image = collapse_space_in_place(text_of(url));
            }
        }
        if (feed_.format == FeedFormat::unknown) feed_.format = FeedFormat::rss10;
        return parts;
    }

    bool is_core(Ns ns) const override {
        return ns == Ns::none || ns == Ns::rss10 || ns == Ns::rss090 || ns == Ns::rss20;
    }

    void read_feed_field(const pugi::xml_node& node, const Name& name, const std::string& base) override {
        const std::string_view local = name.local;
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
    }

    void read_entry_field(const pugi::xml_node& node, const Name& name, const std::string& base, Entry& entry,
                          EntryExtras& extras) override {
        const std::string_view local = name.local;
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
        } else if (local == "body" || local == "fullitem") {
            // The full text some feeds give beside the description (feedparser reads them too).
            if (entry.content.empty()) entry.content = html_value(node, base);
        } else if (local == "enclosure") {
            Enclosure enclosure;
            enclosure.url = resolve_url(base, attribute(node, "url"));
            enclosure.type = attribute(node, "type");
            if (auto length = to_int(attribute(node, "length"))) enclosure.length = *length;
            if (!enclosure.url.empty()) entry.enclosures.push_back(std::move(enclosure));
        }
    }

    void complete_entry(const pugi::xml_node& item, const std::string& base, Entry& entry,
                        const EntryExtras& extras) override {
        // RSS 1.0: the item's URI is its identity (other readers use it too), before any
        // dc:identifier.
        if (const std::string_view about = item.attribute("rdf:about").value();
            !about.empty() && entry.id.empty())
            entry.id = about;
        if (entry.link.empty() && extras.guid_is_permalink && has_scheme(extras.guid))
            entry.link = extras.guid;
        if (entry.link.empty() && !entry.id.empty() && item.attribute("rdf:about"))
            entry.link = resolve_url(base, entry.id);
    }

    bool rdf_;
};

}  // namespace

std::unique_ptr<XmlReader> make_rss_reader(std::string_view root_local, std::string_view document,
                                           std::string_view base_url, ParsedFeed& feed, Problems& problems) {
    if (root_local != "rss" && root_local != "RDF") return nullptr;
    return std::make_unique<RssReader>(root_local == "RDF", document, base_url, feed, problems);
}

}  // namespace feedd::parse::detail
