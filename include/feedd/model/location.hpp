// Where the archive is: the `database` setting names a PostgreSQL database when it is a libpq URI
// (`postgresql://…` or `postgres://…`); anything else is the path of an SQLite file. Config (no
// relative-path resolution), CLI and daemon (no file checks) and store (which backend) read it
// through this one test.
#pragma once

#include <string>
#include <string_view>

namespace feedd {

inline bool is_database_url(std::string_view location) noexcept {
    return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

// The location as messages show it: a URI's password (`user:password@`, `?password=`) replaced by
// ***. Unchanged when it carries none, which is how the configuration tells that one does.
[[nodiscard]] std::string shown_location(std::string_view location);

}  // namespace feedd
