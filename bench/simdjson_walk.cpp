// The bare floor for the ingest comparison: read the file into a padded buffer, walk it once with
// simdjson On-Demand and do the same arithmetic as the osworld_detailed plugin (per category:
// tasks, failures by reason, duration histogram by status, steps histogram, success rate), then
// print a short summary so nothing is optimised away. No validation beyond what On-Demand does.
#include <simdjson.h>

#include <array>
#include <cstdio>
#include <map>
#include <string>

namespace {
constexpr std::array<double, 11> kDur{0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600};
constexpr std::array<double, 10> kSteps{1, 2, 3, 5, 8, 10, 15, 20, 30, 50};
template <size_t N>
struct Hist {
  std::array<uint64_t, N + 1> b{};
  double sum = 0;
  uint64_t n = 0;
  void observe(const std::array<double, N>& bounds, double v) {
    size_t i = 0;
    while (i < N && v > bounds[i]) ++i;
    ++b[i];
    sum += v;
    ++n;
  }
};
struct Cat {
  uint64_t total = 0, ok = 0, failed = 0, errored = 0;
  Hist<11> dur_ok, dur_failed;
  Hist<10> steps;
};
double num(simdjson::ondemand::value v, bool& ok) {
  double d;
  if (v.get_double().get(d) == simdjson::SUCCESS) return d;
  std::string_view s;
  if (v.get_string().get(s) == simdjson::SUCCESS) {
    ok = true;
    return std::stod(std::string(s));
  }
  ok = false;
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  simdjson::padded_string json;
  if (simdjson::padded_string::load(argv[1]).get(json)) return 1;
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc)) return 1;
  std::map<std::string, Cat, std::less<>> cats;
  uint64_t skipped = 0;
  for (auto field : doc.get_object()) {
    std::string_view key = field.unescaped_key();
    if (key != "detailed_results") continue;
    for (auto entry : field.value().get_array()) {
      simdjson::ondemand::object obj;
      if (entry.get_object().get(obj)) {
        ++skipped;
        continue;
      }
      std::string_view cat;
      int success = -1;
      bool has_err = false, has_t = false, has_s = false, bad = false;
      double t = 0, s = 0;
      for (auto f : obj) {
        std::string_view k = f.unescaped_key();
        simdjson::ondemand::value v;
        if (f.value().get(v)) {
          bad = true;
          continue;
        }
        if (k == "category") {
          if (v.get_string().get(cat)) cat = {};
        } else if (k == "success") {
          bool b;
          if (v.get_bool().get(b))
            bad = true;
          else
            success = b;
        } else if (k == "execution_time") {
          bool ok = true;
          t = num(v, ok);
          has_t = ok;
          bad |= !ok || t < 0;
        } else if (k == "steps_taken") {
          bool ok = true;
          s = num(v, ok);
          has_s = ok;
          bad |= !ok || s < 0;
        } else if (k == "error") {
          std::string_view e;
          has_err = !v.get_string().get(e) && !e.empty();
        }
      }
      if (bad || success < 0) {
        ++skipped;
        continue;
      }
      auto it = cats.find(cat);
      if (it == cats.end()) it = cats.emplace(std::string(cat), Cat{}).first;
      Cat& c = it->second;
      ++c.total;
      if (success)
        ++c.ok;
      else if (has_err)
        ++c.errored;
      else
        ++c.failed;
      if (has_t) (success ? c.dur_ok : c.dur_failed).observe(kDur, t);
      if (has_s) c.steps.observe(kSteps, s);
    }
  }
  uint64_t total = 0;
  double rate_sum = 0, dur_sum = 0;
  for (auto& [name, c] : cats) {
    total += c.total;
    rate_sum += 100.0 * c.ok / c.total;
    dur_sum += c.dur_ok.sum + c.dur_failed.sum;
  }
  std::printf("categories=%zu entries=%llu skipped=%llu rate_sum=%.3f dur_sum=%.3f\n", cats.size(),
              (unsigned long long)total, (unsigned long long)skipped, rate_sum, dur_sum);
}
