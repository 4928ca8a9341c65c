#include "cli/commands.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "app/parse_file.hpp"
#include "config/config.hpp"
#include "expo/text_writer.hpp"
#include "http/server.hpp"
#include "plugin/registry.hpp"
#include "store/store.hpp"

namespace rex::cli {

namespace fs = std::filesystem;

std::string default_plugin_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "plugins";
  fs::path beside = exe.parent_path() / "plugins";
  if (fs::is_directory(beside, ec)) return beside.string();
  return (exe.parent_path().parent_path() / "lib" / "results_exporter" / "plugins").string();
}

namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("results_exporter");
  // logfmt-style lines: easy to grep, easy for log shippers to parse.
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%eZ level=%l msg=\"%v\"",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

// Files named on the command line; a folder stands for the regular files in it, sorted.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs) {
  std::vector<std::string> out;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(in, ec))
        if (e.is_regular_file(ec)) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      out.insert(out.end(), files.begin(), files.end());
    } else {
      out.push_back(in);
    }
  }
  return out;
}

int cmd_parse(const std::string& plugin_dir, const std::string& plugin_spec,
              const std::vector<std::string>& inputs) {
  auto registry = plugin::Registry::load_directory(plugin_dir);
  store::Store store;
  int failed = 0;
  for (const auto& path : expand_inputs(inputs)) {
    auto r = app::parse_file(registry, plugin_spec, path, {}, uint64_t{16} << 30);
    if (!r.ok) {
      std::cerr << path << ": " << r.error << " (plugin: " << r.plugin << ")\n";
      ++failed;
      continue;
    }
    std::cerr << path << ": parsed by " << r.plugin;
    if (r.contribution->records_skipped) {
      std::cerr << ", " << r.contribution->records_skipped << " records skipped";
      for (const auto& why : r.contribution->skip_reasons) std::cerr << "\n  skipped: " << why;
    }
    std::cerr << "\n";
    store::Document doc;
    doc.key = path;
    doc.path = path;
    doc.plugin = r.plugin;
    doc.mtime = static_cast<double>(r.identity.mtime_ns) / 1e9;
    doc.contribution = std::move(r.contribution);
    store.put("parse", std::move(doc));
  }
  std::cout << expo::render(store.merge());
  return failed ? 1 : 0;
}

int cmd_check_config(const std::string& path, const std::string& plugin_dir_flag) {
  try {
    auto cfg = config::load_config_file(path);
    std::string dir = !plugin_dir_flag.empty() ? plugin_dir_flag
                      : cfg.plugin_dir         ? *cfg.plugin_dir
                                               : default_plugin_dir();
    auto registry = plugin::Registry::load_directory(dir);
    for (const auto& s : cfg.sources)
      if (s.plugin != "auto" && !registry.find(s.plugin))
        std::cerr << path << ": warning: source '" << s.name << "' names plugin '" << s.plugin
                  << "', which is not in " << dir << "\n";
    std::cout << path << ": OK, " << cfg.sources.size() << " sources\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

// Raises the soft limit on open descriptors to the hard one: every connection, watched folder and
// followed log holds one, and service managers often start programs with a soft limit of 1024.
void raise_fd_limit() {
  struct rlimit rl {};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  rlim_t wanted = rl.rlim_max;
  rl.rlim_cur = wanted;
  if (::setrlimit(RLIMIT_NOFILE, &rl) == 0)
    spdlog::debug("open file limit raised to {}", static_cast<uint64_t>(wanted));
}

int cmd_serve(const std::string& config_file, const std::string& listen_flag,
              const std::string& plugin_dir_flag) {
  raise_fd_limit();
  config::Config cfg;
  try {
    cfg = config_file.empty() ? config::embedded_default_config()
                              : config::load_config_file(config_file);
    if (!listen_flag.empty()) {
      config::parse_listen_address(listen_flag);
      cfg.listen_address = listen_flag;
    }
  } catch (const std::exception& e) {
    spdlog::critical("config: {}", e.what());
    return 1;
  }
  app::EngineOptions options;
  if (!config_file.empty()) options.config_path = config_file;
  if (!plugin_dir_flag.empty()) options.plugin_dir_flag = plugin_dir_flag;
  options.default_plugin_dir = default_plugin_dir();
  spdlog::info("results_exporter {} starting: config {}", REX_VERSION,
               config_file.empty() ? "<embedded default>" : config_file);
  try {
    http::Server server(std::move(cfg), std::move(options));
    return server.run();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "results_exporter: test and benchmark results as live Prometheus metrics.\n"
      "With no subcommand it serves /metrics."};
  app.fallthrough();
  std::string config_file, listen, plugin_dir, log_level = "info";
  app.add_option("--config.file", config_file,
                 "YAML config file (default: the embedded config, same as "
                 "config/results_exporter.yml)");
  app.add_option("--web.listen-address", listen, "Address to serve on, overriding the config")
      ->type_name("HOST:PORT");
  app.add_option("--plugin-dir", plugin_dir,
                 "Plugin folder, overriding the config (default: " + default_plugin_dir() + ")");
  app.add_option("--log.level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
  app.set_version_flag("--version", std::string("results_exporter ") + REX_VERSION);

  auto* check =
      app.add_subcommand("check-config", "Validate a config file; non-zero with the reason");
  std::string check_path;
  check->add_option("path", check_path, "Config file")->required();

  auto* parse = app.add_subcommand(
      "parse", "Print the exposition that these files alone produce (for schema drift)");
  std::string plugin_spec = "auto";
  std::vector<std::string> inputs;
  parse->add_option("--plugin", plugin_spec, "Plugin name, or auto to probe each file")
      ->type_name("NAME|auto");
  parse->add_option("files", inputs, "Files or folders")->required();

  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  setup_logging(log_level);
  if (*check) return cmd_check_config(check_path, plugin_dir);
  if (*parse) {
    spdlog::set_level(spdlog::level::warn);  // keep stderr for the per-file verdicts
    return cmd_parse(plugin_dir.empty() ? default_plugin_dir() : plugin_dir, plugin_spec, inputs);
  }
  return cmd_serve(config_file, listen, plugin_dir);
}

}  // namespace rex::cli
