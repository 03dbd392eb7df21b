// The archive's hashes (its text forms are feedd_text's: tests/text).
#include <doctest/doctest.h>

#include "store/text.hpp"

using namespace feedd::store::detail;

TEST_CASE("hash_hex is stable") {
    CHECK(hash_hex("") != hash_hex(" "));
    CHECK(hash_hex("abc") == hash_hex("abc"));
    CHECK(hash_hex("abc").size() == 32);
}
