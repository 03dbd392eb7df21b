// The one HTML sanitiser (docs/ARCHITECTURE.md, "Served HTML"). An allowlist over the tree an HTML5
// parser builds (gumbo), never a filter over text: what a browser would read as a tag, an
// attribute or a URL is judged as exactly that, whatever entities, case, tabs or broken markup
// spell it with.
#include <gumbo.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "feedd/html/html.hpp"
#include "feedd/text/text.hpp"
#include "feedd/url/url.hpp"

namespace feedd::html {
namespace {

struct GumboOutputDeleter {
    void operator()(GumboOutput* output) const { gumbo_destroy_output(&kGumboDefaultOptions, output); }
};

enum class Keep {
    element,  // written with its allowed attributes
    unwrap,   // the tag goes, its content stays
    drop,     // the element goes with everything inside it
};

Keep keep_of(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_A:
        case GUMBO_TAG_ABBR:
        case GUMBO_TAG_ADDRESS:
        case GUMBO_TAG_ARTICLE:
        case GUMBO_TAG_ASIDE:
        case GUMBO_TAG_AUDIO:
        case GUMBO_TAG_B:
        case GUMBO_TAG_BDI:
        case GUMBO_TAG_BDO:
        case GUMBO_TAG_BIG:
        case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_BR:
        case GUMBO_TAG_CAPTION:
        case GUMBO_TAG_CITE:
        case GUMBO_TAG_CODE:
        case GUMBO_TAG_COL:
        case GUMBO_TAG_COLGROUP:
        case GUMBO_TAG_DATA:
        case GUMBO_TAG_DD:
        case GUMBO_TAG_DEL:
        case GUMBO_TAG_DETAILS:
        case GUMBO_TAG_DFN:
        case GUMBO_TAG_DIV:
        case GUMBO_TAG_DL:
        case GUMBO_TAG_DT:
        case GUMBO_TAG_EM:
        case GUMBO_TAG_FIGCAPTION:
        case GUMBO_TAG_FIGURE:
        case GUMBO_TAG_FOOTER:
        case GUMBO_TAG_H1:
        case GUMBO_TAG_H2:
        case GUMBO_TAG_H3:
        case GUMBO_TAG_H4:
        case GUMBO_TAG_H5:
        case GUMBO_TAG_H6:
        case GUMBO_TAG_HEADER:
        case GUMBO_TAG_HGROUP:
        case GUMBO_TAG_HR:
        case GUMBO_TAG_I:
        case GUMBO_TAG_IMG:
        case GUMBO_TAG_INS:
        case GUMBO_TAG_KBD:
        case GUMBO_TAG_LI:
        case GUMBO_TAG_MAIN:
        case GUMBO_TAG_MARK:
        case GUMBO_TAG_NAV:
        case GUMBO_TAG_OL:
        case GUMBO_TAG_P:
        case GUMBO_TAG_PRE:
        case GUMBO_TAG_Q:
        case GUMBO_TAG_RP:
        case GUMBO_TAG_RT:
        case GUMBO_TAG_RTC:
        case GUMBO_TAG_RUBY:
        case GUMBO_TAG_S:
        case GUMBO_TAG_SAMP:
        case GUMBO_TAG_SECTION:
        case GUMBO_TAG_SMALL:
        case GUMBO_TAG_SOURCE:
        case GUMBO_TAG_SPAN:
        case GUMBO_TAG_STRIKE:
        case GUMBO_TAG_STRONG:
        case GUMBO_TAG_SUB:
        case GUMBO_TAG_SUMMARY:
        case GUMBO_TAG_SUP:
        case GUMBO_TAG_TABLE:
        case GUMBO_TAG_TBODY:
        case GUMBO_TAG_TD:
        case GUMBO_TAG_TFOOT:
        case GUMBO_TAG_TH:
        case GUMBO_TAG_THEAD:
        case GUMBO_TAG_TIME:
        case GUMBO_TAG_TR:
        case GUMBO_TAG_TRACK:
        case GUMBO_TAG_TT:
        case GUMBO_TAG_U:
        case GUMBO_TAG_UL:
        case GUMBO_TAG_VAR:
        case GUMBO_TAG_VIDEO:
        case GUMBO_TAG_WBR:
        case GUMBO_TAG_IFRAME:  // only on an allowed src (embed_src), else dropped
            return Keep::element;
        // Code, styles, the document's head, plugins, frames, form controls. Elements that bound
        // the parser's scopes (applet, object, marquee, button, template) go whole: unwrapped,
        // what they held would be read differently the next time (a <p> inside a <p>).
        case GUMBO_TAG_SCRIPT:
        case GUMBO_TAG_STYLE:
        case GUMBO_TAG_NOSCRIPT:
        case GUMBO_TAG_TEMPLATE:
        case GUMBO_TAG_HEAD:
        case GUMBO_TAG_TITLE:
        case GUMBO_TAG_BASE:
        case GUMBO_TAG_META:
        case GUMBO_TAG_LINK:
        case GUMBO_TAG_OBJECT:
        case GUMBO_TAG_EMBED:
        case GUMBO_TAG_APPLET:
        case GUMBO_TAG_PARAM:
        case GUMBO_TAG_FRAME:
        case GUMBO_TAG_FRAMESET:
        case GUMBO_TAG_NOFRAMES:
        case GUMBO_TAG_NOEMBED:
        case GUMBO_TAG_MARQUEE:
        case GUMBO_TAG_INPUT:
        case GUMBO_TAG_BUTTON:
        case GUMBO_TAG_SELECT:
        case GUMBO_TAG_OPTION:
        case GUMBO_TAG_OPTGROUP:
        case GUMBO_TAG_TEXTAREA:
        case GUMBO_TAG_DATALIST:
        case GUMBO_TAG_KEYGEN:
        case GUMBO_TAG_MENUITEM:
        case GUMBO_TAG_CANVAS:
        case GUMBO_TAG_MAP:
        case GUMBO_TAG_AREA:
        case GUMBO_TAG_SVG:
        case GUMBO_TAG_MATH: return Keep::drop;
        default:  // form, label, font, center, unknown elements, ...: their text stays
            return Keep::unwrap;
    }
}

bool is_void(GumboTag tag) {
    switch (tag) {
        case GUMBO_TAG_BR:
        case GUMBO_TAG_COL:
        case GUMBO_TAG_HR:
        case GUMBO_TAG_IMG:
        case GUMBO_TAG_SOURCE:
        case GUMBO_TAG_TRACK:
        case GUMBO_TAG_WBR: return true;
        default: return false;
    }
}

enum class Value {
    plain,   // text, escaped
    link,    // a URL a reader may follow (a href)
    media,   // a URL a reader loads (src, poster, cite)
    srcset,  // a list of media URLs with descriptors
};

// The attributes an element keeps, and what each holds. Event handlers, style, id and class are
// never kept (id and name clobber the reader's own page; style can overlay it).
bool allowed_attribute(GumboTag tag, std::string_view name, Value& value) {
    value = Value::plain;
    if (name == "title" || name == "lang" || name == "dir") return true;
    auto any = [name](std::initializer_list<std::string_view> names) {
        for (auto candidate : names)
            if (name == candidate) return true;
        return false;
    };
    switch (tag) {
        case GUMBO_TAG_A:
            if (name == "href") value = Value::link;
            return any({"href", "hreflang"});
        case GUMBO_TAG_IMG:
            if (name == "src") value = Value::media;
            if (name == "srcset") value = Value::srcset;
            return any({"src", "srcset", "sizes", "alt", "width", "height"});
        case GUMBO_TAG_VIDEO:
            if (name == "src" || name == "poster") value = Value::media;
            return any(
                {"src", "poster", "controls", "width", "height", "loop", "muted", "preload", "playsinline"});
        case GUMBO_TAG_AUDIO:
            if (name == "src") value = Value::media;
            return any({"src", "controls", "loop", "muted", "preload"});
        case GUMBO_TAG_SOURCE:
            if (name == "src") value = Value::media;
            if (name == "srcset") value = Value::srcset;
            return any({"src", "srcset", "type", "media", "sizes"});
        case GUMBO_TAG_TRACK:
            if (name == "src") value = Value::media;
            return any({"src", "kind", "srclang", "label", "default"});
        case GUMBO_TAG_TD:
        case GUMBO_TAG_TH: return any({"colspan", "rowspan", "headers", "scope", "abbr"});
        case GUMBO_TAG_COL:
        case GUMBO_TAG_COLGROUP: return name == "span";
        case GUMBO_TAG_OL: return any({"start", "reversed", "type"});
        case GUMBO_TAG_LI:
        case GUMBO_TAG_DATA: return name == "value";
        case GUMBO_TAG_BLOCKQUOTE:
        case GUMBO_TAG_Q:
            if (name == "cite") value = Value::media;
            return name == "cite";
        case GUMBO_TAG_DEL:
        case GUMBO_TAG_INS:
            if (name == "cite") value = Value::media;
            return any({"cite", "datetime"});
        case GUMBO_TAG_TIME: return name == "datetime";
        case GUMBO_TAG_DETAILS: return name == "open";
        case GUMBO_TAG_IFRAME: return any({"width", "height", "allowfullscreen"});  // src: embed_src
        default: return false;
    }
}

// A URL as a browser reads it: leading and trailing spaces and controls dropped, tabs and line
// breaks removed wherever they are ("java\tscript:" is javascript:).
std::string browser_url(std::string_view raw) {
    std::string out;
    for (char c : text::trim_controls(raw))
        if (c != '\t' && c != '\n' && c != '\r') out += c;
    return out;
}

bool is_web(std::string_view scheme) {
    return scheme == "http" || scheme == "https";
}

// A data: URL of a raster image: shown by an <img>, it runs nothing (SVG is not among them: an
// SVG document can hold script).
bool is_raster_data_url(std::string_view url) {
    const std::string head = text::to_lower(url.substr(0, 32));
    for (std::string_view type : {"data:image/png", "data:image/gif", "data:image/jpeg", "data:image/jpg",
                                  "data:image/webp", "data:image/avif", "data:image/bmp"}) {
        if (head.starts_with(type) && head.size() > type.size() &&
            (head[type.size()] == ';' || head[type.size()] == ','))
            return true;
    }
    return false;
}

// The URL to write, absolute against `base`, or empty when it may not stay.
// A URL that cannot be made absolute goes: in a reader it would point nowhere.
std::string safe_url(std::string_view raw, std::string_view base, Value kind, bool image) {
    std::string url = url::encode_unsafe(browser_url(raw));
    if (url.empty()) return {};
    std::string scheme = url::scheme(url);
    if (scheme.empty()) {
        url = url::resolve(base, url);
        scheme = url::scheme(url);
    }
    url.replace(0, scheme.size(), scheme);  // "HTTPS:" as "https:
    if (is_web(scheme))                     // "https:x" and "https:/x" have no host
        return url.compare(scheme.size(), 3, "://") == 0 && url::parse(url) ? url : std::string();
    if (kind == Value::link &&
        (scheme == "mailto" || scheme == "tel" || scheme == "ftp" || scheme == "magnet"))
        return url;
    if (image && scheme == "data" && is_raster_data_url(url)) return url;
    return {};
}

// A srcset descriptor: "2x", "1.5x", "640w" (a height "480h" with a width).
bool good_descriptor(std::string_view descriptor) {
    if (descriptor.size() < 2) return false;
    const char unit = descriptor.back();
    if (unit != 'w' && unit != 'x' && unit != 'h') return false;
    for (char c : descriptor.substr(0, descriptor.size() - 1))
        if (!(c >= '0' && c <= '9') && c != '.') return false;
    return true;
}

// srcset: "url [descriptor], url [descriptor], ..." (HTML's parsing rules: a URL is everything up
// to white space; commas at its end separate it from the next). Each URL is judged like a src;
// a candidate with a URL or descriptor that is not kept goes.
std::string safe_srcset(std::string_view raw, std::string_view base) {
    std::string out;
    std::size_t i = 0;
    while (i < raw.size()) {
        while (i < raw.size() && (text::is_html_space(raw[i]) || raw[i] == ',')) ++i;
        if (i >= raw.size()) break;
        std::size_t end = i;
        while (end < raw.size() && !text::is_html_space(raw[end])) ++end;
        std::string_view url = raw.substr(i, end - i);
        bool ended = false;
        while (!url.empty() && url.back() == ',') {
            url.remove_suffix(1);
            ended = true;
        }
        i = end;
        std::vector<std::string_view> descriptors;
        if (!ended) {
            // Descriptors up to the next comma outside parentheses.
            int depth = 0;
            std::size_t start = i;
            auto take = [&](std::size_t to) {
                auto word = text::trim(raw.substr(start, to - start), " \t\n\r\f");
                if (!word.empty()) descriptors.push_back(word);
            };
            for (; i < raw.size(); ++i) {
                const char c = raw[i];
                if (c == '(') ++depth;
                if (c == ')' && depth > 0) --depth;
                if (depth == 0 && text::is_html_space(c)) {
                    take(i);
                    start = i + 1;
                } else if (depth == 0 && c == ',') {
                    break;
                }
            }
            take(i);
        }
        bool good = descriptors.size() <= 2;
        for (auto descriptor : descriptors) good = good && good_descriptor(descriptor);
        std::string safe = good ? safe_url(url, base, Value::media, false) : std::string();
        // A URL that ends with a comma would be read apart differently.
        if (safe.empty() || safe.ends_with(',')) continue;
        if (!out.empty()) out += ", ";
        out += safe;
        for (auto descriptor : descriptors) {
            out += ' ';
            out += descriptor;
        }
    }
    return out;
}

// Embedded players of well-known video hosts, https only: the one kind of frame a reader shows.
bool is_embed_src(std::string_view src) {
    const auto parts = url::parse(src);
    if (!parts || parts->scheme != "https" || !parts->userinfo.empty() || !parts->port.empty()) return false;
    struct Player {
        std::string_view host, path;
    };
    static constexpr std::array<Player, 7> players{{
        {"www.youtube.com", "/embed/"},
        {"youtube.com", "/embed/"},
        {"www.youtube-nocookie.com", "/embed/"},
        {"youtube-nocookie.com", "/embed/"},
        {"player.vimeo.com", "/video/"},
        {"www.dailymotion.com", "/embed/video/"},
        {"w.soundcloud.com", "/player/"},
    }};
    for (const auto& player : players)
        if (parts->host == player.host && parts->path.starts_with(player.path)) return true;
    return false;
}

void append_attribute(std::string& out, std::string_view name, std::string_view value) {
    out += ' ';
    out += name;
    out += "=\"";
    append_escaped(out, value, true);
    out += '"';
}

// The element's name as written. gumbo 0.10 knows no <picture>: it is the one unknown element
// kept (sources and an img inside it).
std::string_view tag_name(const GumboElement& element) {
    if (element.tag != GUMBO_TAG_UNKNOWN) return gumbo_normalized_tagname(element.tag);
    GumboStringPiece piece = element.original_tag;
    gumbo_tag_from_original_text(&piece);
    if (piece.length == 7 && text::iequals(std::string_view(piece.data, piece.length), "picture"))
        return "picture";
    return "unknown";
}

class Writer {
  public:
    explicit Writer(std::string_view base) : base_(base) {}

    // Document order, without recursion: content may nest deeper than the stack allows.
    void write_children(const GumboNode* root) {
        struct Frame {
            const GumboNode* node;
            unsigned next;
            std::string_view open;  // the tag written: closed after its children (empty: none)
        };
        std::vector<Frame> stack{{root, 0, {}}};
        while (!stack.empty()) {
            Frame& frame = stack.back();
            const GumboVector& children = frame.node->v.element.children;
            if (frame.next >= children.length) {
                if (!frame.open.empty()) {
                    out_ += "</";
                    out_ += frame.open;
                    out_ += '>';
                }
                stack.pop_back();
                continue;
            }
            const auto* child = static_cast<const GumboNode*>(children.data[frame.next++]);
            switch (child->type) {
                case GUMBO_NODE_TEXT:
                case GUMBO_NODE_WHITESPACE:
                case GUMBO_NODE_CDATA: {
                    std::string_view text = child->v.text.text;
                    // The parser drops a <pre>'s first line break: write the one the text starts
                    // with twice, or the next reading loses it.
                    if (frame.open == "pre" && frame.next == 1 && text.starts_with('\n')) out_ += '\n';
                    append_escaped(out_, text, false);
                    break;
                }
                case GUMBO_NODE_ELEMENT: {
                    const GumboElement& element = child->v.element;
                    const std::string_view name = tag_name(element);
                    Keep keep = element.tag_namespace != GUMBO_NAMESPACE_HTML ? Keep::drop
                                : name == "picture"                           ? Keep::element
                                                                              : keep_of(element.tag);
                    if (keep == Keep::drop) break;
                    if (keep == Keep::element && !open(element, name)) break;
                    if (keep == Keep::element && is_void(element.tag)) break;
                    if (keep == Keep::element && element.tag == GUMBO_TAG_IFRAME) {
                        // What a frame holds is raw text to the parser, not markup: written
                        // escaped, it would read differently the next time. A player needs none.
                        out_ += "</iframe>";
                        break;
                    }
                    stack.push_back({child, 0, keep == Keep::element ? name : std::string_view()});
                    break;
                }
                default:  // comments, templates, the document
                    break;
            }
        }
    }

    std::string take() { return std::move(out_); }

  private:
    // Writes the start tag; false when the element goes whole (a frame that is no known player,
    // an image or a source with nothing to show).
    bool open(const GumboElement& element, std::string_view name) {
        std::string attributes;
        bool has_source = false;
        const bool image = element.tag == GUMBO_TAG_IMG;
        for (unsigned i = 0; i < element.attributes.length; ++i) {
            const auto* attribute = static_cast<const GumboAttribute*>(element.attributes.data[i]);
            if (attribute->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE) continue;
            const std::string_view attribute_name = attribute->name;
            if (element.tag == GUMBO_TAG_IFRAME && attribute_name == "src") {
                std::string src = safe_url(attribute->value, base_, Value::media, false);
                if (!is_embed_src(src)) return false;
                append_attribute(attributes, "src", src);
                has_source = true;
                continue;
            }
            Value kind;
            if (!allowed_attribute(element.tag, attribute_name, kind)) continue;
            std::string value;
            if (kind == Value::plain) {
                value = attribute->value;
            } else if (kind == Value::srcset) {
                value = safe_srcset(attribute->value, base_);
                has_source = has_source || !value.empty();
            } else {
                value = safe_url(attribute->value, base_, kind, image && attribute_name == "src");
                has_source = has_source || (!value.empty() && attribute_name == "src");
            }
            if (kind != Value::plain && value.empty()) continue;
            append_attribute(attributes, attribute_name, value);
        }
        switch (element.tag) {
            case GUMBO_TAG_IFRAME:
                if (!has_source) return false;
                // Players need their scripts and their own origin; nothing else: no forms, no
                // navigating the reader's page, no popups without the user.
                append_attribute(attributes, "sandbox",
                                 "allow-scripts allow-same-origin allow-presentation allow-popups");
                append_attribute(attributes, "referrerpolicy", "strict-origin-when-cross-origin");
                append_attribute(attributes, "loading", "lazy");
                break;
            case GUMBO_TAG_IMG:
            case GUMBO_TAG_SOURCE:
            case GUMBO_TAG_TRACK:
                if (!has_source) return false;
                break;
            case GUMBO_TAG_A: append_attribute(attributes, "rel", "noopener noreferrer"); break;
            default: break;
        }
        out_ += '<';
        out_ += name;
        out_ += attributes;
        out_ += '>';
        return true;
    }

    std::string_view base_;
    std::string out_;
};

// One reading and writing: the tree gumbo builds, written back through the allowlist.
std::string clean_once(std::string_view html, std::string_view base_url) {
    // A fragment, read as the content of a <div> (as a reader shows it).
    GumboOptions options = kGumboDefaultOptions;
    options.fragment_context = GUMBO_TAG_DIV;
    options.fragment_namespace = GUMBO_NAMESPACE_HTML;
    options.max_errors = 0;  // errors are not read: recording them only costs
    std::unique_ptr<GumboOutput, GumboOutputDeleter> output(
        gumbo_parse_with_options(&options, html.data(), html.size()));
    if (!output || output->root->type != GUMBO_NODE_ELEMENT) return {};
    Writer writer(base_url);
    writer.write_children(output->root);
    return writer.take();
}

// The plain text of `html`, one <p> per paragraph: what is served of HTML the sanitiser does not
// read (too deep for gumbo) or cannot make stable.
std::string paragraphs(std::string_view html) {
    const std::string plain = text::html_to_text(html, text::Breaks::paragraphs);
    std::string out;
    std::size_t start = 0;
    while (start < plain.size()) {
        std::size_t end = plain.find('\n', start);
        if (end == std::string::npos) end = plain.size();
        if (end > start) {
            out += "<p>";
            append_escaped(out, std::string_view(plain).substr(start, end - start), false);
            out += "</p>";
        }
        start = end + 1;
    }
    return out;
}

// What gumbo is given of served HTML: no article needs more, and past these gumbo's cost grows with
// the square of the depth (50 000 nested <div>, 250 KB, took it a minute).
constexpr PageLimits served_limits{static_cast<std::size_t>(-1), 200000, 64, 512};

}  // namespace

void append_escaped(std::string& out, std::string_view text, bool attribute) {
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"':
                if (attribute)
                    out += "&quot;";
                else
                    out += c;
                break;
            case '\0': break;  // the parser already replaced those it read; none is written
            default: out += c;
        }
    }
}

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (char c : text) {
        if (c == '\'')
            out += "&#39;";
        else
            append_escaped(out, std::string_view(&c, 1), true);
    }
    return out;
}

std::string sanitize(std::string_view html, std::string_view base_url) {
    if (html.empty()) return {};
    std::string valid;
    if (text::find_invalid_utf8(html) != std::string_view::npos) {
        valid = text::valid_utf8(html);
        html = valid;
    }
    // The output must read as it was written, or what a reader's parser builds from it is not what
    // was judged. Unwrapping an element can change how the parser nests what it held (an <li> in
    // an unknown element in an <li> is closed by the next reading), so the result is read once
    // more: almost always it is unchanged; otherwise the second result is read again, and HTML
    // that still moves after a few rounds is served as its plain text.
    if (bounded_page(html, served_limits).size() < html.size()) return paragraphs(html);
    std::string result = clean_once(html, base_url);
    for (int round = 0; round < 3; ++round) {
        std::string again = clean_once(result, base_url);
        if (again == result) return result;
        result = std::move(again);
    }
    return paragraphs(html);
}

}  // namespace feedd::html
