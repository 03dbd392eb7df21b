// Reading what a test archived, the way the tests that run the daemon or the CLI look at the
// result. Header-only; the test links feedd_store.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "feedd/store/store.hpp"

namespace feedd::test {

// Every article of the archive (of `feeds` only, when given), newest first.
inline std::vector<store::ArticleRow> all_articles(store::Archive& archive,
                                                   std::vector<std::string> feeds = {}) {
    store::ArticleQuery query;
    query.feeds = std::move(feeds);
    query.limit = 0;  // no limit
    return archive.query(query);
}

// The archive at `database`, read-only: a daemon may be writing it meanwhile.
inline store::Archive open_read_only(const std::filesystem::path& database) {
    return store::Archive::open(database, store::OpenMode::read_only);
}

// The titles in the archive at `database`, each as often as it is stored.
inline std::multiset<std::string> archived_titles(const std::filesystem::path& database) {
    auto archive = open_read_only(database);
    std::multiset<std::string> titles;
    for (const auto& row : all_articles(archive)) titles.insert(row.title);
    return titles;
}

}  // namespace feedd::test
