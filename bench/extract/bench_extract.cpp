// feedd's article extractor over a folder of pages: the time per page (median of --runs), and the
// text of each page written for run.py to score.
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
    std::vector<double> seconds;
    for (int run = 0; run < runs; ++run) {
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
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    std::printf("{\"pages\": %zu, \"bytes\": %zu, \"runs\": %d, \"median_s\": %.6f, \"ms_per_page\": %.4f}\n",
                pages.size(), bytes, runs, median, 1000.0 * median / static_cast<double>(pages.size()));
    return 0;
}
