#include "feedd/cli/cli.hpp"

int main(int argc, char** argv) { return feedd::cli::run_cli(argc, argv); }
