// Feed links an HTML page advertises, read with gumbo (an HTML5 parser: real pages are not XML).
#include "feedd/html/html.hpp"
#include "feedd/parse/parse.hpp"
#include "parse/html_page.hpp"
#include "parse/internal.hpp"

namespace feedd::parse {
namespace {

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
    // Feed links sit near the top: no real head needs more than this.
    constexpr html::PageLimits head{1 << 20, 4096, 64, 1 << 20};
    const auto output = detail::parse_html(html::bounded_page(html, head));
    if (!output) return links;
    std::string base(base_url);
    walk(output->root, base, links);
    return links;
}

}  // namespace feedd::parse
