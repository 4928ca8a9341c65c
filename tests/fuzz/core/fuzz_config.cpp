// rex::config::parse_config on arbitrary text: it succeeds or throws ConfigError, nothing else.
// A crash, a sanitizer report, any other exception (a YAML::Exception escaping, std::out_of_range,
// std::bad_alloc…) or a ConfigError without a message aborts the run. A config that parses is
// parsed again and must give the same result (no hidden state).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // yaml-cpp recursion on deep nesting is not what we look for
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    rex::config::Config c = rex::config::parse_config(text, "<fuzz>");
    rex::config::Config again = rex::config::parse_config(text, "<fuzz>");
    if (c.sources != again.sources || c.listen_address != again.listen_address) {
      std::fprintf(stderr, "parse_config is not deterministic\n");
      std::abort();
    }
  } catch (const rex::config::ConfigError& e) {
    if (std::string(e.what()).empty()) {
      std::fprintf(stderr, "ConfigError without a message\n");
      std::abort();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "parse_config threw something else than ConfigError: %s\n", e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "parse_config threw a non-std exception\n");
    std::abort();
  }
  return 0;
}
