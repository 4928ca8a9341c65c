// A line-stream plugin for testing the tailing engine without depending on a real log schema.
// Every line "n=<int>" adds 1 to test_lines_total and <int> to test_line_values_total; a line
// "n=<not a number>" is malformed (skipped and counted); other lines are ignored.
#include <results_exporter/plugin_sdk.hpp>

namespace {

class TestLines {
 public:
  static double probe(std::string_view head) noexcept { return head.starts_with("n=") ? 0.9 : 0; }

  explicit TestLines(rex::sdk::Emitter& out)
      : lines_(out.counter("test_lines_total", "Lines seen.")),
        values_(out.counter("test_line_values_total", "Sum of the values.")),
        last_(out.gauge("test_line_last", "The last value.")) {}

  rex::sdk::Status line(rex::sdk::Emitter& out, std::string_view line) {
    if (!line.starts_with("n=")) return rex::sdk::Status::ok();
    double v = 0;
    if (!rex::sdk::parse_number_text(line.substr(2), v))
      return rex::sdk::Status::parse_error("not a number after n=");
    out.add(lines_, {}, 1);
    out.add(values_, {}, v);
    out.set(last_, {}, v);
    return rex::sdk::Status::ok();
  }

 private:
  int32_t lines_, values_, last_;
};

}  // namespace

REX_LINE_STREAM_PLUGIN(TestLines, "test_lines", "1.0.0", "Test line-stream plugin")
