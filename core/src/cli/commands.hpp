// The command line: serve (default), check-config, parse.
#pragma once

#include <string>

namespace rex::cli {

int main(int argc, char** argv);

// The plugin folder used when neither the config nor --plugin-dir names one: `plugins/` beside the
// binary (the build tree), else `../lib/results_exporter/plugins` (an installed tree).
std::string default_plugin_dir();

}  // namespace rex::cli
