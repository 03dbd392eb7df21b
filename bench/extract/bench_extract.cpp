// feedd's article extractor over a folder of pages: the time per page (median of --runs), and the
// text of each page written for run.py to score. Each run also times libxml2's HTML parse of every
// page alone, with nothing done with what it reads: the limit of an extractor on that parser.
//
//     build/bench/extract/bench_extract DIR --runs 5 --out OUT
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>

#include "feedd/parse/parse.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_extract DIR [--runs N] [--out DIR]\n");
        return 2;
    }
    fs::path dir = argv[1], out;
    int runs = 5;
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--runs") runs = std::max(1, std::stoi(argv[i + 1]));
        if (flag == "--out") out = argv[i + 1];
    }
    struct Page {
        fs::path path;
        std::string bytes;
    };
    std::vector<Page> pages;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() != ".html") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        pages.push_back({entry.path(), text.str()});
    }
    std::sort(pages.begin(), pages.end(), [](const Page& a, const Page& b) { return a.path < b.path; });
    if (!out.empty()) fs::create_directories(out);

    std::size_t bytes = 0;
    for (const auto& page : pages) bytes += page.bytes.size();
    std::vector<double> seconds, parse_seconds;
    for (int run = 0; run < runs; ++run) {
        const auto parse_start = std::chrono::steady_clock::now();
        for (const auto& page : pages) {
            htmlParserCtxtPtr parser =
                htmlCreateMemoryParserCtxt(page.bytes.data(), static_cast<int>(page.bytes.size()));
            *parser->sax = htmlSAXHandler{};
            htmlCtxtUseOptions(parser, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                           HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
            xmlSwitchEncoding(parser, XML_CHAR_ENCODING_UTF8);
            htmlParseDocument(parser);
            htmlFreeParserCtxt(parser);
        }
        parse_seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - parse_start).count());
        const auto start = std::chrono::steady_clock::now();
        for (const auto& page : pages) {
            const auto extracted =
                feedd::parse::extract_article(page.bytes, {"https://site.example/story", "text/html", {}});
            if (run == 0 && !out.empty()) {
                std::ofstream text(out / page.path.filename().replace_extension(".txt"), std::ios::binary);
                text << extracted.text << '\n';
            }
        }
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    const auto median = [](std::vector<double> values) {
        std::sort(values.begin(), values.end());
        return values[values.size() / 2];
    };
    const double per_page = 1000.0 / static_cast<double>(pages.size());
    std::printf(
        "{\"pages\": %zu, \"bytes\": %zu, \"runs\": %d, \"median_s\": %.6f, \"ms_per_page\": %.4f, "
        "\"parser_ms_per_page\": %.4f}\n",
        pages.size(), bytes, runs, median(seconds), per_page * median(seconds),
        per_page * median(parse_seconds));
    return 0;
}
