// Pushed documents: POST /api/v1/push/{plugin}?id=… for producers that cannot share a folder with
// the server (CI runners, containers). A push goes through the same plugins as a watched file, is
// written durably to the spool before it is answered, replaces an earlier push of the same id, and
// is read back from the spool after a restart.
#include <spdlog/spdlog.h>

#include <cerrno>

#include "app/ingest_engine.hpp"
#include "app/json_writer.hpp"
#include "app/parse_file.hpp"

namespace rex::app {

namespace {

PushAnswer answer(unsigned status, const std::string& id, const std::string& message,
                  const std::string& plugin = {}) {
  JsonWriter w;
  w.begin_object();
  w.field("status", status < 300 ? "ok" : "error");
  if (!id.empty()) w.field("id", id);
  if (!plugin.empty()) w.field("plugin", plugin);
  w.field(status < 300 ? "message" : "error", message);
  w.end_object();
  return {status, w.take() + "\n"};
}

store::Document pushed_doc(const std::string& id, const std::string& path,
                           const std::string& plugin, double time,
                           std::shared_ptr<const store::Contribution> c) {
  store::Document doc;
  doc.key = id;
  doc.path = path;
  doc.plugin = plugin;
  doc.mtime = time;
  doc.contribution = std::move(c);
  return doc;
}

}  // namespace

void IngestEngine::request_push(PushCall call, std::function<void(PushAnswer)> done) {
  boost::asio::post(ioc_, [this, call = std::move(call), done = std::move(done)]() mutable {
    if (stopped_) return done(answer(503, call.id, "shutting down"));
    PushAnswer a = handle_push(call);
    if (a.status >= 400) publish();  // the request counters changed (successes publish already)
    done(std::move(a));
  });
}

void IngestEngine::open_push_spool() {
  std::string wanted = cfg_.push ? cfg_.push->spool_dir : std::string();
  if (spool_ && spool_->dir() == wanted) return;
  // Another spool (or none): what came from the old one goes.
  for (const auto& [id, d] : pushed_) store_.remove(config::kPushSourceName, id);
  pushed_.clear();
  push_replay_errors_.clear();
  spool_.reset();
  if (!cfg_.push) return;
  spool_ = std::make_unique<PushSpool>(wanted);
  std::string error;
  if (!spool_->open(error)) {
    spdlog::error("push: {}; pushes will fail until it can be created", error);
    return;
  }
  // Replay what was pushed before the restart.
  for (const auto& e : spool_->list()) {
    FileParse r = parse_file(registry_, e.plugin, e.path, {}, cfg_.push->max_body_bytes);
    if (!r.ok) {
      ++push_replay_errors_[e.plugin];
      spdlog::warn("push: spooled document {} ({}) no longer parses: {}", e.id, e.path, r.error);
      continue;
    }
    double t = static_cast<double>(r.identity.mtime_ns) / 1e9;
    store_.put(config::kPushSourceName, pushed_doc(e.id, e.path, r.plugin, t, r.contribution));
    pushed_[e.id] = {r.plugin, e.path, t};
  }
  if (!pushed_.empty()) spdlog::info("push: {} documents replayed from {}", pushed_.size(), wanted);
}

PushAnswer IngestEngine::handle_push(PushCall& call) {
  auto count = [&](const char* result) { ++push_requests_[result]; };
  if (!cfg_.push || !spool_) {
    count("rejected");
    return answer(404, call.id, "push is not enabled (no push: section in the config)");
  }
  if (!PushSpool::valid_id(call.id)) {
    count("rejected");
    return answer(
        400, call.id,
        "a document id is required (?id=… or X-Document-Id): 1-200 of A-Z a-z 0-9 . _ : -");
  }
  if (call.retract) {
    std::string error;
    int removed = spool_->remove(call.id, error);
    if (removed < 0) {
      count("failed");
      return answer(500, call.id, error);
    }
    if (removed == 0 && !pushed_.count(call.id)) {
      count("rejected");
      return answer(404, call.id, "no pushed document has this id");
    }
    store_.remove(config::kPushSourceName, call.id);
    pushed_.erase(call.id);
    count("retracted");
    publish();
    return answer(200, call.id, "retracted");
  }
  if (call.plugin.empty()) {
    count("rejected");
    return answer(400, call.id, "name the plugin in the path: /api/v1/push/{plugin} (or auto)");
  }
  auto doc = PaddedDocument::from_bytes(call.body);
  FileParse r = parse_bytes(registry_, call.plugin, doc, {});
  if (!r.ok) {
    count("rejected");
    unsigned status =
        r.plugin == call.plugin && call.plugin != "auto" && !registry_.find(call.plugin) ? 404
                                                                                         : 422;
    return answer(status, call.id, r.error, r.plugin);
  }
  std::string path, error;
  if (!spool_->write(r.plugin, call.id, call.body, path, error)) {
    count("failed");
    spdlog::error("push {}: {}", call.id, error);
    // Out of space is the server's condition, not the client's fault: 507, retry later.
    return answer(error.find(std::strerror(ENOSPC)) != std::string::npos ? 507 : 500, call.id,
                  error, r.plugin);
  }
  bool replaced = pushed_.count(call.id) > 0;
  double now = unix_now();
  store_.put(config::kPushSourceName, pushed_doc(call.id, path, r.plugin, now, r.contribution));
  pushed_[call.id] = {r.plugin, path, now};
  count(replaced ? "replaced" : "accepted");
  publish();
  std::string msg = replaced ? "replaced the earlier push of this id" : "accepted";
  if (r.contribution->records_skipped)
    msg += "; " + std::to_string(r.contribution->records_skipped) + " records skipped";
  return answer(replaced ? 200 : 201, call.id, msg, r.plugin);
}

}  // namespace rex::app
