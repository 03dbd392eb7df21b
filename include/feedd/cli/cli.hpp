// The `feedd` command line: argv in, exit status out (0 ok, 1 failure, 2 usage).
#pragma once

namespace feedd::cli {

int run_cli(int argc, char** argv);

}  // namespace feedd::cli
