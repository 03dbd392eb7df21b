// How the archive stores HTML (entries' and revisions' summary and content): a zstd frame (an
// SQLite BLOB) when that is smaller, else the text itself (TEXT). The stored type tells them
// apart, so short values and archives written before schema v5 read as they are.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;

namespace feedd::store::detail {

// A stored value that does not unpack: a damaged frame, a checksum that does not match, or an
// entry's HTML read with another text than the one it was packed against.
class DamagedValue : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The zstd frame of `text` (zstd's fast level -1, with a checksum), or nothing when it would not be smaller.
// With a `prefix`, the frame refers back into it: an entry's summary and content are packed
// against its plain text, which holds most of their words (an entry's HTML then costs little more
// than its tags). The same prefix must be given to `unpack`.
std::optional<std::string> pack(std::string_view text, std::string_view prefix = {});

// The text of a frame made by `pack`; throws DamagedValue.
std::string unpack(std::string_view frame, std::string_view prefix = {});

// Registers the archive's SQL functions on a connection (only the `*_html_v` views and the
// migrations call them; the search indexes, the triggers and the other views do not):
//   feedd_unpack(value [, text])  TEXT as it is, a BLOB unpacked (against the unpacked `text`)
//   feedd_pack(text [, prefix])   the stored form of `text` (for migrations)
//   feedd_link_key(link)          text.hpp's link_key: NULL for NULL or ''
// Returns an SQLite result code.
int register_functions(sqlite3* db);

}  // namespace feedd::store::detail
