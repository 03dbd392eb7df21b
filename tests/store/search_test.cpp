// The CLI's search syntax as a PostgreSQL tsquery (store/search.hpp): what each form becomes, and
// the forms FTS5 refuses are refused here too, as QueryErrors of one line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "feedd/store/store.hpp"
#include "store/search.hpp"

using feedd::store::QueryError;
using feedd::store::detail::tsquery_text;

TEST_CASE("search syntax to tsquery: words, phrases, OR, AND, NOT, prefixes, columns, parentheses") {
    CHECK(tsquery_text("tea") == "'tea'");
    CHECK(tsquery_text("green tea") == "('green' & 'tea')");
    CHECK(tsquery_text("tea AND cake") == "('tea' & 'cake')");
    CHECK(tsquery_text("tea OR coffee") == "('tea' | 'coffee')");
    // FTS5's precedence: NOT above AND above OR.
    CHECK(tsquery_text("tea OR green coffee") == "('tea' | ('green' & 'coffee'))");
    CHECK(tsquery_text("tea NOT coffee") == "('tea' & !'coffee')");
    CHECK(tsquery_text("(tea OR coffee) cake") == "(('tea' | 'coffee') & 'cake')");
    CHECK(tsquery_text("\"political bureau\"") == "'political bureau'");
    CHECK(tsquery_text("chong*") == "'chong':*");
    CHECK(tsquery_text("\"western dev\"*") == "'western dev':*");
    CHECK(tsquery_text("title:tea") == "'tea':A");
    CHECK(tsquery_text("author:lee text:tea*") == "('lee':B & 'tea':*C)");
    CHECK(tsquery_text("title:\"tea harvest\"") == "'tea harvest':A");
    // Non-ASCII letters are words; lowercase keywords are words too.
    CHECK(tsquery_text("chéngdu or") == "('chéngdu' & 'or')");
}

TEST_CASE("search syntax to tsquery: nothing of the search is read as tsquery syntax") {
    // Quotes inside a phrase are doubled; the tsquery operators are plain characters in a phrase.
    CHECK(tsquery_text("\"it's a & b | !c <-> d\"") == "'it''s a & b | !c <-> d'");
    CHECK(tsquery_text("\"back\\\\slash\"") == "'back\\\\\\\\slash'");
}

TEST_CASE("search syntax to tsquery: what FTS5 refuses is a QueryError of one line") {
    const std::string deep = std::string(300, '(') + "x" + std::string(300, ')');
    for (const std::string& bad : std::vector<std::string>{"\"unterminated",
                                                           "AND",
                                                           "western NOT",
                                                           "NOT western",
                                                           "title:(",
                                                           "nosuchcolumn:word",
                                                           "*",
                                                           "*western",
                                                           "^",
                                                           "-",
                                                           "+",
                                                           ")",
                                                           "(a",
                                                           "a OR",
                                                           ":",
                                                           "x:y",
                                                           "NEAR(",
                                                           "{a}",
                                                           "@",
                                                           "it's",
                                                           "\"\"",
                                                           "title:",
                                                           deep}) {
        CAPTURE(bad);
        try {
            static_cast<void>(tsquery_text(bad));
            FAIL("accepted");
        } catch (const QueryError& e) {
            CHECK(std::string(e.what()).rfind("bad search '", 0) == 0);
            CHECK(std::string(e.what()).find('\n') == std::string::npos);
        }
    }
}
