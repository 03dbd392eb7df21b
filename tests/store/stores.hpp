// The store tests run against both stores, one set of tests: STORE_TEST_CASE("…") is a doctest
// template over `Store`, each test case once per store ("…<sqlite>", "…<postgresql>"). In the
// test, `Store store; auto archive = store.open();` gives a fresh, empty archive of that store.
// Tests about SQLite files (migrations of old versions, packing, damaged files, page size) stay
// plain TEST_CASEs.
#pragma once

#include <doctest/doctest.h>

#include "feedd/store/store.hpp"
#include "support/postgres.hpp"

namespace feedd::test {

// An SQLite archive in memory, as the store tests have always used.
struct OnSqlite {
    std::string location() const { return ":memory:"; }
    store::Archive open(store::OpenMode mode = store::OpenMode::read_write) const {
        return store::Archive::open(location(), mode);
    }
};

// A PostgreSQL archive in an empty database of the test's own on the tests' server
// (support/postgres.hpp), dropped when the test ends.
struct OnPostgres {
    PostgresDatabase database;
    std::string location() const { return database.uri(); }
    store::Archive open(store::OpenMode mode = store::OpenMode::read_write) const {
        return store::Archive::open(location(), mode);
    }
};

}  // namespace feedd::test

TYPE_TO_STRING_AS("sqlite", feedd::test::OnSqlite);
TYPE_TO_STRING_AS("postgresql", feedd::test::OnPostgres);

#define STORE_TEST_CASE(name) TEST_CASE_TEMPLATE(name, Store, feedd::test::OnSqlite, feedd::test::OnPostgres)
