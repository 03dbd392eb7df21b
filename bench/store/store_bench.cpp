// Archive benchmark: ingest of new articles, of duplicates and of a 10 % changed set, beside raw
// SQLite inserts of the same rows (one transaction, same FTS indexes), then search latency.
//
//   build/bench/store/bench_store [--feeds 2000] [--per-feed 100] [--dir /tmp] [--queries 100]
//                                 [--postgres postgresql://…] [--sqlite no] [--raw no]
//
// With --postgres (an empty database), the same ingest and searches run on a PostgreSQL archive
// too, in the same run, and the figures are given as ratios PostgreSQL / SQLite. Ingest of new
// articles is also given per quarter of the feeds: whether the rate holds as the archive grows.
// Each quarter's rate is printed as soon as it is done, so that a long run shows its progress.
// `--sqlite no` measures PostgreSQL alone and `--raw no` leaves out the raw inserts: at 2 000 000
// articles the two stores can then run as two processes side by side instead of one after the other.
//
// The corpus is generated (deterministic): words drawn from a Zipf-distributed vocabulary, about
// 3 KB of HTML text per article. Only the store calls are timed, not the generation.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "raw_table.hpp"

using namespace feedd;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    int feeds = 2000;
    int per_feed = 100;
    int queries = 100;
    std::filesystem::path dir = std::filesystem::temp_directory_path();
    std::filesystem::path archive;  // search an existing archive (built with --keep) only
    bool keep = false;              // leave the archive behind
    std::string postgres;           // also measure a PostgreSQL archive in this (empty) database
    bool sqlite = true;             // measure the SQLite archive (no: PostgreSQL alone)
    bool raw = true;                // measure raw SQLite inserts of the same rows, the yardstick
};

class Corpus {
  public:
    explicit Corpus(int vocabulary_size) {
        std::mt19937_64 random(42);
        const char* syllables[] = {"ka", "to", "ri",  "men",  "sa",  "lo", "vi",  "dan",
                                   "pe", "qu", "zor", "el",   "ba",  "nu", "tis", "ra",
                                   "mo", "ge", "fi",  "ston", "war", "ly", "chi", "op"};
        std::uniform_int_distribution<int> pick(0, 23), length(2, 4);
        while (static_cast<int>(words_.size()) < vocabulary_size) {
            std::string word;
            for (int n = length(random); n > 0; --n) word += syllables[pick(random)];
            words_.push_back(word + std::to_string(words_.size() % 97));
        }
        // Zipf weights: the k-th word is drawn in proportion to 1/k.
        double total = 0;
        for (int k = 1; k <= vocabulary_size; ++k) cumulative_.push_back(total += 1.0 / k);
        for (auto& value : cumulative_) value /= total;
    }

    const std::string& word(std::mt19937_64& random) const {
        double x = std::uniform_real_distribution<double>(0, 1)(random);
        auto index = std::lower_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
        return words_[static_cast<std::size_t>(std::min<std::ptrdiff_t>(index, words_.size() - 1))];
    }
    const std::string& ranked(std::size_t rank) const { return words_[rank]; }

    std::string sentence(std::mt19937_64& random, int words) const {
        std::string out;
        for (int i = 0; i < words; ++i) {
            if (i) out += ' ';
            out += word(random);
        }
        return out;
    }

    // One feed's poll; `version` > 0 changes the text of every tenth entry.
    ParsedFeed feed(int feed_index, int per_feed, int version) const {
        ParsedFeed parsed;
        parsed.format = FeedFormat::rss20;
        parsed.title = "Feed " + std::to_string(feed_index);
        parsed.link = "https://site" + std::to_string(feed_index) + ".example/";
        for (int i = 0; i < per_feed; ++i) {
            std::mt19937_64 random(static_cast<std::uint64_t>(feed_index) * 100003 +
                                   static_cast<std::uint64_t>(i));
            Entry entry;
            entry.id = "f" + std::to_string(feed_index) + "-" + std::to_string(i);
            entry.title = sentence(random, 8);
            entry.link = parsed.link + "story/" + std::to_string(i) + "?utm_source=rss";
            entry.author = "Author " + std::to_string(i % 17);
            entry.published = TimePoint(std::chrono::seconds(1700000000 + feed_index * 1000 + i * 60));
            entry.summary = "<p>" + sentence(random, 30) + "</p>";
            std::string content;
            while (content.size() < 3000) content += "<p>" + sentence(random, 60) + "</p>\n";
            if (version > 0 && i % 10 == 0) content += "<p>Update " + std::to_string(version) + ".</p>";
            entry.content = std::move(content);
            entry.categories = {"Topic " + std::to_string(i % 5)};
            parsed.entries.push_back(std::move(entry));
        }
        return parsed;
    }

  private:
    std::vector<std::string> words_;
    std::vector<double> cumulative_;
};

double seconds_of(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

struct PassResult {
    double seconds = 0;
    long long new_articles = 0, unchanged = 0, updated = 0;
    std::vector<double> quarter_seconds = std::vector<double>(4, 0.0);  // by quarter of the feeds
};

PassResult ingest(store::Archive& archive, const Corpus& corpus, const Options& options, int version,
                  bool progress) {
    PassResult result;
    const double quarter_articles = static_cast<double>(options.feeds) * options.per_feed / 4;
    const TimePoint now = TimePoint(std::chrono::seconds(1800000000 + version * 3600));
    for (int f = 0; f < options.feeds; ++f) {
        auto parsed = corpus.feed(f, options.per_feed, version);
        FeedSource source;
        source.name = "feed-" + std::to_string(f);
        source.url = parsed.link + "feed.xml";
        FeedState state;
        state.name = source.name;
        state.last_poll = now;
        state.last_status = 200;
        auto start = Clock::now();
        auto counts = archive.commit_poll(source, &parsed, state, now);
        const double took = seconds_of(Clock::now() - start);
        result.seconds += took;
        const auto quarter = static_cast<std::size_t>(std::min(3, f * 4 / std::max(1, options.feeds)));
        result.quarter_seconds[quarter] += took;
        const bool quarter_done =
            f + 1 == options.feeds ||
            static_cast<std::size_t>((f + 1) * 4 / std::max(1, options.feeds)) > quarter;
        if (progress && quarter_done)
            std::printf("  quarter %zu done: %.0f articles/s (%.1f s)\n", quarter + 1,
                        quarter_articles / result.quarter_seconds[quarter], result.quarter_seconds[quarter]);
        result.new_articles += counts.new_articles;
        result.unchanged += counts.unchanged_entries;
        result.updated += counts.updated_entries;
    }
    return result;
}

// The same rows into a plain table with the archive's FTS indexes, one transaction.
double raw_insert(const std::filesystem::path& path, const Corpus& corpus, const Options& options) {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    bench::RawTable table(db);
    double elapsed = 0;
    auto begin = Clock::now();
    db.exec("BEGIN");
    elapsed += seconds_of(Clock::now() - begin);
    for (int f = 0; f < options.feeds; ++f) {
        auto parsed = corpus.feed(f, options.per_feed, 0);
        // The plain text is computed outside the clock: raw inserts get it for free.
        std::vector<std::string> texts, cjk;
        for (const auto& entry : parsed.entries) {
            texts.push_back(bench::strip_tags(entry.content));
            cjk.push_back(store::cjk_index_text(entry.title, entry.author, texts.back()));
        }
        auto start = Clock::now();
        for (std::size_t i = 0; i < parsed.entries.size(); ++i) {
            const auto& entry = parsed.entries[i];
            const std::string feed = "feed-" + std::to_string(f);
            const std::string categories = "\n" + entry.categories[0] + "\n";
            table.insert({feed, entry.id, entry.link, entry.title, entry.author, entry.summary, entry.content,
                          texts[i], static_cast<std::int64_t>(entry.published->time_since_epoch().count()),
                          categories, cjk[i]});
        }
        elapsed += seconds_of(Clock::now() - start);
    }
    auto start = Clock::now();
    db.exec("COMMIT");
    elapsed += seconds_of(Clock::now() - start);
    return elapsed;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// Searches as `feedd query --search` runs them: open read-only, query 50, close.
void search_figures(const std::filesystem::path& path, const Corpus& corpus, const Options& options,
                    double& median_ms, double& p99_ms) {
    std::vector<std::string> queries;
    std::mt19937_64 random(7);
    for (int i = 0; static_cast<int>(queries.size()) < options.queries; ++i) {
        switch (i % 4) {
            case 0: queries.push_back(corpus.ranked(200 + static_cast<std::size_t>(i) * 37)); break;
            case 1: queries.push_back(corpus.ranked(2000 + static_cast<std::size_t>(i) * 101)); break;
            case 2:
                queries.push_back(corpus.ranked(50 + static_cast<std::size_t>(i)) + " " +
                                  corpus.ranked(900 + static_cast<std::size_t>(i) * 13));
                break;
            default: queries.push_back("\"" + corpus.word(random) + " " + corpus.word(random) + "\""); break;
        }
    }
    std::vector<double> with_open, query_only;
    std::vector<std::vector<double>> by_kind(4);
    std::size_t hits = 0;
    for (std::size_t i = 0; i < queries.size(); ++i) {
        auto start = Clock::now();
        auto reader = store::Archive::open(path, store::OpenMode::read_only);
        auto opened = Clock::now();
        store::ArticleQuery query;
        query.search = queries[i];
        hits += reader.query(query).size();
        auto done = Clock::now();
        with_open.push_back(seconds_of(done - start) * 1000);
        query_only.push_back(seconds_of(done - opened) * 1000);
        by_kind[i % 4].push_back(query_only.back());
    }
    auto sorted = query_only;
    std::sort(sorted.begin(), sorted.end());
    median_ms = median(query_only);
    p99_ms = sorted.empty() ? 0 : sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
    std::printf(
        "search: %zu queries, median %.2f ms (%.2f ms with opening the archive), p99 %.2f ms, max %.2f ms, "
        "%.1f hits/query  [aim median < 50 ms]\n",
        queries.size(), median(query_only), median(with_open), p99_ms,
        *std::max_element(query_only.begin(), query_only.end()),
        static_cast<double>(hits) / static_cast<double>(queries.size()));
    std::printf("  medians: common word %.2f ms, rarer word %.2f ms, two words %.2f ms, phrase %.2f ms\n",
                median(by_kind[0]), median(by_kind[1]), median(by_kind[2]), median(by_kind[3]));
    // The slowest searches, to profile (EXPLAIN) what makes the 99th percentile.
    std::vector<std::size_t> order(queries.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return query_only[a] > query_only[b]; });
    std::printf("  slowest:");
    for (std::size_t i = 0; i < std::min<std::size_t>(3, order.size()); ++i)
        std::printf(" %s %.0f ms;", queries[order[i]].c_str(), query_only[order[i]]);
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each result as soon as it is measured
    Options options;
    const auto usage = [] {
        std::fprintf(stderr,
                     "usage: bench_store [--feeds N] [--per-feed N] [--queries N] [--dir DIR] [--keep yes] "
                     "[--archive PATH] [--postgres URL] [--sqlite no] [--raw no]\n");
        return 2;
    };
    // Every flag takes a value: a lone one (`--help`) is a usage error, not a default run of minutes.
    if (argc % 2 == 0) return usage();
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        std::string value = argv[i + 1];
        if (flag == "--feeds") {
            options.feeds = std::stoi(value);
        } else if (flag == "--per-feed") {
            options.per_feed = std::stoi(value);
        } else if (flag == "--queries") {
            options.queries = std::stoi(value);
        } else if (flag == "--dir") {
            options.dir = value;
        } else if (flag == "--archive") {
            options.archive = value;
        } else if (flag == "--keep") {
            options.keep = value == "yes";
        } else if (flag == "--postgres") {
            options.postgres = value;
        } else if (flag == "--sqlite") {
            options.sqlite = value != "no";
        } else if (flag == "--raw") {
            options.raw = value != "no";
        } else {
            return usage();
        }
    }
    if (!options.sqlite && options.postgres.empty()) {
        std::fprintf(stderr, "bench_store: --sqlite no needs --postgres URL\n");
        return 2;
    }
    auto work = options.dir / ("feedd-store-bench-" + std::to_string(::getpid()));
    const long long total = static_cast<long long>(options.feeds) * options.per_feed;
    Corpus corpus(30000);
    auto path = options.archive.empty() ? work / "archive.db" : options.archive;
    double raw_rate = 0;  // raw SQLite inserts of the same rows, the yardstick of both stores
    if (options.archive.empty()) {
        std::filesystem::create_directories(work);
        std::printf("corpus: %d feeds x %d articles = %lld articles, ~3 KB of text each\n", options.feeds,
                    options.per_feed, total);

        if (options.raw) {
            double raw = raw_insert(work / "raw.db", corpus, options);
            raw_rate = total / raw;
            std::printf("%-34s %10.0f articles/s  (%.1f s)\n", "raw inserts, one transaction:", raw_rate,
                        raw);
            std::filesystem::remove(work / "raw.db");
            std::filesystem::remove(work / "raw.db-wal");
            std::filesystem::remove(work / "raw.db-shm");
        }
    }
    // Against the raw inserts when they ran; "-" otherwise.
    auto of_raw = [&](double rate) {
        char text[32] = "-";
        if (raw_rate > 0) std::snprintf(text, sizeof text, "%.2fx", rate / raw_rate);
        return std::string(text);
    };
    struct Figures {
        double fresh = 0, again = 0, changed = 0, median = 0, p99 = 0;
        std::vector<double> quarters;
    };
    const double quarter_articles = static_cast<double>(total) / 4;
    // One store: ingest (unless an archive was given), then the searches.
    auto measure = [&](const std::filesystem::path& location, const char* label) {
        Figures figures;
        std::printf("-- %s\n", label);
        if (options.archive.empty()) {
            auto archive = store::Archive::open(location, store::OpenMode::read_write);
            auto fresh = ingest(archive, corpus, options, 0, true);
            figures.fresh = total / fresh.seconds;
            std::printf("%-34s %10.0f articles/s  (%.1f s, %lld new)  %s raw  [aim >= 0.5x]\n",
                        "archive, new articles:", figures.fresh, fresh.seconds, fresh.new_articles,
                        of_raw(figures.fresh).c_str());
            std::printf("%-34s", "  by quarter of the feeds:");
            for (double q : fresh.quarter_seconds) {
                figures.quarters.push_back(quarter_articles / q);
                std::printf(" %8.0f", quarter_articles / q);
            }
            std::printf(" articles/s\n");
            auto again = ingest(archive, corpus, options, 0, false);
            figures.again = total / again.seconds;
            std::printf("%-34s %10.0f articles/s  (%.1f s, %lld unchanged)  %s raw  [aim >= 2x]\n",
                        "archive, all duplicates:", figures.again, again.seconds, again.unchanged,
                        of_raw(figures.again).c_str());
            auto changed = ingest(archive, corpus, options, 1, false);
            figures.changed = total / changed.seconds;
            std::printf("%-34s %10.0f articles/s  (%.1f s, %lld updated, %lld unchanged)  %s raw\n",
                        "archive, 10 % changed:", figures.changed, changed.seconds, changed.updated,
                        changed.unchanged, of_raw(figures.changed).c_str());
            if (!is_database_url(location.native()))
                std::printf("archive size: %.0f MB\n",
                            static_cast<double>(std::filesystem::file_size(location)) / 1e6);
        }
        search_figures(location, corpus, options, figures.median, figures.p99);
        return figures;
    };
    const auto sqlite = options.sqlite ? measure(path, "SQLite") : Figures{};
    if (!options.postgres.empty()) {
        const auto pg = measure(options.postgres, "PostgreSQL");
        if (options.sqlite) {
            std::printf("-- PostgreSQL / SQLite\n");
            if (options.archive.empty()) {
                std::printf("new articles %.2fx  [aim >= 0.5x], duplicates %.2fx, 10 %% changed %.2fx\n",
                            pg.fresh / sqlite.fresh, pg.again / sqlite.again, pg.changed / sqlite.changed);
                std::printf("new articles by quarter:");
                for (std::size_t q = 0; q < pg.quarters.size(); ++q)
                    std::printf(" %.2fx", pg.quarters[q] / sqlite.quarters[q]);
                std::printf("\n");
            }
            std::printf("search median %.2fx, p99 %.2fx\n", pg.median / sqlite.median, pg.p99 / sqlite.p99);
        }
    }
    if (options.keep && options.sqlite)
        std::printf("archive kept: %s\n", path.c_str());
    else if (options.archive.empty())
        std::filesystem::remove_all(work);
    return 0;
}
