// XML feeds: the document loaded (and repaired) by xml_repair.cpp, then read by the reader its
// root element calls for (rss_reader.cpp, atom_reader.cpp). The document is parsed in place
// without decoding escapes: we decode only the text we read, once, with HTML entities as a repair.
#include "parse/xml_reader.hpp"

namespace feedd::parse::detail {

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
    LoadedXml loaded;
    load_repairing(text, loaded, problems);
    const pugi::xml_node root = loaded.doc.document_element();
    if (!root) {
        feed.is_feed = false;
        feed.error = "not a feed: no XML element found";
        return;
    }
    std::string_view root_name = root.name();
    if (const auto colon = root_name.find(':'); colon != std::string_view::npos)
        root_name.remove_prefix(colon + 1);
    const std::string_view document(loaded.buffer.data(), loaded.buffer.size());
    std::unique_ptr<XmlReader> reader = make_rss_reader(root_name, document, base_url, feed, problems);
    if (!reader) reader = make_atom_reader(root_name, document, base_url, feed, problems);
    if (!reader) {
        feed.is_feed = false;
        feed.error = "not a feed: the root element is <" + std::string(root.name()) + ">";
        return;
    }
    reader->read(root);
}

}  // namespace feedd::parse::detail
