// junit_xml: JUnit-style XML test reports, in the dialects pytest (--junitxml), GoogleTest
// (--gtest_output=xml), Maven Surefire and jest-junit write, and plain JUnit/Ant ones.
// Schema: schemas/junit_xml/README.md; metrics: schemas/testreport/README.md.
//
// pugixml builds the DOM (it must copy: the host's buffer is read-only); the walk tallies each
// <testsuite> from its <testcase> children, which are trusted over the suite's count attributes,
// and every series is emitted once at the end. The dialect, told by traits the producers leave,
// names the `framework` label.
#include <results_exporter/plugin_sdk.hpp>

#include <pugixml.hpp>

#include "testreport.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace tr = rex::testreport;
using rex::sdk::Emitter;
using rex::sdk::Status;
using tr::Num;
using tr::Outcome;

constexpr int kMaxSuiteDepth = 32;

// Traits of the producers, collected during the walk.
enum Trait : unsigned {
  kGoogleTest = 1u << 0,  // testcase status="run|notrun", testsuites name="AllTests"
  kPytest = 1u << 1,      // skipped type="pytest.*", suite name "pytest", pytest's error messages
  kSurefire = 1u << 2,    // the Surefire XSD, surefire.* properties, flaky/rerun elements
  kJest = 1u << 3,        // testsuites name="jest tests" (jest-junit's default)
};

bool starts_with(std::string_view s, std::string_view p) noexcept {
  return s.substr(0, p.size()) == p;
}

std::string_view attr(const pugi::xml_node& n, const char* name) noexcept {
  const pugi::xml_attribute a = n.attribute(name);
  return a ? std::string_view(a.value()) : std::string_view();
}

bool has_attr(const pugi::xml_node& n, const char* name) noexcept {
  return static_cast<bool>(n.attribute(name));
}

// pytest writes datetime.isoformat(): six fraction digits (unless the microsecond is 0).
bool microsecond_timestamp(std::string_view ts) noexcept {
  const std::size_t dot = ts.rfind('.');
  if (dot == std::string_view::npos || ts.size() - dot != 7) return false;
  for (char c : ts.substr(dot + 1))
    if (c < '0' || c > '9') return false;
  return true;
}

class Walker {
 public:
  Walker(Emitter& out, tr::Report& report) : out_(out), report_(report) {}

  unsigned traits() const noexcept { return traits_; }
  const std::optional<tr::Instant>& newest_suite() const noexcept { return newest_; }

  // A <testsuite>, or the <testsuites> wrapper (`wrapper`: its counts are totals, not its own).
  void suite(const pugi::xml_node& node, int depth, bool wrapper) {
    if (depth > kMaxSuiteDepth) {
      out_.skipped("a testsuite nested deeper than " + std::to_string(kMaxSuiteDepth) +
                   " levels: skipped");
      return;
    }
    const std::string_view name = wrapper ? std::string_view() : attr(node, "name");
    if (!wrapper) note_suite_traits(node, name);

    Tally t;
    bool nested = false;
    std::optional<Case> pending;  // counted once the next element cannot continue it
    for (const pugi::xml_node& child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      const std::string_view cname = child.name();
      if (cname == "testcase") {
        Case c = read_case(child, t);
        if (pending && continues(*pending, c)) {
          absorb(*pending, c);
          continue;
        }
        if (pending) count(*pending, name, t);
        pending = c;
      } else if (cname == "testsuite") {
        nested = true;
        suite(child, depth + 1, false);
      } else if (cname == "properties") {
        for (const pugi::xml_node& p : child.children("property"))
          if (starts_with(attr(p, "name"), "surefire.")) traits_ |= kSurefire;
      }
    }
    if (pending) count(*pending, name, t);
    // A suite of suites (Ant, PHPUnit) or the wrapper: nothing of its own unless it has cases.
    if (t.cases == 0 && (nested || wrapper)) return;
    if (t.cases > 0 && t.s.total() == 0) return;  // every case was skipped as a record

    if (!wrapper) {
      double seconds = 0;
      if (tr::parse_seconds(attr(node, "time"), seconds) == Num::ok) t.s.run_duration = seconds;
      tr::Instant start;
      if (tr::parse_iso8601(attr(node, "timestamp"), start)) {
        t.s.run_start = start;
        if (!newest_ || start.seconds > newest_->seconds) newest_ = start;
      }
      check_counts(node, name, t);
    }
    report_.add(name, t.s);
  }

  void note_root_traits(const pugi::xml_node& root) {
    const std::string_view name = attr(root, "name");
    if (name == "AllTests") traits_ |= kGoogleTest;
    if (name == "jest tests") traits_ |= kJest;
  }

 private:
  struct Tally {
    tr::SuiteStats s;
    uint64_t cases = 0;     // tests
    uint64_t elements = 0;  // <testcase> elements
    uint64_t reports = 0;   // one per failure/error/skipped child, else one (older pytest)
    uint64_t with_failure = 0, failure_elements = 0;
    uint64_t with_error = 0, error_elements = 0;
    uint64_t with_skipped = 0, skipped_elements = 0;
    uint64_t not_run = 0;
  };

  void note_suite_traits(const pugi::xml_node& node, std::string_view name) {
    if (name == "pytest") traits_ |= kPytest;
    if (has_attr(node, "hostname") && microsecond_timestamp(attr(node, "timestamp")))
      traits_ |= kPytest;
    for (const pugi::xml_attribute& a : node.attributes()) {
      const std::string_view an = a.name();
      if (an.size() >= 25 && an.substr(an.size() - 25) == "noNamespaceSchemaLocation" &&
          std::string_view(a.value()).find("surefire") != std::string_view::npos)
        traits_ |= kSurefire;
    }
  }

  // One <testcase> as read, before it is counted.
  struct Case {
    std::string_view classname, name;  // views into the DOM
    std::string_view time_text;
    Num time = Num::absent;
    double seconds = 0;
    Outcome outcome = Outcome::passed;
    bool not_run = false;
    bool teardown_error_only = false;  // pytest's second element for a failed test's teardown
  };

  Case read_case(const pugi::xml_node& tc, Tally& t) {
    Case c;
    c.classname = attr(tc, "classname");
    c.name = attr(tc, "name");
    unsigned failures = 0, errors = 0, skips = 0;
    bool xfail = false, teardown_error = false;
    for (const pugi::xml_node& child : tc.children()) {
      if (child.type() != pugi::node_element) continue;
      const std::string_view n = child.name();
      if (n == "failure") {
        ++failures;
      } else if (n == "error") {
        ++errors;
        const std::string_view m = attr(child, "message");
        teardown_error = teardown_error || starts_with(m, "failed on teardown with");
        if (m == "collection failure" || starts_with(m, "failed on setup with") ||
            starts_with(m, "failed on teardown with"))
          traits_ |= kPytest;
      } else if (n == "skipped") {
        ++skips;
        const std::string_view type = attr(child, "type");
        if (starts_with(type, "pytest.")) traits_ |= kPytest;
        if (type == "pytest.xfail") xfail = true;
      } else if (n == "flakyFailure" || n == "flakyError" || n == "rerunFailure" ||
                 n == "rerunError") {
        traits_ |= kSurefire;
      }
    }
    const std::string_view status = attr(tc, "status");
    const std::string_view result = attr(tc, "result");
    if (status == "run" || status == "notrun") traits_ |= kGoogleTest;
    c.not_run = status == "notrun" || result == "suppressed";
    c.teardown_error_only = teardown_error && failures == 0 && skips == 0;

    if (errors > 0) {
      c.outcome = Outcome::error;  // also with a failure: the test failed, then its teardown
    } else if (failures > 0) {
      c.outcome = Outcome::failed;
    } else if (c.not_run) {
      c.outcome = Outcome::skipped;
    } else if (xfail) {
      c.outcome = Outcome::xfailed;
    } else if (skips > 0 || result == "skipped") {
      c.outcome = Outcome::skipped;
    }

    // The figures the suite's attributes are checked against, per element.
    ++t.elements;
    t.reports += std::max(1u, failures + errors + skips);
    t.with_failure += failures > 0 ? 1 : 0;
    t.failure_elements += failures;
    t.with_error += errors > 0 ? 1 : 0;
    t.error_elements += errors;
    t.with_skipped += skips > 0 ? 1 : 0;
    t.skipped_elements += skips;
    t.not_run += c.not_run ? 1 : 0;

    c.time_text = attr(tc, "time");
    c.time = tr::parse_seconds(c.time_text, c.seconds);
    return c;
  }

  // pytest (5.1 and later) writes a test that failed and then errored in teardown as two
  // elements of the same name, the second with the error: they are one test, an error.
  static bool continues(const Case& first, const Case& next) noexcept {
    return next.teardown_error_only && first.outcome == Outcome::failed &&
           first.classname == next.classname && first.name == next.name;
  }

  static void absorb(Case& first, const Case& next) noexcept {
    first.outcome = Outcome::error;
    if (first.time == Num::ok && next.time == Num::ok) {
      first.seconds += next.seconds;
    } else if (next.time != Num::absent) {
      first.time = next.time;
      first.time_text = next.time_text;
    }
  }

  void count(const Case& c, std::string_view suite_name, Tally& t) {
    const uint64_t index = t.cases++;
    if (c.time == Num::ok && !c.not_run) {  // a test that did not run has no duration
      t.s.count(c.outcome, c.seconds);
      return;
    }
    t.s.count(c.outcome);
    if (c.time == Num::invalid || c.time == Num::negative) {
      std::string m = "suite \"" + tr::excerpt(suite_name) + "\" testcase " +
                      std::to_string(index) + ": time \"" + tr::excerpt(c.time_text) +
                      "\" is not a duration; counted without one";
      out_.skipped(m);
    }
  }

  // The suite's own figures against its cases. Either way of counting agrees: test cases with a
  // failure (GoogleTest, Surefire) or failure elements (pytest counts reports).
  void check_counts(const pugi::xml_node& node, std::string_view name, const Tally& t) {
    tr::CountCheck check;
    uint64_t n = 0;
    if (tr::parse_count(attr(node, "tests"), n)) {
      // Tests, elements, or (older pytest) one per report: whichever the producer counted.
      check.check("tests", n, t.cases, n == t.elements ? t.elements : t.reports);
    }
    if (tr::parse_count(attr(node, "failures"), n))
      check.check("failures", n, t.with_failure, t.failure_elements);
    if (tr::parse_count(attr(node, "errors"), n))
      check.check("errors", n, t.with_error, t.error_elements);
    if (tr::parse_count(attr(node, "skipped"), n))
      check.check("skipped", n, t.with_skipped, t.skipped_elements);
    if (tr::parse_count(attr(node, "disabled"), n)) check.check("disabled", n, t.not_run);
    check.report(out_, "suite \"" + tr::excerpt(name) + "\"");
  }

  Emitter& out_;
  tr::Report& report_;
  unsigned traits_ = 0;
  std::optional<tr::Instant> newest_;
};

class JunitXml {
 public:
  static double probe(std::string_view head) noexcept {
    if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
    // Past the prolog (XML declaration, comments, processing instructions, DOCTYPE) to the root.
    std::size_t i = 0;
    for (;;) {
      while (i < head.size() &&
             (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r'))
        ++i;
      if (i >= head.size() || head[i] != '<') return 0.0;
      const std::string_view rest = head.substr(i);
      std::string_view close;
      if (starts_with(rest, "<?")) {
        close = "?>";
      } else if (starts_with(rest, "<!--")) {
        close = "-->";
      } else if (starts_with(rest, "<!")) {
        close = ">";  // DOCTYPE (an internal subset with '>' inside is not expected here)
      } else {
        break;
      }
      const std::size_t end = rest.find(close);
      // A prolog longer than the head: judge by what it shows.
      if (end == std::string_view::npos)
        return rex::sdk::head_contains(head, "<testsuite") ? 0.5 : 0.0;
      i += end + close.size();
    }
    const std::string_view root = head.substr(i + 1);
    for (std::string_view name : {std::string_view("testsuites"), std::string_view("testsuite")}) {
      if (starts_with(root, name)) {
        const char after = root.size() > name.size() ? root[name.size()] : ' ';
        if (after == ' ' || after == '>' || after == '/' || after == '\t' || after == '\n' ||
            after == '\r')
          return 0.95;
      }
    }
    return 0.0;
  }

  static Status parse(Emitter& out, std::string_view document) {
    pugi::xml_document doc;
    const pugi::xml_parse_result r =
        doc.load_buffer(document.data(), document.size(), pugi::parse_minimal | pugi::parse_escapes,
                        pugi::encoding_auto);
    if (!r) {
      return Status::parse_error(std::string("not well-formed XML: ") + r.description() +
                                 " at byte " + std::to_string(r.offset));
    }
    const pugi::xml_node root = doc.document_element();
    for (pugi::xml_node n = root.next_sibling(); n; n = n.next_sibling())
      if (n.type() == pugi::node_element)
        return Status::parse_error("not well-formed XML: more than one root element");
    const std::string_view root_name = root.name();
    if (root_name != "testsuites" && root_name != "testsuite")
      return Status::schema_error("the root element is <" + tr::excerpt(root_name) +
                                  ">, not <testsuites> or <testsuite>");

    tr::Report report("junit", tr::kJunitOutcomes);
    Walker w(out, report);
    if (root_name == "testsuites") {
      w.note_root_traits(root);
      w.suite(root, 0, true);
    } else {
      w.suite(root, 0, false);
    }

    const unsigned traits = w.traits();
    if (traits & kGoogleTest) {
      report.set_framework("googletest", tr::kGtestOutcomes);
    } else if (traits & kPytest) {
      report.set_framework("pytest", tr::kPytestJunitOutcomes);
    } else if (traits & kSurefire) {
      report.set_framework("surefire", tr::kJunitOutcomes);
    } else if (traits & kJest) {
      report.set_framework("jest", tr::kJunitOutcomes);
      report.set_naive_zone(tr::NaiveZone::utc);  // jest-junit writes UTC without a zone
    }

    std::optional<tr::Instant> timestamp;
    tr::Instant t;
    if (root_name == "testsuites" && tr::parse_iso8601(attr(root, "timestamp"), t)) timestamp = t;
    if (!timestamp) timestamp = w.newest_suite();
    if (timestamp) out.timestamp(tr::resolve(*timestamp, report.naive_zone()));
    report.emit(out);
    return Status::ok();
  }
};

}  // namespace

REX_DOCUMENT_PLUGIN(JunitXml, "junit_xml", "1.0.0",
                    "JUnit XML test reports: pytest --junitxml, GoogleTest --gtest_output=xml, "
                    "Maven Surefire, jest-junit, Ant-style")
