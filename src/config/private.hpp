// What config.cpp and edit.cpp share, not part of the public header.
#pragma once

#include <string_view>

namespace feedd::config {

// Names the syntax-error recovery gives to placeholder tables; never reported as unknown keys.
inline constexpr std::string_view recovery_table_prefix = "__feedd_recovery_";

}  // namespace feedd::config
