// The main content of an article page (the page a summary-only feed links to).
//
// libxml2's HTML parser reads the page into pugixml's tree, which has XPath for site rules and is
// easy to prune. The heuristic is the one Readability made known: paragraphs
// give their containers points (more for length and commas), class and id names like "article"
// or "comment" move a container up or down, text inside links counts against it, and the best
// container with the siblings that score close to it is the article. Then blocks inside it that
// look like navigation (mostly links, more list items than paragraphs, forms) go.
#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "feedd/html/html.hpp"
#include "feedd/parse/parse.hpp"
#include "parse/internal.hpp"

namespace feedd::parse {
namespace {

using Node = pugi::xml_node;

// Real article pages have a few thousand tags and nest a few dozen deep; past these limits the
// rest of the page is not read (see PageLimits), and the tree copied into pugixml never nests
// deeper than kMaxDepth (deeper elements give their children to the one at that depth), so that
// the recursive steps below stay far from the stack's end.
constexpr html::PageLimits kPageLimits{8u << 20, 100000, 64, 2048};
constexpr std::size_t kMaxDepth = 200;

bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// An attribute or tag name pugixml can print and XPath can name. Others (`@click`, `"x"`) are
// dropped: nothing the article needs is in them.
bool is_xml_name(std::string_view name) {
    if (name.empty() || name.size() > 64 || !is_name_start(name[0])) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
    });
}

// Elements whose content is never part of the text of an article.
bool dropped_tag(std::string_view name) {
    return name == "script" || name == "style" || name == "noscript" || name == "template" || name == "link";
}

// libxml2's HTML parser, read through SAX straight into pugixml's tree (no tree of its own). It is
// the parser readability (lxml) reads pages with, and about five times faster than gumbo on article
// pages (bench/extract prints both). Extraction keeps words, not markup for a browser, so HTML5's
// tree-building rules matter less here than in the sanitiser, which keeps gumbo. libxml2 closes the
// elements it opens, implied ones included, so its events nest.
class TreeBuilder {
  public:
    explicit TreeBuilder(Node root) { open_.push_back(root); }

    void start(std::string_view name, const xmlChar** attributes) {
        if (skipping_ > 0 || dropped_tag(name)) {
            ++skipping_;
            return;
        }
        flush();
        Node parent = open_.back();
        if (open_.size() > kMaxDepth || !is_xml_name(name)) {
            open_.push_back(parent);  // its children go to the parent
            return;
        }
        Node element = parent.append_child(std::string(name).c_str());
        for (; attributes && attributes[0]; attributes += 2) {
            const char* attribute = reinterpret_cast<const char*>(attributes[0]);
            const char* value = attributes[1] ? reinterpret_cast<const char*>(attributes[1]) : "";
            if (is_xml_name(attribute) && !element.attribute(attribute))
                element.append_attribute(attribute).set_value(value);
        }
        open_.push_back(element);
    }

    void end() {
        if (skipping_ > 0) {
            --skipping_;
            return;
        }
        flush();
        if (open_.size() > 1) open_.pop_back();
    }

    void text(std::string_view text) {
        if (skipping_ == 0) pending_ += text;
    }

    // Text arrives in pieces; it becomes one node before the next element starts or ends.
    void flush() {
        if (pending_.empty()) return;
        open_.back().append_child(pugi::node_pcdata).set_value(pending_.c_str());
        pending_.clear();
    }

  private:
    std::vector<Node> open_;
    int skipping_ = 0;  // depth inside an element whose content is dropped
    std::string pending_;
};

TreeBuilder& builder_of(void* context) {
    auto* parser = static_cast<xmlParserCtxtPtr>(context);
    return *static_cast<TreeBuilder*>(parser->_private);
}

struct ParserDeleter {
    void operator()(htmlParserCtxtPtr parser) const { htmlFreeParserCtxt(parser); }
};

// libxml2 knows HTML 4's named references (and &apos;); HTML5 added some 2 000 more (&check;,
// &lbrace;, &NewLine;), which it would keep as text where gumbo and browsers read a character.
// Those become their characters first (markup characters as numeric references). Nullopt when the
// page has none, the usual case, so that it is not copied.
std::optional<std::string> with_html5_references(std::string_view page) {
    std::optional<std::string> out;
    std::size_t copied = 0;
    std::string name;
    for (std::size_t at = page.find('&'); at != std::string_view::npos; at = page.find('&', at + 1)) {
        name = text::entity_name(page.substr(at));
        const std::size_t end = at + 1 + name.size();
        if (name.empty() || end >= page.size() || page[end] != ';') continue;  // legacy ones are HTML 4's
        if (htmlEntityLookup(reinterpret_cast<const xmlChar*>(name.c_str())) != nullptr) continue;
        const std::string_view value = text::html_entity(name);
        if (value.empty()) continue;
        if (!out) out.emplace().reserve(page.size());
        out->append(page.substr(copied, at - copied));
        for (char c : value) {
            if (c == '<' || c == '>' || c == '&' || c == '"' || c == '\'')
                *out += "&#" + std::to_string(static_cast<int>(c)) + ';';
            else
                *out += c;
        }
        copied = end + 1;
    }
    if (out) out->append(page.substr(copied));
    return out;
}

// Reads `page` (UTF-8, already cut by html::bounded_page) into `document`. False when libxml2
// could not start (out of memory).
bool read_page(std::string_view page, pugi::xml_document& document) {
    static std::once_flag initialised;
    std::call_once(initialised, [] { xmlInitParser(); });  // before threads share it
    if (page.empty() || page.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
    std::unique_ptr<htmlParserCtxt, ParserDeleter> parser(
        htmlCreateMemoryParserCtxt(page.data(), static_cast<int>(page.size())));
    if (!parser) return false;
    TreeBuilder builder(document);
    parser->_private = &builder;
    htmlSAXHandler& sax = *parser->sax;
    sax = htmlSAXHandler{};  // nothing of libxml2's own tree building, errors not reported
    sax.startElement = [](void* context, const xmlChar* name, const xmlChar** attributes) {
        builder_of(context).start(reinterpret_cast<const char*>(name), attributes);
    };
    sax.endElement = [](void* context, const xmlChar*) { builder_of(context).end(); };
    sax.characters = [](void* context, const xmlChar* text, int length) {
        builder_of(context).text({reinterpret_cast<const char*>(text), static_cast<std::size_t>(length)});
    };
    sax.ignorableWhitespace = sax.characters;
    sax.cdataBlock = sax.characters;
    // The page is UTF-8 already (page_to_utf8): a <meta charset> in it must not make libxml2
    // decode it again.
    htmlCtxtUseOptions(parser.get(), HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                         HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
    xmlSwitchEncoding(parser.get(), XML_CHAR_ENCODING_UTF8);
    htmlParseDocument(parser.get());
    builder.flush();
    return true;
}

// Each element under `root` in document order (root excluded), without recursion. `visit` may
// return false to skip an element's descendants.
template <class Visit>
void for_each_element(Node root, Visit&& visit) {
    Node node = root.first_child();
    while (node && node != root) {
        bool descend = true;
        if (node.type() == pugi::node_element) descend = visit(node);
        if (descend && node.first_child()) {
            node = node.first_child();
            continue;
        }
        while (node != root && !node.next_sibling()) node = node.parent();
        if (node == root) break;
        node = node.next_sibling();
    }
}

bool named(Node node, std::initializer_list<std::string_view> names) {
    const std::string_view name = node.name();
    return std::find(names.begin(), names.end(), name) != names.end();
}

// The text of an element, white space collapsed (as a reader sees it), in document order.
std::string inner_text(Node root) {
    std::string out;
    bool space = true;
    Node node = root.first_child();
    while (node && node != root) {
        if (node.type() == pugi::node_pcdata) {
            for (char c : std::string_view(node.value())) {
                if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
                    if (!space) out += ' ';
                    space = true;
                } else {
                    out += c;
                    space = false;
                }
            }
        }
        if (node.first_child()) {
            node = node.first_child();
            continue;
        }
        while (node != root && !node.next_sibling()) node = node.parent();
        if (node == root) break;
        node = node.next_sibling();
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

struct TextStats {
    std::size_t chars = 0;       // of text, white space collapsed
    std::size_t link_chars = 0;  // of that, inside <a>
    std::size_t commas = 0;
};

std::size_t visible_chars(std::string_view text, bool& space) {
    std::size_t n = 0;
    for (char c : text) {
        const bool blank = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
        if (blank) {
            if (!space) ++n;
            space = true;
        } else if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {  // one per character
            ++n;
            space = false;
        }
    }
    return n;
}

std::size_t commas_in(std::string_view text) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == ',') ++n;
        // U+FF0C FULLWIDTH COMMA, U+3001 IDEOGRAPHIC COMMA: Chinese and Japanese prose.
        if (text.substr(i, 3) == "\xEF\xBC\x8C" || text.substr(i, 3) == "\xE3\x80\x81") ++n;
    }
    return n;
}

TextStats stats_of(Node node) {
    TextStats stats;
    bool space = true;
    auto count = [&](Node parent, bool in_link) {
        for (Node child = parent.first_child(); child; child = child.next_sibling()) {
            if (child.type() != pugi::node_pcdata) continue;
            const std::size_t n = visible_chars(child.value(), space);
            stats.chars += n;
            if (in_link) stats.link_chars += n;
            stats.commas += commas_in(child.value());
        }
    };
    auto inside_link = [&](Node element) {
        for (Node n = element; n && n != node.parent(); n = n.parent())
            if (std::string_view(n.name()) == "a") return true;
        return false;
    };
    count(node, std::string_view(node.name()) == "a");
    for_each_element(node, [&](Node element) {
        count(element, inside_link(element));
        return true;
    });
    return stats;
}

double link_density(const TextStats& stats) {
    return stats.chars == 0 ? 0.0 : static_cast<double>(stats.link_chars) / static_cast<double>(stats.chars);
}

template <class Needles>
bool contains_any(std::string_view haystack, const Needles& needles) {
    for (std::string_view needle : needles)
        if (haystack.find(needle) != std::string_view::npos) return true;
    return false;
}

std::string class_and_id(Node node) {
    return text::to_lower(std::string(node.attribute("class").value()) + ' ' + node.attribute("id").value());
}

// Names sites give the parts around an article, and the article itself.
constexpr std::string_view kUnlikely[] = {
    "banner",     "breadcrumb",   "combx",    "comment",  "community",  "cookie",     "disqus",
    "extra",      "footer",       "gdpr",     "header",   "legends",    "menu",       "related",
    "remark",     "replies",      "rss",      "shoutbox", "sidebar",    "skyscraper", "social",
    "sponsor",    "supplemental", "ad-break", "agegate",  "pagination", "pager",      "popup",
    "newsletter", "subscribe",    "share",    "promo",    "masthead",   "navbar",     "nav-",
    "toolbar",    "signup",       "outbrain", "taboola",  "recommend",  "trending",   "most-read",
    "mostread",   "widget"};
constexpr std::string_view kMaybe[] = {"and",    "article", "body",  "column", "content", "main",
                                       "shadow", "story",   "entry", "post",   "text"};
constexpr std::string_view kPositive[] = {"article", "body", "content", "entry",      "hentry",
                                          "h-entry", "main", "page",    "pagination", "post",
                                          "text",    "blog", "story",   "prose"};
constexpr std::string_view kNegative[] = {
    "-ad-",     "hidden",    "banner",     "combx",   "comment",  "com-",  "contact",   "footer", "footnote",
    "gdpr",     "masthead",  "media",      "meta",    "outbrain", "promo", "related",   "scroll", "share",
    "shoutbox", "sidebar",   "skyscraper", "sponsor", "shopping", "tags",  "widget",    "byline", "author",
    "dateline", "subscribe", "newsletter", "social",  "nav",      "menu",  "breadcrumb"};

// +25 for a name like "article", -25 for one like "comment", for the class and for the id.
double class_weight(Node node) {
    double weight = 0;
    for (const char* attribute : {"class", "id"}) {
        const std::string value = text::to_lower(std::string(node.attribute(attribute).value()));
        if (value.empty()) continue;
        if (contains_any(value, kNegative)) weight -= 25;
        if (contains_any(value, kPositive)) weight += 25;
    }
    return weight;
}

bool hidden(Node node) {
    if (node.attribute("hidden")) return true;
    if (std::string_view(node.attribute("aria-hidden").value()) == "true") return true;
    std::string style = text::to_lower(std::string(node.attribute("style").value()));
    style.erase(std::remove(style.begin(), style.end(), ' '), style.end());
    return contains_any(style, std::array<std::string_view, 2>{"display:none", "visibility:hidden"});
}

// Parts of the page that are never the article: removed before scoring.
bool never_content(Node node) {
    if (named(node, {"nav", "aside", "footer", "form", "button", "select", "textarea", "input", "dialog",
                     "menu", "object", "embed", "svg", "canvas"}))
        return true;
    const std::string_view role = node.attribute("role").value();
    if (role == "navigation" || role == "menu" || role == "menubar" || role == "complementary" ||
        role == "dialog" || role == "alertdialog" || role == "banner" || role == "contentinfo")
        return true;
    if (hidden(node)) return true;
    if (named(node, {"body", "html", "article", "main", "a"})) return false;
    const std::string names = class_and_id(node);
    if (names.size() <= 1) return false;
    return contains_any(names, kUnlikely) && !contains_any(names, kMaybe);
}

void remove_all(std::vector<Node>& doomed) {
    for (Node node : doomed)
        if (node.parent()) node.parent().remove_child(node);
    doomed.clear();
}

// Blocks that hold other blocks: a <div> without any is a paragraph as far as scoring goes.
bool has_block_child(Node node) {
    for (Node child = node.first_child(); child; child = child.next_sibling())
        if (named(child, {"p", "div", "section", "article", "table", "ul", "ol", "dl", "blockquote", "pre",
                          "h1", "h2", "h3", "h4", "h5", "h6", "figure", "main", "header"}))
            return true;
    return false;
}

struct Scorer {
    std::unordered_map<pugi::xml_node_struct*, double> scores;
    std::vector<Node> candidates;

    double& score(Node node) {
        auto [it, inserted] = scores.try_emplace(node.internal_object(), 0.0);
        if (inserted) {
            candidates.push_back(node);
            double base = class_weight(node);
            if (named(node, {"div", "article", "main", "section"})) base += 5;
            if (named(node, {"article", "main"})) base += 10;  // HTML5 says what it is
            if (named(node, {"pre", "td", "blockquote"})) base += 3;
            if (named(node, {"address", "ol", "ul", "dl", "dd", "dt", "li", "form"})) base -= 3;
            if (named(node, {"h1", "h2", "h3", "h4", "h5", "h6", "th"})) base -= 5;
            it->second = base;
        }
        return it->second;
    }
};

// Conditional cleaning of the chosen content: blocks that are mostly links, lists of links,
// more images than text, forms. What readers call "related articles", "share" and "tags".
// The blocks chosen (`content`'s children) were judged already; their insides are cleaned.
void clean(Node content, std::string_view title) {
    std::vector<Node> doomed;
    for (Node block = content.first_child(); block; block = block.next_sibling())
        for_each_element(block, [&](Node node) {
            if (named(node, {"h1", "h2", "h3"})) {
                const auto stats = stats_of(node);
                if (class_weight(node) < 0 || link_density(stats) > 0.33 ||
                    (!title.empty() && inner_text(node) == title))
                    doomed.push_back(node);
                return false;
            }
            if (!named(node, {"div", "section", "ul", "ol", "table", "dl", "header", "figure"})) return true;
            const auto stats = stats_of(node);
            const double weight = class_weight(node);
            if (weight < 0 && stats.chars < 500) {
                doomed.push_back(node);
                return false;
            }
            if (stats.commas >= 10) return true;
            std::size_t paragraphs = 0, images = 0, items = 0, inputs = 0, embeds = 0;
            for_each_element(node, [&](Node inner) {
                const std::string_view name = inner.name();
                paragraphs += name == "p";
                images += name == "img";
                items += name == "li";
                inputs += name == "input";
                embeds += name == "iframe" || name == "video" || name == "audio";
                return true;
            });
            const bool list = named(node, {"ul", "ol"});
            const double density = link_density(stats);
            const bool remove =
                (!list && items > paragraphs + 2 && stats.chars < 1000) || inputs * 3 > paragraphs ||
                (!list && stats.chars < 25 && images == 0 && embeds == 0) ||
                (!list && images > 2 && paragraphs * 2 < images && stats.chars < 200) ||
                (weight < 25 && density > 0.2 && (!list || density > 0.5)) || (weight >= 25 && density > 0.5);
            if (remove) doomed.push_back(node);
            return !remove;
        });
    remove_all(doomed);
}

// Lazy-loaded images carry their source in data-src (and a placeholder in src).
void reveal_lazy_images(Node content) {
    for_each_element(content, [](Node node) {
        if (std::string_view(node.name()) != "img") return true;
        const std::string_view src = node.attribute("src").value();
        for (const char* lazy : {"data-src", "data-original", "data-lazy-src", "data-url"}) {
            const std::string_view real = node.attribute(lazy).value();
            if (real.empty()) continue;
            if (src.empty() || src.substr(0, 5) == "data:" ||
                contains_any(src,
                             std::array<std::string_view, 4>{"blank", "placeholder", "lazy", "spacer"})) {
                if (!node.attribute("src")) node.append_attribute("src");
                node.attribute("src").set_value(std::string(real).c_str());
            }
            break;
        }
        return true;
    });
}

std::string escape_attribute(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '&')
            out += "&amp;";
        else if (c == '"')
            out += "&quot;";
        else if (c == '<')
            out += "&lt;";
        else
            out += c;
    }
    return out;
}

// A srcset's URLs made absolute, descriptors kept ("a.jpg 1x, b.jpg 2x").
std::string absolute_srcset(std::string_view srcset, std::string_view base) {
    std::string out;
    std::size_t i = 0;
    while (i < srcset.size()) {
        while (i < srcset.size() && (srcset[i] == ' ' || srcset[i] == ',' || srcset[i] == '\n')) ++i;
        std::size_t end = i;
        while (end < srcset.size() && srcset[end] != ' ' && srcset[end] != '\n') ++end;
        if (end == i) break;
        std::string candidate = detail::resolve_url(base, srcset.substr(i, end - i));
        std::size_t next = srcset.find(',', end);
        if (next == std::string_view::npos) next = srcset.size();
        if (!out.empty()) out += ", ";
        out += candidate;
        out += text::trim(srcset.substr(end, next - end), " \n\t");
        if (out.back() == ' ') out.pop_back();
        i = next + 1;
    }
    return out;
}

// The HTML of `node`'s children: void elements without end tags, every other one with (pugixml
// would print an empty <div/>, which HTML parsers take for an open tag), URLs absolute.
void write_html(Node node, std::string_view base, std::string& out) {
    for (Node child = node.first_child(); child; child = child.next_sibling()) {
        if (child.type() == pugi::node_pcdata) {
            out += detail::escape_html(child.value());
            continue;
        }
        if (child.type() != pugi::node_element) continue;
        const std::string_view name = child.name();
        out += '<';
        out += name;
        for (auto attribute : child.attributes()) {
            const std::string_view key = attribute.name();
            std::string value = attribute.value();
            if (key == "href" || key == "src" || key == "poster" || key == "cite")
                value = detail::resolve_url(base, value);
            else if (key == "srcset")
                value = absolute_srcset(value, base);
            out += ' ';
            out += key;
            out += "=\"";
            out += escape_attribute(value);
            out += '"';
        }
        out += '>';
        if (html::is_void_element(name)) continue;
        write_html(child, base, out);
        out += "</";
        out += name;
        out += '>';
    }
}

std::string page_title(Node html) {
    std::string og;
    Node head = html.child("head");
    for (Node meta = head.child("meta"); meta; meta = meta.next_sibling("meta")) {
        const std::string_view property = meta.attribute("property").value();
        if (property == "og:title") og = text::collapse_space(meta.attribute("content").value());
    }
    if (!og.empty()) return og;
    std::string title = inner_text(head.child("title"));
    if (!title.empty()) return title;
    Node h1 = html.select_node(".//h1").node();
    return h1 ? inner_text(h1) : std::string{};
}

bool host_matches(std::string_view host, std::string_view rule) {
    if (rule.empty()) return false;
    if (host == rule) return true;
    return host.size() > rule.size() && host.substr(host.size() - rule.size()) == rule &&
           host[host.size() - rule.size() - 1] == '.';
}

// Site rules: drop what `remove` selects, then keep what `content` selects. False when the rule
// selected no content (the heuristic runs then).
bool apply_rule(pugi::xml_document& document, const SiteRule& rule, Node content, std::string& warning) {
    try {
        for (const auto& expression : rule.remove) {
            std::vector<Node> doomed;
            for (const auto& selected : document.select_nodes(expression.c_str()))
                if (selected.node()) doomed.push_back(selected.node());
            remove_all(doomed);
        }
        if (rule.content.empty()) return false;
        const auto selected = document.select_nodes(rule.content.c_str());
        for (const auto& item : selected) {
            if (item.node())
                content.append_copy(item.node());
            else if (item.attribute())
                content.append_child(pugi::node_pcdata).set_value(item.attribute().value());
        }
        if (!content.first_child())
            warning = "site rule " + rule.host + ": content selected nothing; used the heuristic";
        return !content.first_child().empty();
    } catch (const pugi::xpath_exception& error) {
        warning = "site rule " + rule.host + ": " + error.what();
        return false;
    }
}

// The heuristic: the best-scored container and its kin, into `content`.
void extract_by_score(Node body, Node content) {
    std::vector<Node> doomed;
    for_each_element(body, [&](Node node) {
        if (!never_content(node)) return true;
        doomed.push_back(node);
        return false;
    });
    remove_all(doomed);

    Scorer scorer;
    for_each_element(body, [&](Node node) {
        const bool paragraph = named(node, {"p", "pre", "td", "blockquote"}) ||
                               (named(node, {"div", "section"}) && !has_block_child(node));
        if (!paragraph) return true;
        const auto stats = stats_of(node);
        if (stats.chars < 25) return true;
        const double points = 1.0 + static_cast<double>(stats.commas) +
                              std::min(std::floor(static_cast<double>(stats.chars) / 100.0), 3.0);
        Node ancestor = node.parent();
        for (int level = 0; ancestor && ancestor != body.parent() && level < 5;
             ++level, ancestor = ancestor.parent()) {
            const double share = level == 0 ? 1.0 : level == 1 ? 2.0 : level * 3.0;
            scorer.score(ancestor) += points / share;
        }
        return true;
    });

    Node best;
    double best_score = 0;
    std::unordered_map<pugi::xml_node_struct*, double> final_scores;
    for (Node candidate : scorer.candidates) {
        const double scored =
            scorer.scores[candidate.internal_object()] * (1.0 - link_density(stats_of(candidate)));
        final_scores[candidate.internal_object()] = scored;
        if (!best || scored > best_score) best = candidate, best_score = scored;
    }
    if (!best) best = body;

    // A lone paragraph container inside a bigger one: the article is the bigger one when it holds
    // most of the points (a story split into several <div> by ads).
    for (Node parent = best.parent(); parent && parent != body.parent(); parent = parent.parent()) {
        auto found = final_scores.find(parent.internal_object());
        if (found == final_scores.end() || found->second < best_score * 0.75) break;
        best = parent;
        best_score = std::max(best_score, found->second);
    }

    Node parent = best.parent();
    if (!parent || best == body) {
        for (Node child = best.first_child(); child; child = child.next_sibling()) content.append_copy(child);
        return;
    }
    const std::string best_class = best.attribute("class").value();
    const double threshold = std::max(10.0, best_score * 0.2);
    for (Node sibling = parent.first_child(); sibling; sibling = sibling.next_sibling()) {
        bool keep = sibling == best;
        if (!keep && sibling.type() == pugi::node_element) {
            double bonus = 0;
            if (!best_class.empty() && best_class == sibling.attribute("class").value())
                bonus = best_score * 0.2;
            auto found = final_scores.find(sibling.internal_object());
            if (found != final_scores.end() && found->second + bonus >= threshold) keep = true;
            if (!keep && named(sibling, {"p"})) {
                const auto stats = stats_of(sibling);
                const double density = link_density(stats);
                const std::string text = inner_text(sibling);
                keep = (stats.chars > 80 && density < 0.25) ||
                       (stats.chars > 0 && stats.chars <= 80 && density == 0 &&
                        text.find(". ") != std::string::npos);
            }
        }
        if (keep) content.append_copy(sibling);
    }
}

}  // namespace

std::string xpath_error(const std::string& expression) {
    try {
        pugi::xpath_query query(expression.c_str());
        return {};
    } catch (const pugi::xpath_exception& error) {
        return error.what();
    }
}

ExtractedPage extract_article(std::string_view bytes, const PageOptions& options) {
    ExtractedPage page;
    detail::Problems problems;
    const auto utf8 = detail::page_to_utf8(bytes, options.content_type, problems);
    page.encoding = utf8.encoding;
    pugi::xml_document document;
    const std::string_view bounded = html::bounded_page(utf8.text(), kPageLimits);
    const auto rewritten = with_html5_references(bounded);
    if (!read_page(rewritten ? *rewritten : bounded, document)) return page;
    Node html = document.child("html");
    Node body = html.child("body");
    if (!body) return page;

    std::string base = options.url;
    if (Node base_element = html.child("head").child("base"); base_element && base_element.attribute("href"))
        base = detail::resolve_url(base, base_element.attribute("href").value());
    page.title = page_title(html);

    pugi::xml_document out;
    Node content = out.append_child("div");
    const std::string host = url::host(options.url);
    bool by_rule = false;
    for (const auto& rule : options.rules) {
        if (!host_matches(host, text::to_lower(rule.host))) continue;
        by_rule = apply_rule(document, rule, content, page.warning);
        if (by_rule) page.method = "site rule " + rule.host;
        break;
    }
    if (!by_rule) {
        extract_by_score(body, content);
        clean(content, page.title);
        page.method = "heuristic";
    }
    reveal_lazy_images(content);
    write_html(content, base, page.html);
    page.text = text::html_to_text(page.html, text::Breaks::paragraphs);
    page.words = text::count_words(page.text);
    return page;
}

}  // namespace feedd::parse
