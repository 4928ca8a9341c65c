// example_csv: the template plugin. Copy this folder, rename, and replace the format.
//
// The format is a deliberately tiny CSV of test results (no quoting):
//
//   # timestamp: 1718000000          optional comment lines; this one dates the document
//   test,status,duration_seconds     the header, exactly
//   login,pass,0.42                  status: pass, fail or skip
//   search,skip,                     an empty duration means "not measured"
//
// and it becomes
//
//   example_tests_total{status="pass|fail|skip"}   counter: rows per status
//   example_test_duration_seconds{test="..."}      gauge: the duration, only where one was given
#include <results_exporter/plugin_sdk.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace {

using rex::sdk::Emitter;
using rex::sdk::Status;

constexpr std::string_view kHeader = "test,status,duration_seconds";
constexpr std::array<std::string_view, 3> kStatuses = {"pass", "fail", "skip"};

// Cuts the next line off `rest`; a trailing '\r' goes with the terminator.
std::string_view next_line(std::string_view& rest) {
  std::size_t end = rest.find('\n');
  std::string_view line = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

// Cuts the next comma-separated field off `rest`.
std::string_view next_field(std::string_view& rest) {
  std::size_t end = rest.find(',');
  std::string_view field = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return field;
}

class ExampleCsv {
 public:
  // How sure we are, from the first bytes of a file (at most REX_PROBE_BYTES), that it is ours.
  // Cheap, never fails; `plugin: auto` picks the most confident plugin.
  static double probe(std::string_view head) noexcept {
    while (!head.empty()) {
      std::string_view line = next_line(head);
      if (line.starts_with('#')) continue;
      return line == kHeader ? 0.9 : 0.0;
    }
    return 0.0;
  }

  // Parses one whole document. `document` is followed by REX_INPUT_PADDING zero bytes (unused
  // here). On a non-OK status the host discards everything this call emitted.
  static Status parse(Emitter& out, std::string_view document) {
    // Families are declared per call; the ids are valid until parse() returns.
    const int32_t tests = out.counter("example_tests_total", "Tests in the result file by status.");
    const int32_t duration =
        out.gauge("example_test_duration_seconds", "Duration of each test, where measured.");

    std::string_view rest = document;
    bool header_seen = false;
    std::array<double, kStatuses.size()> per_status{};
    for (std::size_t line_no = 1; !rest.empty(); ++line_no) {
      std::string_view line = next_line(rest);
      if (line.empty()) continue;
      if (line.starts_with('#')) {
        constexpr std::string_view kTimestamp = "# timestamp:";
        double ts = 0;
        if (line.starts_with(kTimestamp) &&
            rex::sdk::parse_number_text(line.substr(kTimestamp.size()), ts))
          out.timestamp(ts);  // decides which document is newest for gauges
        continue;
      }
      if (!header_seen) {
        // Not our schema at all: a schema error, with the reason the host shows.
        if (line != kHeader)
          return Status::schema_error("line " + std::to_string(line_no) +
                                      ": expected the header '" + std::string(kHeader) + "'");
        header_seen = true;
        continue;
      }

      // A bad row is skipped and counted, not fatal: the rest of the file still counts.
      std::string_view fields = line;
      std::string_view test = next_field(fields);
      std::string_view status = next_field(fields);
      std::string_view seconds = next_field(fields);
      if (!fields.empty() || test.empty()) {
        out.skipped("line " + std::to_string(line_no) + ": expected 3 fields");
        continue;
      }
      std::size_t s = 0;
      while (s < kStatuses.size() && kStatuses[s] != status) ++s;
      if (s == kStatuses.size()) {
        out.skipped("line " + std::to_string(line_no) + ": unknown status '" + std::string(status) +
                    "'");
        continue;
      }
      double value = 0;
      if (!seconds.empty() && !rex::sdk::parse_number_text(seconds, value)) {
        out.skipped("line " + std::to_string(line_no) + ": duration is not a number");
        continue;
      }
      per_status[s] += 1;
      // No duration, no sample: absent stays absent, never a made-up 0.
      if (!seconds.empty()) out.set(duration, {{"test", test}}, value);
    }
    if (!header_seen) return Status::schema_error("no header line '" + std::string(kHeader) + "'");

    // A counter with 0 is a real figure here (the file says: no failures), so every status exists.
    for (std::size_t s = 0; s < kStatuses.size(); ++s)
      out.add(tests, {{"status", kStatuses[s]}}, per_status[s]);
    return Status::ok();
  }
};

}  // namespace

// Exports the one entry symbol. The name is what configs and `parse --plugin` refer to: [a-z0-9_]+.
REX_DOCUMENT_PLUGIN(ExampleCsv, "example_csv", "1.0.0",
                    "Example: a tiny CSV of test results (test,status,duration_seconds)")
