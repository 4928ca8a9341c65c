// One real plugin through the host's own code paths. The plugin is built instrumented beside the
// fuzzer (CMakeLists.txt) and loaded with rex::plugin::Plugin::load from $REX_FUZZ_PLUGIN_DIR
// (default: the build's plugins/ folder), exactly as the server loads it.
//   document plugins: probe on the head (exactly the head, unpadded, as the host hands it), then
//     Plugin::parse_document on the padded bytes;
//   line plugins: the bytes go through rex::app::LineStream in chunks whose sizes come from the
//     input (a log grows in arbitrary pieces), then finish().
// Aborts on a crash, a sanitizer report, a probe outside [0, 1], a failed parse without a reason,
// or a contribution with a non-finite value, a negative counter or a host-refused sample.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "app/line_stream.hpp"
#include "plugin/plugin.hpp"

namespace {

[[noreturn]] void bug(const std::string& what) {
  std::fprintf(stderr, "plugin bug (%s): %s\n", REX_FUZZ_PLUGIN, what.c_str());
  std::abort();
}

const std::shared_ptr<rex::plugin::Plugin>& plugin() {
  static const std::shared_ptr<rex::plugin::Plugin> p = [] {
    const char* dir = std::getenv("REX_FUZZ_PLUGIN_DIR");
    std::string path = std::string(dir && *dir ? dir : REX_FUZZ_DEFAULT_PLUGIN_DIR) + "/" +
                       REX_FUZZ_PLUGIN + ".so";
    std::string error;
    auto loaded = rex::plugin::Plugin::load(path, error);
    if (!loaded) {
      std::fprintf(stderr, "cannot load %s: %s\n", path.c_str(), error.c_str());
      std::exit(2);
    }
    return loaded;
  }();
  return p;
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
  const auto& p = plugin();
  const rex::store::LabelSet constant{{"team", "fuzz"}};

  // The probe sees exactly the head: no padding, so ASan catches a read past it.
  const size_t head_len = std::min<size_t>(size, REX_PROBE_BYTES);
  std::unique_ptr<char[]> head(new char[head_len ? head_len : 1]);
  if (head_len) std::memcpy(head.get(), data, head_len);
  const double confidence = p->probe(std::string_view(head.get(), head_len));
  if (!(confidence >= 0 && confidence <= 1)) bug("probe returned " + std::to_string(confidence));

#ifdef REX_FUZZ_PLUGIN_KIND_DOCUMENT
  // A heap block of exactly size + padding, so a read past the padding is caught.
  std::unique_ptr<char[]> doc(new char[size + REX_INPUT_PADDING]);
  if (size) std::memcpy(doc.get(), data, size);
  std::memset(doc.get() + size, 0, REX_INPUT_PADDING);
  auto out = p->parse_document(std::string_view(doc.get(), size), constant);
  if (!out.ok) {
    if (out.error.empty() || out.error.find("(no message)") != std::string::npos)
      bug("a failed parse without a reason: " + out.error);
    if (out.error.find("emitted invalid data") != std::string::npos) bug(out.error);
    return 0;
  }
  if (!out.contribution) bug("ok without a contribution");
  check(*out.contribution);
#else
  rex::app::LineStream stream(p, constant, 4096);  // a small max line: the over-long path too
  size_t pos = 0;
  unsigned step = size ? data[0] : 1;
  while (pos < size) {
    size_t n = std::min<size_t>(size - pos, 1 + (step % 97));
    stream.feed(std::string_view(reinterpret_cast<const char*>(data) + pos, n));
    step = step * 31 + data[pos];
    pos += n;
  }
  stream.finish();
  auto c = stream.contribution();
  if (!c) bug("no contribution");
  check(*c);
#endif
  return 0;
}
