// Where the tests' fixture files are, and reading them.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace feedd::test {

inline std::filesystem::path fixture_path(const std::string& relative) {
    return std::filesystem::path(FEEDD_FIXTURES_DIR) / relative;
}

inline std::string read_fixture(const std::string& relative) {
    std::ifstream in(fixture_path(relative), std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + relative);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace feedd::test
