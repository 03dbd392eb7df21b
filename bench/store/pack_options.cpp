// How many bytes the HTML of an archive takes in each way of packing it (issue 22), so that the
// store's choice (store/pack.cpp: zstd level -1, one frame per value, against the entry's plain
// text) is measured against the others rather than assumed:
//   plain      as stored before schema v5
//   alone      one frame per value, no dictionary
//   prefix     one frame per value, the entry's plain text as the prefix (the store's way)
//   dictionary one frame per value with a dictionary trained on every 10th value (its own size
//              counted once)
// Reads an archive of schema v4 or earlier (plain columns), e.g. one polled by the previous feedd:
//   build/bench/store/bench_pack_options OLD.db
#include <sqlite3.h>
#include <zdict.h>
#include <zstd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr int level = -1;  // as the store

struct Sizes {
    std::size_t plain = 0, alone = 0, prefix = 0, dictionary = 0;
};

// As store/pack.cpp: short values stay as they are, a frame is kept only when it is smaller.
std::size_t packed(ZSTD_CCtx* c, const std::string& value, const std::string& prefix,
                   const ZSTD_CDict* dict) {
    if (value.size() < 64) return value.size();
    ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
    ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
    if (dict != nullptr) ZSTD_CCtx_refCDict(c, dict);
    if (!prefix.empty()) ZSTD_CCtx_refPrefix(c, prefix.data(), prefix.size());
    std::string out(ZSTD_compressBound(value.size()), '\0');
    const auto size = ZSTD_compress2(c, out.data(), out.size(), value.data(), value.size());
    return ZSTD_isError(size) || size >= value.size() ? value.size() : size;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: bench_pack_options ARCHIVE.db (schema v4 or earlier)\n");
        return 2;
    }
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(argv[1], &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        std::fprintf(stderr, "cannot open %s\n", argv[1]);
        return 1;
    }
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
    sqlite3_stmt* raw_select = nullptr;
    if (sqlite3_prepare_v2(db.get(),
                           "SELECT text, summary, content FROM entries WHERE typeof(content) = 'text'", -1,
                           &raw_select, nullptr) != SQLITE_OK) {
        std::fprintf(stderr, "%s\n", sqlite3_errmsg(db.get()));
        return 1;
    }
    std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> select(raw_select, sqlite3_finalize);
    struct Row {
        std::string text, html[2];
    };
    std::vector<Row> rows;
    auto column = [&](int i) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), i));
        return std::string(p == nullptr ? "" : p,
                           static_cast<std::size_t>(sqlite3_column_bytes(select.get(), i)));
    };
    while (sqlite3_step(select.get()) == SQLITE_ROW) rows.push_back({column(0), {column(1), column(2)}});

    // The dictionary's samples: every 10th entry's HTML.
    std::string samples;
    std::vector<std::size_t> sample_sizes;
    for (std::size_t i = 0; i < rows.size(); i += 10)
        for (const auto& html : rows[i].html)
            if (!html.empty()) {
                samples += html;
                sample_sizes.push_back(html.size());
            }
    std::string dict(112640, '\0');  // zstd's default dictionary size
    const auto dict_size =
        ZDICT_trainFromBuffer(dict.data(), dict.size(), samples.data(), sample_sizes.data(),
                              static_cast<unsigned>(sample_sizes.size()));
    if (ZDICT_isError(dict_size)) {
        std::fprintf(stderr, "training failed: %s\n", ZDICT_getErrorName(dict_size));
        return 1;
    }
    std::unique_ptr<ZSTD_CDict, decltype(&ZSTD_freeCDict)> cdict(
        ZSTD_createCDict(dict.data(), dict_size, level), ZSTD_freeCDict);
    std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> c(ZSTD_createCCtx(), ZSTD_freeCCtx);

    Sizes html, text;
    for (const auto& row : rows) {
        for (const auto& value : row.html) {
            html.plain += value.size();
            html.alone += packed(c.get(), value, {}, nullptr);
            html.prefix += packed(c.get(), value, row.text, nullptr);
            html.dictionary += packed(c.get(), value, {}, cdict.get());
        }
        text.plain += row.text.size();
        text.alone += packed(c.get(), row.text, {}, nullptr);
    }
    html.dictionary += dict_size;
    const auto mb = [](std::size_t n) { return static_cast<double>(n) / 1e6; };
    std::printf("entries: %zu\n", rows.size());
    std::printf(
        "html (summary + content): plain %.1f MB, alone %.1f MB, against the text %.1f MB, "
        "trained dictionary (%zu bytes, counted) %.1f MB\n",
        mb(html.plain), mb(html.alone), mb(html.prefix), dict_size, mb(html.dictionary));
    std::printf("plain text (kept plain for sqlite3 and the index): %.1f MB, %.1f MB if packed alone\n",
                mb(text.plain), mb(text.alone));
}
