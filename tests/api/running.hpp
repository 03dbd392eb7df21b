// Reading a running `feedd run` from its log and STATUS= line, for the API tests that start one.
#pragma once

#include <regex>
#include <string>

#include "support/process.hpp"

namespace feedd::test {

// The number of polls the daemon's STATUS= line counts so far.
inline int polls_of(const std::string& status) {
    std::smatch match;
    return std::regex_search(status, match, std::regex(R"(in (\d+) polls since start)")) ? std::stoi(match[1])
                                                                                         : 0;
}

// "127.0.0.1:PORT" (or the socket path) from the daemon's "http: listening on ..." line, once
// it is logged.
inline std::string endpoint_of(FeeddDaemon& daemon) {
    std::string endpoint;
    daemon.wait_until([&] {
        std::smatch match;
        const auto log = daemon.log();
        if (!std::regex_search(log, match, std::regex(R"(http: listening on (\S+))"))) return false;
        endpoint = match[1];
        return true;
    });
    return endpoint;
}

}  // namespace feedd::test
