#include "cli/commands.hpp"

int main(int argc, char** argv) { return rex::cli::main(argc, argv); }
