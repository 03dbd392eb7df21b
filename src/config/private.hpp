// What the files of the config module share, not part of the public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace feedd::config {

// Names the syntax-error recovery gives to placeholder tables; never reported as unknown keys.
inline constexpr std::string_view recovery_table_prefix = "__feedd_recovery_";

// "16MiB", "512KiB", "1GiB" (powers of 1024), "10MB", "500kB" (powers of 1000), "1024" bytes.
std::optional<std::int64_t> parse_size(std::string_view text);

// A TOML basic string, quoted and escaped.
std::string toml_quote(std::string_view text);

}  // namespace feedd::config
