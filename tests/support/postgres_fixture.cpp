// The ctest fixture around the tests that need PostgreSQL (tests/CMakeLists.txt):
//   feedd_test_postgres start STATE   starts a server in a fresh /tmp folder, writes its path to STATE
//   feedd_test_postgres stop STATE    stops that server and removes its folder
// A server left by an interrupted run (STATE still names it) is stopped before a new one starts.
#include <iostream>

#include "support/postgres.hpp"

namespace {

void stop(const std::filesystem::path& state) {
    auto dir = feedd::test::slurp(state);
    while (!dir.empty() && dir.back() == '\n') dir.pop_back();
    std::error_code ignored;
    if (!dir.empty() && std::filesystem::exists(dir)) {
        feedd::test::stop_postgres(dir);
        std::filesystem::remove_all(dir, ignored);
    }
    std::filesystem::remove(state, ignored);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
        std::cerr << "usage: feedd_test_postgres start|stop STATE\n";
        return 2;
    }
    const std::filesystem::path state = argv[2];
    try {
        stop(state);
        if (std::string(argv[1]) == "stop") return 0;
        std::string pattern = "/tmp/feedd-pg-XXXXXX";  // short: a socket path has 107 bytes
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        feedd::test::write_file(state, pattern + "\n");
        feedd::test::start_postgres(pattern);
        std::cout << "test PostgreSQL running in " << pattern << '\n';
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "feedd_test_postgres: " << e.what() << '\n';
        return 1;
    }
}
