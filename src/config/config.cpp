#include "feedd/config/config.hpp"

namespace feedd::config {

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(problems.empty() ? "invalid configuration" : problems.front()),
      problems_(std::move(problems)) {}

}  // namespace feedd::config

namespace feedd::config {

std::filesystem::path find_config(const std::optional<std::filesystem::path>& flag) {
    if (flag) return *flag;
    return "feeds.toml";
}

Config load_config(const std::filesystem::path& path) {
    throw std::runtime_error("reading " + path.string() + ": not finished yet");
}

}  // namespace feedd::config
