// libFuzzer driver for one document plugin. The plugin's source is compiled into the fuzzer (see
// CMakeLists.txt), so its code is instrumented; the host side is the real one
// (store::ContributionBuilder), which validates every emission as the server does.
//
// A crash, a sanitizer report, or one of these plugin bugs aborts the run:
//   - a probe outside [0, 1], or a probe that reads past the head it was given (ASan);
//   - an exception escaping as REX_STATUS_INTERNAL_ERROR;
//   - a failed parse without an error message;
//   - a successful parse whose emissions the host rejected (invalid family, bad histogram merge),
//     or that holds a non-finite value or a negative counter.
#include <results_exporter/plugin_abi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "store/contribution_builder.hpp"

extern "C" const rex_plugin* results_exporter_plugin_entry(void);

namespace {

[[noreturn]] void bug(const std::string& what) {
  std::fprintf(stderr, "plugin bug: %s\n", what.c_str());
  std::abort();
}

void check(const rex::store::Contribution& c) {
  for (const auto& [name, f] : c.families) {
    for (const auto& [labels, v] : f.scalars) {
      if (!std::isfinite(v)) bug(name + " has a non-finite value");
      if (f.meta.type == rex::store::MetricType::counter && v < 0) bug(name + " is negative");
    }
    for (const auto& [labels, h] : f.histograms)
      if (!std::isfinite(h.sum)) bug(name + " has a non-finite sum");
  }
  if (c.timestamp && !std::isfinite(*c.timestamp)) bug("non-finite document timestamp");
  for (const auto& why : c.skip_reasons)
    if (why.rfind("counter ", 0) == 0 || why.rfind("histogram ", 0) == 0)
      bug("the host refused a sample: " + why);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const rex_plugin* plugin = results_exporter_plugin_entry();

  // The probe sees exactly the head: no padding, so ASan catches a read past it.
  const size_t head_len = std::min<size_t>(size, REX_PROBE_BYTES);
  std::unique_ptr<char[]> head(new char[head_len ? head_len : 1]);
  if (head_len) std::memcpy(head.get(), data, head_len);
  const double confidence = plugin->probe(head.get(), head_len);
  if (!(confidence >= 0 && confidence <= 1)) bug("probe returned " + std::to_string(confidence));

  // The document is followed by REX_INPUT_PADDING zero bytes, as the host guarantees.
  std::vector<char> doc(size + REX_INPUT_PADDING, 0);
  if (size) std::memcpy(doc.data(), data, size);
  rex::store::ContributionBuilder builder;
  const rex_status status = plugin->parse_document(builder.host(), doc.data(), size);
  if (status == REX_STATUS_INTERNAL_ERROR) bug("internal error: " + builder.plugin_error());
  if (status != REX_STATUS_OK) {
    if (builder.plugin_error().empty()) bug("a failed parse without a message");
    return 0;
  }
  if (!builder.emit_error().empty()) bug("the host rejected an emission: " + builder.emit_error());
  check(*builder.finish());
  return 0;
}
