#include "corpus.hpp"

#include <array>
#include <cstdio>
#include <random>
#include <string_view>

namespace feedd::bench {
namespace {

constexpr std::array<std::string_view, 40> kWords = {"policy",
                                                     "meeting",
                                                     "western",
                                                     "region",
                                                     "development",
                                                     "energy",
                                                     "market",
                                                     "growth",
                                                     "reform",
                                                     "China",
                                                     "Chongqing",
                                                     "trade",
                                                     "rail",
                                                     "port",
                                                     "forum",
                                                     "investors",
                                                     "climate",
                                                     "city",
                                                     "river",
                                                     "summit",
                                                     "report",
                                                     "science",
                                                     "research",
                                                     "data",
                                                     "caf\xC3\xA9",
                                                     "na\xC3\xAFve",
                                                     "\xE4\xB8\xAD\xE5\x9B\xBD",
                                                     "\xE8\xA5\xBF\xE9\x83\xA8",
                                                     "M\xC3\xBCnchen",
                                                     "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0",
                                                     "r\xC3\xA9sum\xC3\xA9",
                                                     "the",
                                                     "of",
                                                     "and",
                                                     "to",
                                                     "in",
                                                     "for",
                                                     "with",
                                                     "on"};

class Writer {
  public:
    explicit Writer(std::uint32_t seed) : random_(seed) {}

    int pick(int n) { return static_cast<int>(random_() % static_cast<unsigned>(n)); }

    std::string words(int count) {
        std::string out;
        for (int i = 0; i < count; ++i) {
            if (i) out += ' ';
            out += kWords[pick(static_cast<int>(kWords.size()))];
        }
        return out;
    }

    // A paragraph of HTML with links, an image and now and then an HTML entity.
    // `xhtml`: well-formed XML (for Atom xhtml content), else HTML as sites write it.
    std::string html_body(int paragraphs, bool entities, bool xhtml = false) {
        std::string out;
        out += "<img src=\"/img/" + std::to_string(pick(100000)) + ".jpg\" alt=\"" + words(4) +
               (xhtml ? "\"/>\n" : "\">\n");
        for (int p = 0; p < paragraphs; ++p) {
            out += "<p>" + words(20 + pick(40));
            if (pick(3) == 0)
                out += " <a href=\"/news/" + std::to_string(pick(100000)) + ".html\">" + words(3) + "</a>";
            if (pick(4) == 0)
                out += std::string(" <a href=\"https://example.org/x?a=1") + (xhtml ? "&amp;" : "&") +
                       "b=2\">" + words(2) + "</a>";
            if (entities && pick(3) == 0) out += " &mdash; &copy; 2024";
            out += " " + words(15) + ".</p>\n";
        }
        return out;
    }

    static std::string escape(std::string_view html) {
        std::string out;
        out.reserve(html.size() + html.size() / 5);
        for (char c : html) {
            if (c == '<')
                out += "&lt;";
            else if (c == '>')
                out += "&gt;";
            else if (c == '&')
                out += "&amp;";
            else
                out += c;
        }
        return out;
    }

    std::string rfc822(int i) {
        static constexpr std::array<std::string_view, 7> days = {"Mon", "Tue", "Wed", "Thu",
                                                                 "Fri", "Sat", "Sun"};
        static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%s, %02d %s 2024 %02d:%02d:%02d %s", days[i % 7].data(),
                      1 + pick(28), months[pick(12)].data(), pick(24), pick(60), pick(60),
                      pick(2) ? "+0800" : "GMT");
        return buffer;
    }

    std::string iso(bool zone) {
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "2024-%02d-%02dT%02d:%02d:%02d%s", 1 + pick(12), 1 + pick(28),
                      pick(24), pick(60), pick(60), zone ? "+02:00" : "Z");
        return buffer;
    }

    std::string rss(int items, bool entities) {
        std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        out +=
            "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" "
            "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:media=\"http://search.yahoo.com/mrss/\" "
            "xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n";
        out += "<title>" + escape(words(4)) + "</title>\n<link>https://news.example.com/section/</link>\n";
        out +=
            "<atom:link href=\"https://news.example.com/rss.xml\" rel=\"self\" "
            "type=\"application/rss+xml\"/>\n";
        out +=
            "<description>" + escape(words(12)) + "</description>\n<language>en</language>\n<ttl>30</ttl>\n";
        out += "<lastBuildDate>" + rfc822(0) + "</lastBuildDate>\n";
        for (int i = 0; i < items; ++i) {
            const std::string id = std::to_string(pick(1 << 30));
            out += "<item>\n<title>" + escape(words(8)) +
                   (entities && i % 5 == 0 ? " &ndash; &hellip;" : "") + "</title>\n";
            out += "<link>" + std::string(i % 4 ? "https://news.example.com" : "") + "/news/" + id +
                   "/index.html?utm_source=rss&amp;utm_medium=feed</link>\n";
            out += "<guid isPermaLink=\"false\">" + id + "</guid>\n<pubDate>" + rfc822(i) + "</pubDate>\n";
            out += "<dc:creator>" + words(2) + "</dc:creator>\n<category>" + words(1) +
                   "</category><category>" + words(1) + "</category>\n";
            if (i % 2)
                out += "<media:content url=\"https://img.example.com/" + id +
                       ".jpg\" medium=\"image\" type=\"image/jpeg\"/>\n";
            if (i % 7 == 0)
                out += "<enclosure url=\"https://media.example.com/" + id +
                       ".mp3\" length=\"123456\" type=\"audio/mpeg\"/>\n";
            out += "<description>" + escape("<p>" + words(30) + "</p>") + "</description>\n";
            out += "<content:encoded><![CDATA[" + html_body(4 + pick(8), false) +
                   "]]></content:encoded>\n</item>\n";
        }
        return out + "</channel>\n</rss>\n";
    }

    std::string atom(int items) {
        std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
        out +=
            "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"en\" "
            "xml:base=\"https://blog.example.net/\">\n";
        out += "<title type=\"text\">" + escape(words(4)) + "</title>\n<subtitle type=\"html\">" +
               escape("<em>" + words(6) + "</em>") + "</subtitle>\n";
        out +=
            "<link rel=\"alternate\" type=\"text/html\" "
            "href=\"blog/\"/>\n<id>tag:blog.example.net,2024:feed</id>\n";
        out += "<updated>" + iso(false) + "</updated>\n";
        for (int i = 0; i < items; ++i) {
            const std::string id = std::to_string(pick(1 << 30));
            out += "<entry>\n<title type=\"html\">" + escape(words(8) + " &amp; more") + "</title>\n";
            out += "<link rel=\"alternate\" type=\"text/html\" href=\"posts/" + id + ".html\"/>\n";
            out += "<id>tag:blog.example.net,2024:" + id + "</id>\n<published>" + iso(true) +
                   "</published>\n<updated>" + iso(false) + "</updated>\n";
            out += "<author><name>" + words(2) + "</name></author>\n<category term=\"" + words(1) + "\"/>\n";
            out += "<summary type=\"text\">" + escape(words(25)) + "</summary>\n";
            if (i % 3 == 0)
                out += "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">" +
                       html_body(3 + pick(5), false, true) + "</div></content>\n";
            else
                out += "<content type=\"html\">" + escape(html_body(4 + pick(8), false)) + "</content>\n";
            out += "</entry>\n";
        }
        return out + "</feed>\n";
    }

    std::string rdf(int items) {
        std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
        out +=
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
            "xmlns=\"http://purl.org/rss/1.0/\" "
            "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" "
            "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n";
        out += "<channel rdf:about=\"https://rdf.example.org/\">\n<title>" + escape(words(3)) +
               "</title>\n<link>https://rdf.example.org/</link>\n<description>" + escape(words(10)) +
               "</description>\n<dc:date>" + iso(true) + "</dc:date>\n</channel>\n";
        for (int i = 0; i < items; ++i) {
            const std::string id = std::to_string(pick(1 << 30));
            out += "<item rdf:about=\"https://rdf.example.org/" + id + "\">\n<title>" + escape(words(7)) +
                   "</title>\n<link>https://rdf.example.org/" + id + "</link>\n";
            out += "<dc:date>" + iso(i % 2) + "</dc:date>\n<dc:creator>" + words(2) +
                   "</dc:creator>\n<dc:subject>" + words(1) + "</dc:subject>\n";
            out += "<description>" + escape(html_body(2 + pick(6), false)) + "</description>\n</item>\n";
        }
        return out + "</rdf:RDF>\n";
    }

  private:
    std::mt19937 random_;
};

// UTF-8 to ISO-8859-1 where possible ('?' elsewhere), with the declaration saying so.
std::string to_latin1(const std::string& utf8) {
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(utf8[i]);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size()) {
            out += static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(utf8[++i]) & 0x3F));
        } else {
            out += '?';
            while (i + 1 < utf8.size() && (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80) ++i;
        }
    }
    const std::string from = "encoding=\"UTF-8\"", to = "encoding=\"ISO-8859-1\"";
    if (const auto at = out.find(from); at != std::string::npos) out.replace(at, from.size(), to);
    return out;
}

}  // namespace

std::vector<CorpusFile> generate_corpus(std::size_t total_bytes, std::uint32_t seed) {
    Writer writer(seed);
    std::vector<CorpusFile> corpus;
    std::size_t size = 0;
    for (int n = 0; size < total_bytes; ++n) {
        const int items = 20 + writer.pick(60);
        CorpusFile file;
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "%04d-", n);
        switch (n % 10) {
            case 0:
            case 1:
            case 2:
            case 3: file = {std::string(prefix) + "rss.xml", writer.rss(items, false)}; break;
            case 4: file = {std::string(prefix) + "rss-entities.xml", writer.rss(items, true)}; break;
            case 5:
                file = {std::string(prefix) + "rss-latin1.xml", to_latin1(writer.rss(items, false))};
                break;
            case 6:
            case 7:
            case 8: file = {std::string(prefix) + "atom.xml", writer.atom(items)}; break;
            default: file = {std::string(prefix) + "rdf.xml", writer.rdf(items)}; break;
        }
        size += file.bytes.size();
        corpus.push_back(std::move(file));
    }
    return corpus;
}

}  // namespace feedd::bench
