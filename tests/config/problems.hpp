// What parse_config refuses in a feeds.toml: its problems, one line each (none when it loads).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "feedd/config/config.hpp"

namespace feedd::test {

inline std::vector<std::string> problems_of(const std::string& text,
                                            const std::filesystem::path& path = "/etc/feedd/feeds.toml") {
    try {
        config::parse_config(text, path);
    } catch (const config::ConfigError& error) {
        return error.problems();
    }
    return {};
}

}  // namespace feedd::test
