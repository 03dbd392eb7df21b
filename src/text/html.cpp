// HTML made plain: one scanner for the parser's titles and names (one line) and the archive's
// search text (one paragraph per line), so both read tags and entities the same way.
#include <cstring>

#include "feedd/text/text.hpp"

namespace feedd::text {
namespace {

// Marks a block element's break until the text is collapsed (decoded entities give no C0 control
// but tab and line breaks; a raw U+001E in the text, which no real feed has, breaks a line too).
constexpr char kBreak = '\x1e';

// The first '<' or '&', or npos.
std::size_t find_markup(std::string_view text) noexcept {
    return find_any(text, "<&");
}

// Elements after which a reader sees a new paragraph, so that "<p>a</p><p>b</p>" reads "a b".
bool is_block(std::string_view name) {
    static constexpr std::string_view names[] = {
        "br",     "p",       "div",   "li",      "ul",         "ol",         "h1",    "h2", "h3",
        "h4",     "h5",      "h6",    "tr",      "pre",        "blockquote", "hr",    "dd", "dt",
        "figure", "section", "table", "article", "figcaption", "header",     "footer"};
    for (auto n : names)
        if (iequals(name, n)) return true;
    return false;
}
// Table cells separate words but not paragraphs.
bool is_cell(std::string_view name) {
    return iequals(name, "td") || iequals(name, "th");
}

// Where "</name" starts at or after `from` (any case), or npos.
std::size_t find_close_tag(std::string_view html, std::string_view name, std::size_t from) {
    while ((from = html.find("</", from)) != std::string_view::npos) {
        if (iequals(html.substr(from + 2, name.size()), name)) return from;
        from += 2;
    }
    return std::string_view::npos;
}

// White space collapsed, C0 controls read as white space, kBreak a paragraph break (or a space).
// Writes to `begin`, which may be `read` itself: the output is never longer than what was read.
char* finish(const char* read, std::size_t size, char* const begin, Breaks breaks) {
    char* write = begin;
    bool space = false, paragraph = false;
    for (std::size_t i = 0; i < size; ++i) {
        if (write != begin && !space && !paragraph) {
            // Inside a word (most bytes): copied until a byte that may be white space or a break.
            while (i<size&& static_cast<unsigned char>(read[i])> ' ' && read[i] != '\xC2')
                *write++ = read[i++];
            if (i == size) break;
        }
        const char c = read[i];
        if (c == kBreak) {
            (breaks == Breaks::paragraphs ? paragraph : space) = true;
            continue;
        }
        const bool nbsp = c == '\xC2' && i + 1 < size && read[i + 1] == '\xA0';
        if (static_cast<unsigned char>(c) <= ' ' || nbsp) {
            space = true;
            i += nbsp ? 1 : 0;
            continue;
        }
        if (write != begin && (space || paragraph)) *write++ = paragraph ? '\n' : ' ';
        space = paragraph = false;
        *write++ = c;
    }
    return write;
}

std::string finish(std::string&& text, Breaks breaks) {
    char* const end = finish(text.data(), text.size(), text.data(), breaks);
    text.resize(static_cast<std::size_t>(end - text.data()));
    return std::move(text);
}

}  // namespace

std::string html_to_text(std::string_view html, Breaks breaks) {
    if (find_markup(html) == std::string_view::npos) return finish(std::string(html), breaks);
    std::string stripped;
    stripped.reserve(html.size());
    std::size_t i = 0;
    while (i < html.size()) {
        const std::size_t lt = html.find('<', i);
        decode_html_entities(html.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i),
                             stripped);
        if (lt == std::string_view::npos) break;
        const char next = lt + 1 < html.size() ? html[lt + 1] : '\0';
        if (!(is_ascii_alpha(next) || next == '/' || next == '!' || next == '?')) {
            stripped.push_back('<');  // "a < b" is text
            i = lt + 1;
            continue;
        }
        if (html.substr(lt, 4) == "<!--") {
            const std::size_t end = html.find("-->", lt + 4);
            i = end == std::string_view::npos ? html.size() : end + 3;
            continue;
        }
        std::size_t end = html.find('>', lt);
        end = end == std::string_view::npos ? html.size() : end + 1;  // a cut-off tag carries no text
        const bool closing = next == '/';
        const std::size_t name_start = lt + 1 + (closing ? 1 : 0);
        std::size_t name_end = name_start;
        while (name_end < end && is_ascii_alpha(html[name_end])) ++name_end;
        while (name_end < end && is_ascii_digit(html[name_end])) ++name_end;
        const std::string_view name = html.substr(name_start, name_end - name_start);
        if (is_block(name))
            stripped.push_back(kBreak);
        else if (is_cell(name))
            stripped.push_back(' ');
        else if (!closing && (iequals(name, "script") || iequals(name, "style"))) {
            // Code and style sheets are not text: skip to the end of the element.
            const std::size_t close = find_close_tag(html, name, end);
            if (close == std::string_view::npos) break;
            end = html.find('>', close);
            end = end == std::string_view::npos ? html.size() : end + 1;
            stripped.push_back(' ');
        }
        i = end;
    }
    return finish(std::move(stripped), breaks);
}

std::string html_to_text(std::string&& html, Breaks breaks) {
    if (find_markup(html) == std::string::npos) return finish(std::move(html), breaks);
    return html_to_text(std::string_view(html), breaks);
}

}  // namespace feedd::text
