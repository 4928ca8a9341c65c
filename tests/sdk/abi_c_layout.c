/* plugin_abi.h compiled as C (-std=c11 -Wall -Wextra -Wpedantic -Werror): proves the header is
 * pure C, and measures the layout a C compiler gives it so the C++ side can compare. */
#include <results_exporter/plugin_abi.h>

#include <stdalign.h>
#include <stddef.h>

size_t rex_abi_c_layout(size_t* out, size_t capacity);
int rex_abi_c_usable(void);

/* The numbers in the order of abi_fields.inc: per struct its size and alignment, per field its
 * offset and size, per enum its size, per enum value the value. Returns how many there are. */
size_t rex_abi_c_layout(size_t* out, size_t capacity) {
  size_t n = 0;
#define REX_PUT(x)                          \
  do {                                      \
    if (n < capacity) out[n] = (size_t)(x); \
    ++n;                                    \
  } while (0)
#define REX_STRUCT(S) \
  REX_PUT(sizeof(S)); \
  REX_PUT(alignof(S));
#define REX_FIELD(S, F)    \
  REX_PUT(offsetof(S, F)); \
  REX_PUT(sizeof(((S*)0)->F));
#define REX_ENUM(E) REX_PUT(sizeof(E));
#define REX_ENUM_VALUE(V) REX_PUT(V);
#include "abi_fields.inc"
#undef REX_STRUCT
#undef REX_FIELD
#undef REX_ENUM
#undef REX_ENUM_VALUE
#undef REX_PUT
  return n;
}

/* What a plugin written in C does: fill a descriptor with designated initializers. */
static double c_probe(const char* head, size_t len) {
  (void)head;
  return len > 0 ? 0.5 : 0.0;
}

int rex_abi_c_usable(void) {
  static const rex_plugin plugin = {
      .struct_size = sizeof(rex_plugin),
      .abi_major = REX_ABI_VERSION_MAJOR,
      .abi_minor = REX_ABI_VERSION_MINOR,
      .name = "c_plugin",
      .version = "1.0.0",
      .description = "written in C",
      .kind = REX_PLUGIN_DOCUMENT,
      .probe = c_probe,
  };
  rex_plugin_entry_fn entry = NULL;
  (void)entry;
  return plugin.probe("x", 1) > 0.0 && plugin.parse_document == NULL &&
         sizeof(REX_PLUGIN_ENTRY_SYMBOL) > 1;
}
