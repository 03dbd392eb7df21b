// The limit an archive's ingest is measured against: the same rows in a plain table with the
// archive's two FTS5 indexes (same tokenizers, external content), filled by triggers. Shared by
// bench_store and bench_limits so that both measure the same thing.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <string>
#include <string_view>

namespace feedd::bench {

inline void create_raw_table(SQLite::Database& db) {
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
    db.exec(R"sql(
CREATE TABLE raw_entries (id INTEGER PRIMARY KEY, feed TEXT, guid TEXT, link TEXT, title TEXT, author TEXT,
                          summary TEXT, content TEXT, text TEXT, cjk TEXT, published INTEGER, categories TEXT);
CREATE VIRTUAL TABLE raw_fts USING fts5(title, author, text, content='raw_entries', content_rowid='id',
                                        tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE raw_cjk USING fts5(cjk, content='raw_entries', content_rowid='id', tokenize='trigram');
CREATE TRIGGER raw_insert AFTER INSERT ON raw_entries BEGIN
    INSERT INTO raw_fts(rowid, title, author, text) VALUES (new.id, new.title, new.author, new.text);
    INSERT INTO raw_cjk(rowid, cjk) VALUES (new.id, new.cjk);
END;)sql");
}

// Parameters: feed, guid, link, title, author, summary, content, text, published, categories.
inline constexpr const char* kRawInsert =
    "INSERT INTO raw_entries (feed, guid, link, title, author, summary, content, text, "
    "cjk, published, categories) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?, ?)";

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
