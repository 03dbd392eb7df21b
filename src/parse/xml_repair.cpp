// The repair step: when pugixml stops on malformed XML, the source is changed where it stopped
// (a stray '<' escaped, HTML that was not escaped wrapped as CDATA, an unclosed element closed, a
// stray end tag or junk before the root removed) and parsed again, a bounded number of times.
#include <algorithm>
#include <cstring>

#include "parse/xml_reader.hpp"

namespace feedd::parse::detail {
namespace {

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

void load_repairing(std::string_view text, LoadedXml& loaded, Problems& problems) {
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
    std::vector<char>& buffer = loaded.buffer;
    pugi::xml_document& doc = loaded.doc;
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
}

}  // namespace feedd::parse::detail
