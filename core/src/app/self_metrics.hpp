// The server's own metrics (results_exporter_*): what it loaded, parsed, skipped and failed on.
// The old pipeline failed silently; these make every failure visible to Prometheus and alerts.
#pragma once

#include <memory>
#include <vector>

#include "app/ingest_engine.hpp"

namespace rex::app {

void append_self_metrics(store::FamilyMap& families, const store::Store& store,
                         const IngestEngine& engine);

}  // namespace rex::app
