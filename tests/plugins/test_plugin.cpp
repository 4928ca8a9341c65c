// A small plugin built in several variants (REX_TEST_VARIANT_*), to test the loader with real
// shared objects: a good one, and ones with a wrong ABI, a short descriptor, no probe, or invalid
// output.
//
// Documents it understands: "TEST <value>" -> test_documents_total += 1, test_value = value.
#include <results_exporter/plugin_sdk.hpp>

#include <string>

namespace {

struct TestPlugin {
  static double probe(std::string_view head) noexcept {
    return head.starts_with("TEST") ? 0.95 : 0;
  }

  static rex::sdk::Status parse(rex::sdk::Emitter& out, std::string_view doc) {
    if (!doc.starts_with("TEST ")) return rex::sdk::Status::parse_error("not a TEST document");
    double v = 0;
    std::string_view rest = doc.substr(5);
    while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\0')) rest.remove_suffix(1);
    if (!rex::sdk::parse_number_text(rest, v))
      return rex::sdk::Status::schema_error("value is not a number");
#ifdef REX_TEST_VARIANT_BAD_FAMILY
    int32_t bad = out.counter("not a valid name", "x");
    out.add(bad, {}, 1);
#endif
    int32_t docs = out.counter("test_documents_total", "Documents seen.");
    int32_t value = out.gauge("test_value", "The value of the newest document.");
#ifdef REX_TEST_VARIANT_V2
    v *= 2;  // version 2 derives different figures from the same document
#endif
    out.add(docs, {}, 1);
    out.set(value, {}, v);
    return rex::sdk::Status::ok();
  }
};

using Impl = TestPlugin;

}  // namespace

#if defined(REX_TEST_VARIANT_GOOD) || defined(REX_TEST_VARIANT_BAD_FAMILY)
REX_DOCUMENT_PLUGIN(Impl, "test_plugin", "1.0.0", "Test plugin")
#elif defined(REX_TEST_VARIANT_V2)
REX_DOCUMENT_PLUGIN(Impl, "test_plugin", "2.0.0", "Test plugin, version 2")
#else
REX_PLUGIN_EXPORT const rex_plugin* results_exporter_plugin_entry(void) {
  static rex_plugin d = {
      sizeof(rex_plugin),
      REX_ABI_VERSION_MAJOR,
      REX_ABI_VERSION_MINOR,
      "test_plugin",
      "1.0.0",
      "Test plugin with a defect",
      REX_PLUGIN_DOCUMENT,
      &rex::sdk::detail::probe<Impl>,
      &rex::sdk::detail::parse_document<Impl>,
      nullptr,
      nullptr,
      nullptr,
  };
#if defined(REX_TEST_VARIANT_BAD_ABI_MAJOR)
  d.abi_major = REX_ABI_VERSION_MAJOR + 1;
#elif defined(REX_TEST_VARIANT_SHORT_DESCRIPTOR)
  d.struct_size = 16;
#elif defined(REX_TEST_VARIANT_NO_PROBE)
  d.probe = nullptr;
#endif
  return &d;
}
#endif
