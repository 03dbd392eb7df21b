// feedd_rank, the FTS5 ranking function of the archive's searches (rank.hpp).
//
// It scores as FTS5's built-in bm25 (k1 = 1.2, b = 0.75, per-column weights, the row's length
// against the table's average), with one difference: a search of one phrase (one word is a phrase
// of one) leaves out the phrase's inverse document frequency. bm25 computes that frequency the
// first time it scores a row by visiting every row of the table that holds the phrase
// (xQueryPhrase), however few rows the search goes on to rank; at 2 000 000 articles that visit is
// what a search of one common word or one phrase costs (a phrase of two common words: 0.8 s of a
// search whose newest 2 000 matches are found in 2-4 ms). With one phrase the frequency is the same
// factor in every row's score, so the order of the rows is bm25's. With several, the frequencies
// weigh the phrases against each other and are computed as bm25 does.
#include "store/rank.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace feedd::store::detail {

namespace {

constexpr double k1 = 1.2;
constexpr double b = 0.75;

// What every row's score of one search shares, computed for its first row.
struct SearchData {
    double average_length = 1;
    std::vector<double> idf;        // per phrase; 1 for every phrase of a one-phrase search
    std::vector<double> frequency;  // per phrase: scratch for the row being scored
};

int count_row(const Fts5ExtensionApi*, Fts5Context*, void* count) {
    ++*static_cast<sqlite3_int64*>(count);
    return SQLITE_OK;
}

int search_data(const Fts5ExtensionApi* api, Fts5Context* fts, SearchData*& out) {
    out = static_cast<SearchData*>(api->xGetAuxdata(fts, 0));
    if (out != nullptr) return SQLITE_OK;
    auto data = std::make_unique<SearchData>();
    sqlite3_int64 rows = 0, tokens = 0;
    if (int rc = api->xRowCount(fts, &rows); rc != SQLITE_OK) return rc;
    if (int rc = api->xColumnTotalSize(fts, -1, &tokens); rc != SQLITE_OK) return rc;
    if (rows > 0) data->average_length = static_cast<double>(tokens) / static_cast<double>(rows);
    const int phrases = api->xPhraseCount(fts);
    data->idf.assign(static_cast<std::size_t>(phrases), 1.0);
    data->frequency.assign(static_cast<std::size_t>(phrases), 0.0);
    if (phrases > 1) {
        for (int p = 0; p < phrases; ++p) {
            sqlite3_int64 holding = 0;
            if (int rc = api->xQueryPhrase(fts, p, &holding, count_row); rc != SQLITE_OK) return rc;
            const double idf =
                std::log((static_cast<double>(rows - holding) + 0.5) / (static_cast<double>(holding) + 0.5));
            // As bm25: a phrase in more than half the rows still counts, a little.
            data->idf[static_cast<std::size_t>(p)] = idf > 0 ? idf : 1e-6;
        }
    }
    out = data.get();
    if (int rc = api->xSetAuxdata(fts, data.release(), [](void* p) { delete static_cast<SearchData*>(p); });
        rc != SQLITE_OK) {
        out = nullptr;  // xSetAuxdata deleted it
        return rc;
    }
    return SQLITE_OK;
}

// One row's score: bm25's sum over the phrases of the search. SQLITE_OK, or FTS5's error.
int row_score(const Fts5ExtensionApi* api, Fts5Context* fts, int argc, sqlite3_value** argv, double& score) {
    SearchData* data = nullptr;
    if (int rc = search_data(api, fts, data); rc != SQLITE_OK) return rc;
    std::fill(data->frequency.begin(), data->frequency.end(), 0.0);
    int hits = 0;
    if (int rc = api->xInstCount(fts, &hits); rc != SQLITE_OK) return rc;
    for (int i = 0; i < hits; ++i) {
        int phrase = 0, column = 0, offset = 0;
        if (int rc = api->xInst(fts, i, &phrase, &column, &offset); rc != SQLITE_OK) return rc;
        data->frequency[static_cast<std::size_t>(phrase)] +=
            column < argc ? sqlite3_value_double(argv[column]) : 1.0;
    }
    int length = 0;
    if (int rc = api->xColumnSize(fts, -1, &length); rc != SQLITE_OK) return rc;
    const double norm = k1 * (1 - b + b * static_cast<double>(length) / data->average_length);
    score = 0;
    for (std::size_t p = 0; p < data->idf.size(); ++p) {
        const double f = data->frequency[p];
        score += data->idf[p] * (f * (k1 + 1)) / (f + norm);
    }
    return SQLITE_OK;
}

// feedd_rank(table, weight of column 0, weight of column 1, ...): lower is better, as bm25.
void rank_function(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* context, int argc,
                   sqlite3_value** argv) {
    double score = 0;
    if (int rc = row_score(api, fts, argc, argv, score); rc != SQLITE_OK)
        sqlite3_result_error_code(context, rc);
    else
        sqlite3_result_double(context, -score);
}

fts5_api* fts5_of(sqlite3* db) {
    fts5_api* api = nullptr;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &statement, nullptr) == SQLITE_OK) {
        sqlite3_bind_pointer(statement, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
        sqlite3_step(statement);
    }
    sqlite3_finalize(statement);
    return api;
}

}  // namespace

int register_rank(sqlite3* db) {
    fts5_api* api = fts5_of(db);
    if (api == nullptr || api->iVersion < 2) return SQLITE_ERROR;
    return api->xCreateFunction(api, "feedd_rank", nullptr, rank_function, nullptr);
}

}  // namespace feedd::store::detail
