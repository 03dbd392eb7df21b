#include <csignal>

#include "feedd/cli/cli.hpp"

int main(int argc, char** argv) {
    // A hook or a peer that closes its end must be an error code on write, not the end of the daemon.
    std::signal(SIGPIPE, SIG_IGN);
    return feedd::cli::run_cli(argc, argv);
}
