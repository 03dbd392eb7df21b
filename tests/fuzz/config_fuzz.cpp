// libFuzzer target: any text as feeds.toml either loads or gives ConfigError; nothing else.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "feedd/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        (void)feedd::config::parse_config(std::string_view(reinterpret_cast<const char*>(data), size),
                                          "/nonexistent/feeds.toml");
    } catch (const feedd::config::ConfigError&) {
    }
    return 0;
}
