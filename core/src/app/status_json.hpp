// GET /api/v1/status: each source, its files, the plugin that parsed each, when, and what failed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "app/ingest_engine.hpp"

namespace rex::app {

std::string render_status_json(const IngestEngine& engine, const store::Store& store, bool ready);

}  // namespace rex::app
