#include "app/self_metrics.hpp"

#include <algorithm>

namespace rex::app {

namespace {

store::FamilyData& family(store::FamilyMap& f, const char* name, store::MetricType type,
                          const char* help) {
  auto& fam = f[name];
  fam.meta.name = name;
  fam.meta.type = type;
  fam.meta.help = help;
  return fam;
}

}  // namespace

void append_self_metrics(store::FamilyMap& families, const store::Store& store,
                         const IngestEngine& engine) {
  using store::MetricType;
  const auto& sources = engine.sources();
  const auto& registry = engine.registry();

  family(families, "results_exporter_config_last_reload_successful", MetricType::gauge,
         "Whether the last config reload succeeded (1) or failed and the previous config stays in "
         "force (0).")
      .scalars[{}] = engine.last_reload_ok() ? 1 : 0;
  family(families, "results_exporter_config_last_reload_success_timestamp_seconds",
         MetricType::gauge, "When the config was last loaded successfully.")
      .scalars[{}] = engine.last_reload_success();
  if (!engine.plugin_reloads().empty()) {
    auto& reloads = family(families, "results_exporter_plugin_reloads_total", MetricType::counter,
                           "Plugin files loaded while running: success (swapped in), failure (the "
                           "previous version keeps serving), removed.");
    for (const auto& [key, n] : engine.plugin_reloads())
      reloads.scalars[{{"plugin", key.first}, {"result", key.second}}] = static_cast<double>(n);
  }
  family(families, "results_exporter_build_info", MetricType::gauge,
         "Always 1; the version label tells which build is running.")
      .scalars[{{"version", REX_VERSION}}] = 1;

  auto& info = family(families, "results_exporter_plugin_info", MetricType::gauge,
                      "Always 1 for each loaded plugin.");
  for (const auto& [name, p] : registry.all())
    info.scalars[{{"abi", p->abi()}, {"plugin", name}, {"version", p->version()}}] = 1;

  if (store.conflicts()) {
    family(families, "results_exporter_family_conflicts", MetricType::gauge,
           "Family contributions left out because their type or buckets differ from an earlier "
           "declaration of the same name (two plugins disagreeing); see the log.")
        .scalars[{}] = static_cast<double>(store.conflicts());
  }
  if (!registry.failures().empty()) {
    auto& refused = family(families, "results_exporter_plugin_load_failures", MetricType::gauge,
                           "1 for each file in the plugin directory that was refused; see the log "
                           "or /api/v1/status for why.");
    for (const auto& f : registry.failures()) refused.scalars[{{"file", f.file}}] = 1;
  }

  auto& docs = family(families, "results_exporter_documents_total", MetricType::counter,
                      "Documents currently contributing to the metrics (goes down when one is "
                      "deleted, like every counter summed over documents).");
  auto& errors = family(families, "results_exporter_parse_errors_total", MetricType::counter,
                        "Documents that failed to parse (each failing version of a file counts "
                        "once).");
  auto& skipped = family(families, "results_exporter_records_skipped_total", MetricType::counter,
                         "Records (task entries, lines) skipped inside documents that parsed, "
                         "summed over the documents currently contributing.");
  auto& last = family(families, "results_exporter_source_last_success_timestamp_seconds",
                      MetricType::gauge, "When a document of the source last parsed successfully.");
  for (const auto& s : sources) {
    const std::string& name = s->cfg.name;
    std::map<std::string, std::pair<double, double>> per_plugin;  // plugin -> (docs, skipped)
    for (const auto& [key, doc] : store.documents(name)) {
      auto& [n, sk] = per_plugin[doc.plugin];
      n += 1;
      sk += static_cast<double>(doc.contribution ? doc.contribution->records_skipped : 0);
    }
    for (const auto& [plugin, counts] : per_plugin) {
      store::LabelSet labels{{"plugin", plugin}, {"source", name}};
      docs.scalars[labels] = counts.first;
      skipped.scalars[labels] = counts.second;
    }
    for (const auto& [plugin, n] : s->parse_errors)
      errors.scalars[{{"plugin", plugin}, {"source", name}}] = static_cast<double>(n);
    if (s->last_success) last.scalars[{{"source", name}}] = *s->last_success;
  }
  if (engine.config().push) {
    const std::string push = config::kPushSourceName;
    std::map<std::string, std::pair<double, double>> per_plugin;
    for (const auto& [key, doc] : store.documents(push)) {
      auto& [n, sk] = per_plugin[doc.plugin];
      n += 1;
      sk += static_cast<double>(doc.contribution ? doc.contribution->records_skipped : 0);
    }
    double newest = 0;
    for (const auto& [id, d] : engine.pushed()) newest = std::max(newest, d.pushed_at);
    for (const auto& [plugin, counts] : per_plugin) {
      docs.scalars[{{"plugin", plugin}, {"source", push}}] = counts.first;
      skipped.scalars[{{"plugin", plugin}, {"source", push}}] = counts.second;
    }
    for (const auto& [plugin, n] : engine.push_replay_errors())
      errors.scalars[{{"plugin", plugin}, {"source", push}}] = static_cast<double>(n);
    if (newest > 0) last.scalars[{{"source", push}}] = newest;
    auto& requests = family(families, "results_exporter_push_requests_total", MetricType::counter,
                            "Push requests since start, by result: accepted, replaced, retracted, "
                            "rejected (the client's fault: see the answer), failed (the server's: "
                            "the spool could not be written).");
    for (const auto& [result, n] : engine.push_requests())
      requests.scalars[{{"result", result}}] = static_cast<double>(n);
  }
}

}  // namespace rex::app
