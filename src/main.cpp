#include <malloc.h>

#include <csignal>

#include "feedd/cli/cli.hpp"

int main(int argc, char** argv) {
    // A hook or a peer that closes its end must be an error code on write, not the end of the daemon.
    std::signal(SIGPIPE, SIG_IGN);
    // Three malloc arenas, one for each busy thread (the event loop, the thread that parses the
    // fetched documents and the writer). With one, the threads queued for its lock: a tenth of a
    // 10 %-changed poll's samples were futex waits and wake-ups inside malloc and free, and an
    // arena per busy thread made that poll 0.24 -> 0.20 s and a cold one 4.2 -> 4.1 s
    // (bench/README.md). The price is 1-2 MiB of a cold poll's peak per arena, freed memory that
    // each keeps; glibc's default (an arena per thread, up to 8 per core) would let every helper
    // thread keep its own as well.
    mallopt(M_ARENA_MAX, 3);
    return feedd::cli::run_cli(argc, argv);
}
