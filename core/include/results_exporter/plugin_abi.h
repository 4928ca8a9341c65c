/*
 * results_exporter plugin ABI, version 1.
 *
 * This pure-C header is the whole contract between the results_exporter host and a parser plugin
 * (a shared object loaded with dlopen). It depends on the C standard library only.
 *
 * Rules that keep old binaries working:
 *   - Structs start with `struct_size` (the size the producer was built with); fields are only ever
 *     appended. A reader checks `struct_size` before touching an appended field.
 *   - A change that is not an append bumps REX_ABI_VERSION_MAJOR; the host refuses a plugin whose
 *     major differs from its own. Appends bump REX_ABI_VERSION_MINOR.
 *   - Only C scalars, enums, {pointer, length} views and opaque handles cross the boundary. No C++
 *     types, no exceptions: a plugin must catch everything and return a status.
 *
 * Naming: `rex_` types are shared; `rex_host_*` callbacks are implemented by the host and called by
 * the plugin; the functions in `rex_plugin` are implemented by the plugin and called by the host.
 *
 * Ownership: every pointer the host passes into a plugin call lives until that call returns; the
 * host copies whatever it keeps during the callback. Strings in the `rex_plugin` descriptor must
 * live as long as the shared object stays loaded (string literals).
 */
#ifndef RESULTS_EXPORTER_PLUGIN_ABI_H
#define RESULTS_EXPORTER_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REX_ABI_VERSION_MAJOR 1
#define REX_ABI_VERSION_MINOR 0

/* Every document buffer handed to a plugin has at least this many readable bytes after its end
 * (zero-filled), so a simdjson parser can read it in place without a copy. */
#define REX_INPUT_PADDING 64

/* The probe sees at most this many bytes from the start of a document. */
#define REX_PROBE_BYTES 4096

/* The one symbol a plugin exports: `const rex_plugin* results_exporter_plugin_entry(void);` */
#define REX_PLUGIN_ENTRY_SYMBOL "results_exporter_plugin_entry"

/* A borrowed, not necessarily NUL-terminated, UTF-8 string. */
typedef struct rex_str {
  const char* ptr;
  size_t len;
} rex_str;

typedef struct rex_label {
  rex_str name;
  rex_str value;
} rex_label;

typedef enum rex_metric_type {
  REX_METRIC_COUNTER = 1,
  REX_METRIC_GAUGE = 2,
  REX_METRIC_HISTOGRAM = 3
} rex_metric_type;

typedef enum rex_status {
  REX_STATUS_OK = 0,
  /* The bytes are not the format at all (not JSON, not XML...). */
  REX_STATUS_PARSE_ERROR = 1,
  /* The format is right but the document lacks what the schema requires (e.g. its task array). */
  REX_STATUS_SCHEMA_ERROR = 2,
  /* A bug or resource failure inside the plugin. */
  REX_STATUS_INTERNAL_ERROR = 3
} rex_status;

typedef enum rex_plugin_kind {
  /* Parses one whole document per call (a result file, a pushed body). */
  REX_PLUGIN_DOCUMENT = 1,
  /* Fed complete lines of a growing log stream; keeps state in an instance it owns. */
  REX_PLUGIN_LINE_STREAM = 2
} rex_plugin_kind;

typedef enum rex_log_level {
  REX_LOG_DEBUG = 0,
  REX_LOG_INFO = 1,
  REX_LOG_WARN = 2,
  REX_LOG_ERROR = 3
} rex_log_level;

/* A metric family a plugin emits into. Histogram bucket upper bounds are finite and strictly
 * increasing; the host adds the +Inf bucket itself. */
typedef struct rex_family_desc {
  uint32_t struct_size;
  rex_str name;
  rex_str help;
  rex_metric_type type;
  const double* bucket_bounds; /* histograms only */
  size_t bucket_count;
} rex_family_desc;

/* Opaque per-call state of the host. */
typedef struct rex_host_ctx rex_host_ctx;

/* Callbacks into the host, valid for the duration of the plugin call they were passed to.
 * Family ids are returned by declare_family. For a document they are valid within that same call;
 * for a line stream, for the whole life of the stream (every call for one stream gets the same
 * host), so a stream plugin declares its families once. */
typedef struct rex_host {
  uint32_t struct_size;
  rex_host_ctx* ctx;

  /* Returns a family id >= 0, or -1 when the description is invalid or conflicts with an earlier
   * declaration of the same name (the host records why). */
  int32_t (*declare_family)(rex_host_ctx* ctx, const rex_family_desc* desc);

  /* Adds `value` (finite, >= 0) to a counter series. A call with 0 makes the series exist. */
  void (*counter_add)(rex_host_ctx* ctx, int32_t family, const rex_label* labels,
                      size_t label_count, double value);

  /* Sets a gauge series; within one document the last call wins. */
  void (*gauge_set)(rex_host_ctx* ctx, int32_t family, const rex_label* labels, size_t label_count,
                    double value);

  /* Records one observation in a histogram series. */
  void (*histogram_observe)(rex_host_ctx* ctx, int32_t family, const rex_label* labels,
                            size_t label_count, double value);

  /* Merges pre-aggregated observations into a histogram series: `bucket_counts` holds
   * `bucket_count` + 1 non-cumulative counts (the last one is the +Inf bucket), in the family's
   * bucket order; `sum` is the sum of the observed values. */
  void (*histogram_merge)(rex_host_ctx* ctx, int32_t family, const rex_label* labels,
                          size_t label_count, const uint64_t* bucket_counts, size_t bucket_count,
                          double sum);

  /* The document's own time (Unix seconds): decides which document is newest for gauges.
   * Without it the host uses the file's modification time. */
  void (*set_document_timestamp)(rex_host_ctx* ctx, double unix_seconds);

  /* A record (task entry, line...) was skipped; `reason` says why. Counted and shown. */
  void (*record_skipped)(rex_host_ctx* ctx, rex_str reason);

  /* The message explaining a non-OK status. The last call wins. */
  void (*set_error)(rex_host_ctx* ctx, rex_str message);

  void (*log)(rex_host_ctx* ctx, rex_log_level level, rex_str message);
} rex_host;

/* A plugin-owned line-stream instance (REX_PLUGIN_LINE_STREAM). */
typedef struct rex_stream rex_stream;

/* The plugin descriptor, returned by the entry symbol. Static data; never freed by the host. */
typedef struct rex_plugin {
  uint32_t struct_size;
  uint16_t abi_major; /* REX_ABI_VERSION_MAJOR the plugin was built with */
  uint16_t abi_minor;
  const char* name;    /* [a-z0-9_]+, the name configs refer to */
  const char* version; /* the plugin's own version */
  const char* description;
  rex_plugin_kind kind;

  /* How confident the plugin is, from 0 (not mine) to 1 (certainly mine), that a document starting
   * with these bytes (at most REX_PROBE_BYTES) is its schema. Must not fail. */
  double (*probe)(const char* head, size_t head_len);

  /* REX_PLUGIN_DOCUMENT: parse one whole document of `len` bytes followed by REX_INPUT_PADDING
   * readable zero bytes. Emits through `host`. On a non-OK status the host discards everything the
   * call emitted. */
  rex_status (*parse_document)(const rex_host* host, const char* data, size_t len);

  /* REX_PLUGIN_LINE_STREAM: create an instance for one log stream, feed it complete lines in order
   * (without the line terminator; "\r\n" loses its "\r" too; followed by REX_INPUT_PADDING
   * readable bytes), destroy it. What a line emits adds to the stream's contribution: counters and
   * histograms accumulate, a gauge keeps its last value. A line that does not concern the plugin
   * returns OK and emits nothing; a line that looks like the schema but is malformed returns
   * REX_STATUS_PARSE_ERROR (with set_error) and must emit nothing: the host counts it as a skipped
   * record. NULL for document plugins. */
  rex_stream* (*stream_create)(const rex_host* host);
  rex_status (*stream_feed_line)(rex_stream* stream, const rex_host* host, const char* line,
                                 size_t len);
  void (*stream_destroy)(rex_stream* stream);
} rex_plugin;

typedef const rex_plugin* (*rex_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* RESULTS_EXPORTER_PLUGIN_ABI_H */
