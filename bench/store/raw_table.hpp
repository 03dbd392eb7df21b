// The limit an archive's ingest is measured against: the same rows in a plain table with the
// archive's two FTS5 indexes (same tokenizers, external content), indexed by explicit inserts as
// the archive's ingest does (a trigger on insert makes FTS5 flush a segment per row: see
// src/store/README.md), the trigram index over the rows with CJK text as the archive's. Shared by
// bench_store and bench_limits so that both measure the same thing.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace feedd::bench {

// One row; the strings are bound without a copy, as the archive binds its own.
struct RawRow {
    const std::string &feed, &guid, &link, &title, &author, &summary, &content, &text;
    std::int64_t published;
    const std::string& categories;
    const std::string& cjk;  // store::cjk_index_text of the row
};

class RawTable {
  public:
    explicit RawTable(SQLite::Database& db) : db_(db) {
        db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
        db.exec(R"sql(
CREATE TABLE raw_entries (id INTEGER PRIMARY KEY, feed TEXT, guid TEXT, link TEXT, title TEXT, author TEXT,
                          summary TEXT, content TEXT, text TEXT, cjk TEXT, published INTEGER, categories TEXT);
CREATE VIRTUAL TABLE raw_fts USING fts5(title, author, text, content='raw_entries', content_rowid='id',
                                        tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE raw_cjk USING fts5(cjk, content='raw_entries', content_rowid='id', tokenize='trigram');
)sql");
        insert_.emplace(db,
                        "INSERT INTO raw_entries (feed, guid, link, title, author, summary, content, text, "
                        "cjk, published, categories) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)");
        words_.emplace(db, "INSERT INTO raw_fts(rowid, title, author, text) VALUES (?, ?, ?, ?)");
        trigrams_.emplace(db, "INSERT INTO raw_cjk(rowid, cjk) VALUES (?, ?)");
    }

    void insert(const RawRow& row) {
        auto& insert = *insert_;
        insert.reset();
        insert.bindNoCopy(1, row.feed);
        insert.bindNoCopy(2, row.guid);
        insert.bindNoCopy(3, row.link);
        insert.bindNoCopy(4, row.title);
        insert.bindNoCopy(5, row.author);
        insert.bindNoCopy(6, row.summary);
        insert.bindNoCopy(7, row.content);
        insert.bindNoCopy(8, row.text);
        insert.bind(9, row.published);
        insert.bindNoCopy(10, row.categories);
        insert.exec();
        const auto id = db_.getLastInsertRowid();
        words_->reset();
        words_->bind(1, id);
        words_->bindNoCopy(2, row.title);
        words_->bindNoCopy(3, row.author);
        words_->bindNoCopy(4, row.text);
        words_->exec();
        if (row.cjk.empty()) return;  // the trigram index holds only rows with CJK text
        trigrams_->reset();
        trigrams_->bind(1, id);
        trigrams_->bindNoCopy(2, row.cjk);
        trigrams_->exec();
    }

  private:
    SQLite::Database& db_;
    std::optional<SQLite::Statement> insert_, words_, trigrams_;
};

// Markup dropped the cheapest way (no entities, no spacing rules): the limit gets its plain text
// for free, outside the clock.
inline std::string strip_tags(std::string_view html) {
    std::string text;
    text.reserve(html.size());
    bool in_tag = false;
    for (char c : html) {
        if (c == '<')
            in_tag = true;
        else if (c == '>')
            in_tag = false;
        else if (!in_tag)
            text += c;
    }
    return text;
}

}  // namespace feedd::bench
