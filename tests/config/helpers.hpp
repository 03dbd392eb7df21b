// Test helpers for code that writes files or runs the feedd binary (on top of support/process.hpp).
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace feedd::test {

// Writes `text` to `path` (creating its folder) with the permission bits `mode`.
inline void write_file_mode(const std::filesystem::path& path, const std::string& text, mode_t mode = 0600) {
    std::filesystem::create_directories(path.parent_path());
    write_file(path, text);
    ::chmod(path.c_str(), mode);
}

struct RunResult {
    int status = -1;
    std::string output;  // standard output, then standard error
};

// Runs `feedd ARGS...` with its output files in `dir`.
inline RunResult feedd_run(const std::filesystem::path& dir, std::vector<std::string> args) {
    auto result = run_feedd(dir, std::move(args));
    return {result.exit_code, result.out + result.err};
}

}  // namespace feedd::test
