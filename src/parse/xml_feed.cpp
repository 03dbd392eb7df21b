// XML feeds: the document loaded (and repaired) by xml_repair.cpp, then read by the reader its
// root element calls for (rss_reader.cpp, atom_reader.cpp, cdf_reader.cpp). The document is parsed in place
// without decoding escapes: we decode only the text we read, once, with HTML entities as a repair.
#include <algorithm>
#include <cctype>

#include "parse/xml_reader.hpp"

namespace feedd::parse::detail {

// An HTML page rather than a feed? The first element decides: a DOCTYPE before <rss> or <feed>,
// HTML's included (a template's leftover), does not make the document a page.
bool looks_like_html(std::string_view text) noexcept {
    std::size_t i = 0;
    bool html_doctype = false;
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
        if (iequals(text.substr(i, 9), "<!doctype")) {
            std::size_t name = i + 9;
            while (name < text.size() && static_cast<unsigned char>(text[name]) <= ' ') ++name;
            const char after = name + 4 < text.size() ? text[name + 4] : '>';
            html_doctype =
                iequals(text.substr(name, 4), "html") && !std::isalnum(static_cast<unsigned char>(after));
            // Its end: the '>' after the internal subset, if there is one.
            const std::size_t bracket = text.find('[', i), close = text.find('>', i);
            std::size_t end = close;
            if (bracket != std::string_view::npos && bracket < close) {
                end = text.find(']', bracket);
                if (end != std::string_view::npos) end = text.find('>', end);
            }
            if (end == std::string_view::npos) return html_doctype;
            i = end + 1;
            continue;
        }
        break;
    }
    if (iequals(text.substr(i, 5), "<html")) return true;
    if (!html_doctype) return false;
    // After an HTML DOCTYPE, anything but a feed's root is a page (HTML may omit <html>).
    std::size_t end = i + 1;
    while (end < text.size() && end - i < 64 && static_cast<unsigned char>(text[end]) > ' ' &&
           text[end] != '>' && text[end] != '/')
        ++end;
    const std::size_t start = std::min(i + 1, text.size());
    std::string_view root = text.substr(start, end > start ? end - start : 0);
    if (const auto colon = root.find(':'); colon != std::string_view::npos) root.remove_prefix(colon + 1);
    for (const std::string_view feed_root : {"rss", "feed", "rdf", "channel", "entry"})
        if (iequals(root, feed_root)) return false;
    return true;
}

bool parse_xml_feed(std::string_view text, std::string_view base_url, ParsedFeed& feed, Problems& problems,
                    std::string* source) {
    std::string expanded;
    const EntityExpansion expansion = expand_internal_entities(text, expanded);
    if (expansion.expanded) text = expanded;
    LoadedXml loaded;
    load_repairing(text, loaded, problems);
    const pugi::xml_node root = loaded.doc.document_element();
    if (!root) {
        feed.is_feed = false;
        feed.error = "not a feed: no XML element found";
        return false;
    }
    std::string_view root_name = root.name();
    if (const auto colon = root_name.find(':'); colon != std::string_view::npos)
        root_name.remove_prefix(colon + 1);
    const std::string_view document(loaded.buffer.data(), loaded.buffer.size());
    std::unique_ptr<XmlReader> reader = make_rss_reader(root_name, document, base_url, feed, problems);
    if (!reader) reader = make_atom_reader(root_name, document, base_url, feed, problems);
    if (!reader) reader = make_cdf_reader(root_name, document, base_url, feed, problems);
    if (!reader) {
        feed.is_feed = false;
        feed.error = "not a feed: the root element is <" + std::string(root.name()) + ">";
        return false;
    }
    // The document lives in its own buffer now: the source goes before the entries' text is read
    // out, so that a large body is held twice at most (the document and the text read from it).
    const bool released = source != nullptr;
    if (released) std::string().swap(*source);
    if (expansion.expanded) std::string().swap(expanded);
    reader->read(root);
    // Reported last: the references left as text say first where they are.
    if (expansion.too_large)
        problems.add("internal DTD entities would grow the document by more than 1 MiB: none expanded");
    return released;
}

}  // namespace feedd::parse::detail
