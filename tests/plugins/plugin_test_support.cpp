#include "plugin_test_support.hpp"

#include <fstream>
#include <sstream>

namespace rex::test {

const plugin::Registry& real_plugins() {
  static const plugin::Registry r = plugin::Registry::load_directory(REX_PLUGIN_DIR);
  return r;
}

app::FileParse parse_text(std::string_view text, const std::string& plugin_spec) {
  auto doc = app::PaddedDocument::from_bytes(text);
  return app::parse_bytes(real_plugins(), plugin_spec, doc, {});
}

std::optional<double> value(const store::Contribution& c, const std::string& family,
                            const store::LabelSet& labels) {
  auto f = c.families.find(family);
  if (f == c.families.end()) return std::nullopt;
  auto s = f->second.scalars.find(labels);
  if (s == f->second.scalars.end()) return std::nullopt;
  return s->second;
}

const store::HistogramValue* histogram(const store::Contribution& c, const std::string& family,
                                       const store::LabelSet& labels) {
  auto f = c.families.find(family);
  if (f == c.families.end()) return nullptr;
  auto s = f->second.histograms.find(labels);
  return s == f->second.histograms.end() ? nullptr : &s->second;
}

bool has_family(const store::Contribution& c, const std::string& family) {
  auto f = c.families.find(family);
  return f != c.families.end() && !f->second.empty();
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace rex::test
