// Character references in XML text: the five of XML, numeric ones, and the HTML5 list that feeds
// use without declaring it (both from feedd_text). Entities declared in a DTD are never expanded:
// such a reference stays as text, so neither "billion laughs" nor external entities can do anything.
#include <cstdint>
#include <cstring>

#include "feedd/text/text.hpp"
#include "parse/internal.hpp"

namespace feedd::parse::detail {
namespace {

// XML 1.0 forbids these; feeds still contain them.
bool is_forbidden_control(unsigned char c) {
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

}  // namespace

std::string TextOrigin::describe(const char* at) const {
    std::string text = "<" + std::string(element) + ">";
    if (document.empty() || at < document.data() || at > document.data() + document.size()) return text;
    std::size_t line = 1, column = 1;
    for (const char* c = document.data(); c < at; ++c) {
        if (*c == '\n')
            ++line, column = 1;
        else if ((static_cast<unsigned char>(*c) & 0xC0) != 0x80)
            ++column;
    }
    return text + " (line " + std::to_string(line) + ", column " + std::to_string(column) + ")";
}

void decode_xml_text(std::string_view raw, std::string& out, Problems& problems, const TextOrigin& origin) {
    out.reserve(out.size() + raw.size());
    std::size_t i = 0;
    const std::size_t n = raw.size();
    while (i < n) {
        std::size_t run = i;
        // Eight bytes at a time while none is '&' or below 0x20 (tabs and newlines stop the fast
        // path, then the byte loop lets them through).
        while (run + 8 <= n) {
            std::uint64_t word;
            std::memcpy(&word, raw.data() + run, 8);
            constexpr std::uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
            const std::uint64_t amp = word ^ (ones * '&');
            const std::uint64_t special = ((amp - ones) & ~amp) | ((word - ones * 0x20) & ~word);
            if (special & highs) break;
            run += 8;
        }
        while (run < n && raw[run] != '&' && !is_forbidden_control(static_cast<unsigned char>(raw[run])))
            ++run;
        out.append(raw.data() + i, run - i);
        i = run;
        if (i >= n) break;
        if (raw[i] != '&') {
            problems.add_lazy(
                [&] { return "control character in " + origin.describe(raw.data() + i) + " dropped"; });
            ++i;
            continue;
        }
        const std::string_view rest = raw.substr(i);
        if (rest.size() > 2 && rest[1] == '#') {
            bool semicolon = false;
            if (const std::size_t used = feedd::text::decode_numeric_reference(rest, out, semicolon)) {
                if (!semicolon)
                    problems.add_lazy([&] {
                        return "character reference without ';' in " + origin.describe(raw.data() + i);
                    });
                i += used;
                continue;
            }
        }
        const std::size_t length = feedd::text::entity_name(rest).size();
        if (length > 0 && length + 1 < rest.size() && rest[length + 1] == ';') {
            const std::string_view name = rest.substr(1, length);
            if (name == "lt")
                out.push_back('<');
            else if (name == "gt")
                out.push_back('>');
            else if (name == "amp")
                out.push_back('&');
            else if (name == "quot")
                out.push_back('"');
            else if (name == "apos")
                out.push_back('\'');
            else if (const auto value = feedd::text::html_entity(name); !value.empty()) {
                problems.add_lazy([&] {
                    return "undeclared entity &" + std::string(name) + "; in " +
                           origin.describe(raw.data() + i) + ", read as HTML";
                });
                out.append(value);
            } else {
                // Unknown, perhaps declared in a DTD: kept as text, never expanded.
                problems.add_lazy([&] {
                    return "unknown entity &" + std::string(name) + "; in " +
                           origin.describe(raw.data() + i) + ", kept as text";
                });
                out.append(rest.substr(0, length + 2));
            }
            i += length + 2;
            continue;
        }
        problems.add_lazy(
            [&] { return "bare '&' in " + origin.describe(raw.data() + i) + ", read as '&amp;'"; });
        out.push_back('&');
        ++i;
    }
}

}  // namespace feedd::parse::detail
