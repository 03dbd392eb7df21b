// The limits a cold poll is measured against, on the corpus it polls: pugixml's load_buffer over
// every feed file, and inserting every item into SQLite with the archive's FTS indexes (the trigram
// index over the items with CJK text) in one transaction (bench/store/raw_table.hpp). Fetching is
// measured by run.py with curl itself.
//
//   bench_limits DIR [--runs 3] [--work DIR]
//
// Prints one line per limit: "parse <seconds> <MB/s> <cpu seconds>" and "insert <seconds> <rows>
// <cpu seconds> <rows with CJK text>" (medians), for run.py to read. The inserts get a 64 MiB page
// cache: the limit is what SQLite does at its best, not within the daemon's memory. Its plain text
// is tags stripped, entities left (bench/store/raw_table.hpp): CJK written as character references
// in escaped HTML is not CJK here, so a few rows fewer than the archive's reach the trigram index
// (1 314 against 1 334 on the shared corpus of 1 000 feeds).
#include <pugixml.hpp>

#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../store/raw_table.hpp"
#include "feedd/store/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds of this process (user + system): the machine may be shared, wall time is not ours.
double cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

struct Row {
    std::string feed, guid, link, title, author, summary, content, text, cjk;
};

std::string_view local_name(const pugi::xml_node& node) {
    std::string_view name = node.name();
    auto colon = name.rfind(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

// Every item / entry of a feed, its fields read the plainest way (the first value found).
void collect(const pugi::xml_node& node, const std::string& feed, std::vector<Row>& rows) {
    for (auto child : node.children()) {
        if (child.type() != pugi::node_element) continue;
        auto name = local_name(child);
        if (name != "item" && name != "entry") {
            collect(child, feed, rows);
            continue;
        }
        Row row;
        row.feed = feed;
        for (auto field : child.children()) {
            auto field_name = local_name(field);
            std::string value = field.text().get();
            if (field_name == "title" && row.title.empty())
                row.title = value;
            else if (field_name == "link" && row.link.empty())
                row.link = value.empty() ? field.attribute("href").value() : value;
            else if ((field_name == "guid" || field_name == "id") && row.guid.empty())
                row.guid = value;
            else if ((field_name == "creator" || field_name == "author") && row.author.empty())
                row.author = value.empty() ? field.child("name").text().get() : value;
            else if ((field_name == "description" || field_name == "summary") && row.summary.empty())
                row.summary = value;
            else if ((field_name == "encoded" || field_name == "content") && row.content.empty())
                row.content = value;
        }
        row.text = feedd::bench::strip_tags(row.content.empty() ? row.summary : row.content);
        row.cjk = feedd::store::cjk_index_text(row.title, row.author, row.text);
        rows.push_back(std::move(row));
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_limits DIR [--runs 3] [--work DIR]\n");
        return 2;
    }
    fs::path dir = argv[1];
    int runs = 3;
    fs::path work = fs::temp_directory_path();
    for (int i = 2; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--runs") == 0)
            runs = std::max(1, std::atoi(argv[i + 1]));
        else if (std::strcmp(argv[i], "--work") == 0)
            work = argv[i + 1];
    }
    std::vector<std::pair<std::string, std::string>> files;
    std::size_t bytes = 0;
    for (const auto& item : fs::directory_iterator(dir)) {
        auto ext = item.path().extension();
        if (ext != ".xml" && ext != ".rss" && ext != ".atom" && ext != ".rdf") continue;
        std::ifstream in(item.path(), std::ios::binary);
        std::ostringstream body;
        body << in.rdbuf();
        files.emplace_back(item.path().filename().string(), body.str());
        bytes += files.back().second.size();
    }
    std::sort(files.begin(), files.end());

    std::vector<double> parse_times, parse_cpu;
    for (int run = 0; run < runs; ++run) {
        const double cpu = cpu_seconds();
        auto start = Clock::now();
        for (const auto& [name, body] : files) {
            pugi::xml_document doc;
            doc.load_buffer(body.data(), body.size());
        }
        parse_times.push_back(since(start));
        parse_cpu.push_back(cpu_seconds() - cpu);
    }
    const double parse = median(parse_times);
    std::printf("parse %.3f %.0f %.3f\n", parse, static_cast<double>(bytes) / 1e6 / parse, median(parse_cpu));

    std::vector<Row> rows;
    for (const auto& [name, body] : files) {
        pugi::xml_document doc;
        doc.load_buffer(body.data(), body.size());
        collect(doc, name, rows);
    }
    std::vector<double> insert_times, insert_cpu;
    for (int run = 0; run < runs; ++run) {
        auto path = work / ("feedd-limits-" + std::to_string(::getpid()) + ".db");
        {
            SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
            db.exec("PRAGMA cache_size = -65536");
            feedd::bench::RawTable table(db);
            const double cpu = cpu_seconds();
            auto start = Clock::now();
            db.exec("BEGIN");
            std::int64_t published = 1700000000;
            const std::string none;
            for (const auto& row : rows)
                table.insert({row.feed, row.guid, row.link, row.title, row.author, row.summary, row.content,
                              row.text, published++, none, row.cjk});
            db.exec("COMMIT");
            insert_times.push_back(since(start));
            insert_cpu.push_back(cpu_seconds() - cpu);
        }
        for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(fs::path(path.string() + suffix));
    }
    const auto cjk_rows =
        std::count_if(rows.begin(), rows.end(), [](const Row& row) { return !row.cjk.empty(); });
    std::printf("insert %.3f %zu %.3f %td\n", median(insert_times), rows.size(), median(insert_cpu),
                cjk_rows);
    return 0;
}
