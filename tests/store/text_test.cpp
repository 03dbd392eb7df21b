// The archive's hashes (its text forms are feedd_text's: tests/text).
#include <doctest/doctest.h>

#include "store/text.hpp"

using namespace feedd::store::detail;

TEST_CASE("hash_hex is stable") {
    CHECK(hash_hex("") != hash_hex(" "));
    CHECK(hash_hex("abc") == hash_hex("abc"));
    CHECK(hash_hex("abc").size() == 32);
}

TEST_CASE("hashes fed piece by piece equal the hash of the whole, as stored archives hold it") {
    // The value an archive written before the incremental hasher holds for this text.
    const std::string whole =
        "Title\x1f"
        "1700000000\x1fSome text.";
    CHECK(hash_hex(whole) == "0eb60f8e1896ad49966e669bde5e8824");
    for (std::size_t cut = 0; cut <= whole.size(); ++cut) {
        const std::string_view view(whole);
        CHECK(Hasher().add(view.substr(0, cut)).add(view.substr(cut)).hex() == hash_hex(whole));
    }
    CHECK(Hasher().add("Title").add('\x1f').add("1700000000").add('\x1f').add("Some text.").hex() ==
          hash_hex(whole));
    CHECK(content_hash("  Title ", "1700000000", "Some text.") == hash_hex(whole));
}

TEST_CASE("a link's key is the first half of its hash_hex, as signed 64 bits, and none for no link") {
    // Stored by archives (schema v12): these values must never change.
    CHECK(text::hash_key("Title\x1f"
                         "1700000000\x1fSome text.") == 0x0eb60f8e1896ad49);
    CHECK(link_key("https://example.com/a") == -3831216993472997800);  // hex cad4…: negative
    CHECK(link_key("") == std::nullopt);
    for (const char* link : {"https://example.com/a", "https://example.com/b", "x"}) {
        const auto hex = hash_hex(link).substr(0, 16);
        CHECK(*link_key(link) == static_cast<std::int64_t>(std::stoull(hex, nullptr, 16)));
    }
}

TEST_CASE("the CJK column holds title, author and text when any of them is CJK, else nothing") {
    CHECK(cjk_column("Title", "Author", "Plain text.") == "");
    CHECK(cjk_column("标题", "Author", "Plain text.") == "标题\nAuthor\nPlain text.");
    CHECK(cjk_column("Title", "작가", "Plain text.") == "Title\n작가\nPlain text.");
    CHECK(cjk_column("Title", "Author", "テキスト") == "Title\nAuthor\nテキスト");
}
