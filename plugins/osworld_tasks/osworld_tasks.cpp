// osworld_tasks: OSWorld results in the older `tasks` shape (entries with duration and backend).
// Schema: schemas/osworld_tasks/README.md. The logic is shared with osworld_detailed.
#include <results_exporter/plugin_sdk.hpp>

#include "osworld_aggregate.hpp"

#include <string_view>

namespace {

class OsworldTasks {
 public:
  static double probe(std::string_view head) noexcept {
    using rex::sdk::head_contains;
    if (!head_contains(head, "\"tasks\"")) return 0.0;
    if (head_contains(head, "\"duration\"") || head_contains(head, "\"backend\"")) return 0.9;
    return 0.6;
  }

  static rex::sdk::Status parse(rex::sdk::Emitter& out, std::string_view document) {
    static constexpr rex::osworld::Schema kSchema{"tasks", "duration"};
    return rex::osworld::parse_document(out, document, kSchema);
  }
};

}  // namespace

REX_DOCUMENT_PLUGIN(OsworldTasks, "osworld_tasks", "1.0.0",
                    "OSWorld benchmark results, older tasks shape (tasks[] with duration and "
                    "backend)")
