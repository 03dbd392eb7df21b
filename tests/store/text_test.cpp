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

TEST_CASE("a link's key: 32 bits of its origin's hash_key, then 32 of its own, and none for no link") {
    // Stored by archives (schema v12): these values must never change.
    CHECK(text::hash_key("Title\x1f"
                         "1700000000\x1fSome text.") == 0x0eb60f8e1896ad49);  // hash_hex's first half
    CHECK(text::hash_key("https://example.com/a") == static_cast<std::int64_t>(0xcad4c8716e9a1658));
    CHECK(link_key("https://example.com/a") == static_cast<std::int64_t>(0x8f5f009d6e9a1658));
    CHECK(link_key("https://example.com/b") == static_cast<std::int64_t>(0x8f5f009dff361854));
    CHECK(link_key("https://example.com") == text::hash_key("https://example.com"));
    CHECK(link_key("x") == text::hash_key("x"));  // no origin: the link is its own
    CHECK(link_key("") == std::nullopt);
}

TEST_CASE("the CJK column holds title, author and text when any of them is CJK, else nothing") {
    CHECK(cjk_column("Title", "Author", "Plain text.") == "");
    CHECK(cjk_column("标题", "Author", "Plain text.") == "标题\nAuthor\nPlain text.");
    CHECK(cjk_column("Title", "작가", "Plain text.") == "Title\n작가\nPlain text.");
    CHECK(cjk_column("Title", "Author", "テキスト") == "Title\nAuthor\nテキスト");
}
