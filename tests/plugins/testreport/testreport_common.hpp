// Helpers shared by the test-report plugin tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "plugin_test_support.hpp"

namespace rex::test {

// Parses `text` with `plugin` and expects success; an empty contribution on failure.
inline std::shared_ptr<const store::Contribution> parse_ok(const std::string& text,
                                                           const std::string& plugin) {
  auto r = parse_text(text, plugin);
  EXPECT_TRUE(r.ok) << r.error;
  return r.contribution ? r.contribution : std::make_shared<store::Contribution>();
}

// Sets the process's time zone for the life of the guard (naive report times are local).
class TzGuard {
 public:
  explicit TzGuard(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~TzGuard() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  TzGuard(const TzGuard&) = delete;
  TzGuard& operator=(const TzGuard&) = delete;

 private:
  std::optional<std::string> old_;
};

// The value of `testreport_tests_total` etc. for a framework/suite/outcome.
inline std::optional<double> tests(const store::Contribution& c, const std::string& framework,
                                   const std::string& suite, const std::string& outcome,
                                   const std::string& family = "testreport_tests_total") {
  store::LabelSet labels = {{"framework", framework}, {"outcome", outcome}};
  if (!suite.empty()) labels.emplace_back("suite", suite);
  return value(c, family, labels);
}

inline std::optional<double> runs(const store::Contribution& c, const std::string& framework,
                                  const std::string& suite, const std::string& result) {
  store::LabelSet labels = {{"framework", framework}, {"result", result}};
  if (!suite.empty()) labels.emplace_back("suite", suite);
  return value(c, "testreport_runs_total", labels);
}

inline std::optional<double> run_gauge(const store::Contribution& c, const std::string& family,
                                       const std::string& framework, const std::string& suite) {
  store::LabelSet labels = {{"framework", framework}};
  if (!suite.empty()) labels.emplace_back("suite", suite);
  return value(c, family, labels);
}

inline const store::HistogramValue* durations(const store::Contribution& c,
                                              const std::string& framework,
                                              const std::string& suite,
                                              const std::string& outcome) {
  store::LabelSet labels = {{"framework", framework}, {"outcome", outcome}};
  if (!suite.empty()) labels.emplace_back("suite", suite);
  return histogram(c, "testreport_test_duration_seconds", labels);
}

}  // namespace rex::test
