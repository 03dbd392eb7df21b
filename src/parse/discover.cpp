// Feed links an HTML page advertises, read with gumbo (an HTML5 parser: real pages are not XML).
#include <gumbo.h>

#include <memory>

#include "feedd/parse/parse.hpp"
#include "parse/internal.hpp"

namespace feedd::parse {
namespace {

struct GumboOutputDeleter {
    void operator()(GumboOutput* output) const { gumbo_destroy_output(&kGumboDefaultOptions, output); }
};

using text::to_lower;

std::string attribute(const GumboElement& element, const char* name) {
    const GumboAttribute* attribute = gumbo_get_attribute(&element.attributes, name);
    return attribute ? attribute->value : std::string{};
}

bool has_token(const std::string& list, std::string_view token) {
    std::size_t i = 0;
    while (i < list.size()) {
        while (i < list.size() && list[i] == ' ') ++i;
        std::size_t end = list.find(' ', i);
        if (end == std::string::npos) end = list.size();
        if (std::string_view(list).substr(i, end - i) == token) return true;
        i = end;
    }
    return false;
}

bool is_feed_type(const std::string& type) {
    return type == "application/rss+xml" || type == "application/atom+xml" ||
           type == "application/feed+json" || type == "application/rdf+xml" || type == "application/json" ||
           type == "application/x.atom+xml" || type == "text/xml" || type == "application/xml";
}

void visit(const GumboElement& element, std::string& base, std::vector<FeedLink>& links) {
    if (element.tag == GUMBO_TAG_BASE) {
        const std::string href = attribute(element, "href");
        if (!href.empty()) base = detail::resolve_url(base, href);
    } else if (element.tag == GUMBO_TAG_LINK) {
        std::string rel = to_lower(attribute(element, "rel"));
        for (char& c : rel)
            if (c == '\t' || c == '\n' || c == '\r') c = ' ';
        std::string type = to_lower(detail::collapse_space(attribute(element, "type")));
        type = type.substr(0, type.find(';'));
        const std::string href = detail::collapse_space(attribute(element, "href"));
        if (has_token(rel, "alternate") && is_feed_type(type) && !href.empty()) {
            FeedLink link{detail::resolve_url(base, href), type,
                          detail::collapse_space(attribute(element, "title"))};
            bool seen = false;
            for (const auto& existing : links) seen = seen || existing.url == link.url;
            if (!seen) links.push_back(std::move(link));
        }
    }
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The part of the page gumbo reads. Like other HTML5 parsers, gumbo scans the stack of open
// elements for each tag and the attributes of a tag for each attribute: 100 000 nested <div>
// or one tag with 50 000 attributes take it seconds, a 16 MiB page of them hours. Feed links
// sit near the top, so the page is read up to a point no real head needs: 1 MiB, 4 096 tags,
// or a tag with more than 64 attributes. A light scan, not a parser: it only decides the cut.
std::string_view bounded_page(std::string_view html) {
    constexpr std::size_t max_bytes = 1 << 20, max_tags = 4096, max_attributes = 64;
    html = html.substr(0, max_bytes);
    std::size_t tags = 0;
    std::size_t i = 0;
    while ((i = html.find('<', i)) != std::string_view::npos) {
        if (i + 1 >= html.size() || !is_alpha(html[i + 1])) {
            ++i;  // end tags, comments and text cost gumbo nothing per element
            continue;
        }
        if (++tags > max_tags) return html.substr(0, i);
        std::size_t attributes = 0;
        char quote = '\0';
        std::size_t k = i + 1;
        for (; k < html.size(); ++k) {
            const char c = html[k];
            if (quote) {
                if (c == quote) quote = '\0';
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                break;
            } else if (is_space(c) && !is_space(html[k - 1]) && ++attributes > max_attributes) {
                return html.substr(0, i);
            }
        }
        i = k;
    }
    return html;
}

// Document order, without recursion: a page may nest deeper than the stack allows.
void walk(const GumboNode* root, std::string& base, std::vector<FeedLink>& links) {
    std::vector<const GumboNode*> stack{root};
    while (!stack.empty()) {
        const GumboNode* node = stack.back();
        stack.pop_back();
        if (node->type != GUMBO_NODE_ELEMENT) continue;
        visit(node->v.element, base, links);
        const GumboVector& children = node->v.element.children;
        for (unsigned i = children.length; i > 0; --i)
            stack.push_back(static_cast<const GumboNode*>(children.data[i - 1]));
    }
}

}  // namespace

std::vector<FeedLink> discover_feed_links(std::string_view html, std::string_view base_url) {
    std::vector<FeedLink> links;
    const std::string_view page = bounded_page(html);
    std::unique_ptr<GumboOutput, GumboOutputDeleter> output(
        gumbo_parse_with_options(&kGumboDefaultOptions, page.data(), page.size()));
    if (!output) return links;
    std::string base(base_url);
    walk(output->root, base, links);
    return links;
}

}  // namespace feedd::parse
