#include "plugin/plugin.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <system_error>

#include "store/contribution_builder.hpp"

namespace rex::plugin {

namespace fs = std::filesystem;

namespace {

// The size of rex_plugin as ABI 1.0 defined it: its last field is stream_destroy.
constexpr size_t kDescriptorSizeV1_0 = offsetof(rex_plugin, stream_destroy) + sizeof(void (*)());

// A private folder for staged copies, created once per process.
const fs::path& staging_dir() {
  static const fs::path dir = [] {
    std::string tmpl = (fs::temp_directory_path() / "results_exporter-plugins.XXXXXX").string();
    if (!mkdtemp(tmpl.data())) return fs::temp_directory_path();
    return fs::path(tmpl);
  }();
  return dir;
}

bool valid_plugin_name(const char* s) {
  if (!s || !*s) return false;
  for (; *s; ++s)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
  return true;
}

}  // namespace

std::shared_ptr<Plugin> Plugin::load(const std::string& path, std::string& error) {
  static std::atomic<uint64_t> counter{0};
  auto fail = [&](const std::string& why) {
    error = path + ": " + why;
    return nullptr;
  };

  std::error_code ec;
  fs::path staged = staging_dir() / (std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                                     "-" + fs::path(path).filename().string());
  fs::copy_file(path, staged, fs::copy_options::overwrite_existing, ec);
  if (ec) return fail("cannot stage a private copy: " + ec.message());
  void* handle = dlopen(staged.c_str(), RTLD_NOW | RTLD_LOCAL);
  // The mapping keeps the code alive; the staged file is not needed once loaded.
  fs::remove(staged, ec);
  if (!handle) {
    const char* why = dlerror();
    return fail(std::string("dlopen failed: ") + (why ? why : "unknown error"));
  }
  std::shared_ptr<Plugin> p(new Plugin());
  p->handle_ = handle;
  p->path_ = path;

  auto entry = reinterpret_cast<rex_plugin_entry_fn>(dlsym(handle, REX_PLUGIN_ENTRY_SYMBOL));
  if (!entry)
    return fail("no entry symbol " REX_PLUGIN_ENTRY_SYMBOL " (not a results_exporter plugin?)");
  const rex_plugin* d = entry();
  if (!d) return fail("the entry symbol returned no descriptor");
  if (d->abi_major != REX_ABI_VERSION_MAJOR)
    return fail("plugin ABI " + std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor) +
                " does not match the server's ABI " + std::to_string(REX_ABI_VERSION_MAJOR) + "." +
                std::to_string(REX_ABI_VERSION_MINOR) + " (major versions must be equal)");
  // Fields are only ever appended: a plugin built against 1.0 has the 1.0 descriptor, which is all
  // the host reads from it (a later minor's fields would be read only after checking struct_size).
  if (d->struct_size < kDescriptorSizeV1_0)
    return fail("plugin descriptor is " + std::to_string(d->struct_size) +
                " bytes, ABI 1.0 needs at least " + std::to_string(kDescriptorSizeV1_0));
  if (!valid_plugin_name(d->name)) return fail("plugin name must be [a-z0-9_]+");
  if (!d->probe) return fail("plugin '" + std::string(d->name) + "' has no probe function");
  if (d->kind == REX_PLUGIN_DOCUMENT) {
    if (!d->parse_document)
      return fail("document plugin '" + std::string(d->name) + "' has no parse_document");
  } else if (d->kind == REX_PLUGIN_LINE_STREAM) {
    if (!d->stream_create || !d->stream_feed_line || !d->stream_destroy)
      return fail("line-stream plugin '" + std::string(d->name) + "' lacks its stream functions");
  } else {
    return fail("plugin '" + std::string(d->name) + "' has an unknown kind");
  }
  p->desc_ = d;
  p->name_ = d->name;
  p->version_ = d->version ? d->version : "";
  return p;
}

Plugin::~Plugin() {
  if (handle_) dlclose(handle_);
}

std::string Plugin::abi() const {
  return std::to_string(desc_->abi_major) + "." + std::to_string(desc_->abi_minor);
}

double Plugin::probe(std::string_view head) const noexcept {
  double c = desc_->probe(head.data(), std::min<size_t>(head.size(), REX_PROBE_BYTES));
  return std::isfinite(c) ? std::clamp(c, 0.0, 1.0) : 0.0;
}

rex_stream* Plugin::create_stream(const rex_host* host) const {
  return desc_->kind == REX_PLUGIN_LINE_STREAM ? desc_->stream_create(host) : nullptr;
}

rex_status Plugin::feed_line(rex_stream* s, const rex_host* host, const char* line,
                             size_t len) const {
  return desc_->stream_feed_line(s, host, line, len);
}

void Plugin::destroy_stream(rex_stream* s) const { desc_->stream_destroy(s); }

ParseOutcome Plugin::parse_document(std::string_view data,
                                    const store::LabelSet& constant_labels) const {
  ParseOutcome out;
  if (desc_->kind != REX_PLUGIN_DOCUMENT) {
    out.error = "plugin " + name_ + " is a line-stream plugin, not a document plugin";
    return out;
  }
  store::ContributionBuilder builder(constant_labels);
  rex_status status = desc_->parse_document(builder.host(), data.data(), data.size());
  if (status != REX_STATUS_OK) {
    const char* kind = status == REX_STATUS_PARSE_ERROR    ? "parse error"
                       : status == REX_STATUS_SCHEMA_ERROR ? "schema error"
                                                           : "plugin error";
    out.error = std::string(kind) + ": " +
                (builder.plugin_error().empty() ? "(no message)" : builder.plugin_error());
    return out;
  }
  if (!builder.emit_error().empty()) {
    out.error = "plugin " + name_ + " emitted invalid data: " + builder.emit_error();
    return out;
  }
  out.ok = true;
  out.contribution = builder.finish();
  return out;
}

}  // namespace rex::plugin
