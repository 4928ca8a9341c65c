// Helpers for tests that run documents through the real plugins via the real loader.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/parse_file.hpp"
#include "plugin/registry.hpp"
#include "store/model.hpp"

namespace rex::test {

// The plugins the build produced (loaded once per test binary).
const plugin::Registry& real_plugins();

// Parses `text` with `plugin_spec` ("auto" or a name).
app::FileParse parse_text(std::string_view text, const std::string& plugin_spec);

// A scalar series' value, or nullopt when the series (or family) is absent.
std::optional<double> value(const store::Contribution& c, const std::string& family,
                            const store::LabelSet& labels);
// A histogram series, or nullptr when absent.
const store::HistogramValue* histogram(const store::Contribution& c, const std::string& family,
                                       const store::LabelSet& labels);
bool has_family(const store::Contribution& c, const std::string& family);

std::string read_text_file(const std::string& path);

}  // namespace rex::test
