// libFuzzer target: any bytes as robots.txt parse without a crash, and the verdicts are
// consistent: /robots.txt is always allowed, and a path is decided the same way twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "feedd/parse/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    // The first line is a path to judge, the rest the file.
    const auto newline = input.find('\n');
    const auto path = input.substr(0, newline == std::string_view::npos ? 0 : newline);
    const auto text = newline == std::string_view::npos ? input : input.substr(newline + 1);
    const auto rules = feedd::parse::parse_robots(text, "feedd");
    if (!feedd::parse::robots_allow(rules, "/robots.txt")) std::abort();
    std::string why;
    const bool first = feedd::parse::robots_allow(rules, path, &why);
    if (first != feedd::parse::robots_allow(rules, path)) std::abort();
    if (!first && why.rfind("Disallow: ", 0) != 0) std::abort();
    return 0;
}
