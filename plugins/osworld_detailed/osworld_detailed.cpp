// osworld_detailed: OSWorld results in the `detailed_results` shape (what a pytest-driven run
// writes). Schema: schemas/osworld_detailed/README.md. The logic is shared with osworld_tasks.
#include <results_exporter/plugin_sdk.hpp>

#include "osworld_aggregate.hpp"

#include <string_view>

namespace {

class OsworldDetailed {
 public:
  static double probe(std::string_view head) noexcept {
    using rex::sdk::head_contains;
    if (head_contains(head, "\"detailed_results\"")) return 0.9;
    if (head_contains(head, "\"execution_time\"") && head_contains(head, "\"category\""))
      return 0.4;
    return 0.0;
  }

  static rex::sdk::Status parse(rex::sdk::Emitter& out, std::string_view document) {
    static constexpr rex::osworld::Schema kSchema{"detailed_results", "execution_time"};
    return rex::osworld::parse_document(out, document, kSchema);
  }
};

}  // namespace

REX_DOCUMENT_PLUGIN(OsworldDetailed, "osworld_detailed", "1.0.0",
                    "OSWorld benchmark results, detailed_results shape (timestamp, category_stats, "
                    "detailed_results[] with execution_time)")
