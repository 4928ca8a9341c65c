// simdjson On-Demand helpers of the JSON test-report plugins (pytest_json, gtest_json).
//
// Reports are walked once, forward only, in whatever key order they come. Values the plugins do
// not read are skipped without being validated, so a NaN or Infinity literal (Python's json module
// writes them) in metadata does no harm; one in a figure the plugins read makes that figure
// unusable, not the document.
#ifndef RESULTS_EXPORTER_TESTREPORT_JSON_HPP
#define RESULTS_EXPORTER_TESTREPORT_JSON_HPP

#include <results_exporter/plugin_sdk.hpp>

#include <simdjson.h>
#include <results_exporter/sdk_json.hpp>

#include <cmath>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "testreport.hpp"

namespace rex::testreport::json {

namespace ondemand = simdjson::ondemand;
using rex::sdk::Status;

inline std::string json_error(std::string_view what, simdjson::error_code e) {
  std::string m(what);
  m += ": ";
  m += simdjson::error_message(e);
  return m;
}

inline Status broken(simdjson::error_code e) {
  return Status::parse_error(json_error("not valid JSON", e));
}

using rex::sdk::is_json_number;

// Python's non-standard literals for non-finite floats.
inline bool is_nonfinite_literal(std::string_view token) noexcept {
  token = detail::trim(token);
  return token == "NaN" || token == "Infinity" || token == "-Infinity";
}

// What a scalar value turned out to be.
enum class Kind : uint8_t {
  number,     // a finite JSON number, in `num`
  string,     // a JSON string, in `str` (valid until the next read)
  null,       // null
  nonfinite,  // NaN, Infinity, -Infinity, or a number beyond a double
  other,      // true, false, an object or an array
  broken      // not valid JSON: the document is broken
};

// Reads a value that should be a number or a string. The typed getter is tried first: on a kind
// mismatch it leaves the value in place.
inline Kind read_scalar(ondemand::value& v, double& num, std::string_view& str) noexcept {
  const simdjson::error_code err = v.get_double().get(num);
  if (!err) return std::isfinite(num) ? Kind::number : Kind::nonfinite;
  const std::string_view token = v.raw_json_token();
  if (is_nonfinite_literal(token)) return Kind::nonfinite;
  if (err == simdjson::NUMBER_ERROR) return is_json_number(token) ? Kind::nonfinite : Kind::broken;
  if (err != simdjson::INCORRECT_TYPE) return Kind::broken;
  ondemand::json_type t;
  if (v.type().get(t)) return Kind::broken;
  switch (t) {
    case ondemand::json_type::string:
      return v.get_string().get(str) ? Kind::broken : Kind::string;
    case ondemand::json_type::null:
      return Kind::null;
    case ondemand::json_type::number:
      return Kind::broken;
    default:
      return Kind::other;
  }
}

// Reads a value that should be a string; `is_string` says whether it was. Returns an error only
// when the token is broken.
inline simdjson::error_code read_string(ondemand::value& v, std::string_view& out,
                                        bool& is_string) noexcept {
  const simdjson::error_code err = v.get_string().get(out);
  is_string = !err;
  if (err != simdjson::INCORRECT_TYPE) return err;
  ondemand::json_type t;
  if (auto e = v.type().get(t)) {
    return is_nonfinite_literal(v.raw_json_token()) ? simdjson::SUCCESS : e;
  }
  return t == ondemand::json_type::string ? simdjson::STRING_ERROR : simdjson::SUCCESS;
}

// A duration in seconds: a number, or a string parse_seconds() reads. `null` is absent.
// Returns false when the document is broken.
inline bool read_seconds(ondemand::value& v, Num& state, double& out,
                         bool allow_s_suffix = false) noexcept {
  double num = 0;
  std::string_view str;
  switch (read_scalar(v, num, str)) {
    case Kind::number:
      state = num < 0 ? Num::negative : num > kMaxSeconds ? Num::invalid : Num::ok;
      if (state == Num::ok) out = num;
      return true;
    case Kind::string:
      state = parse_seconds(str, out, allow_s_suffix);
      if (state == Num::absent) state = Num::invalid;  // "" is not a duration
      return true;
    case Kind::null:
      state = Num::absent;
      return true;
    case Kind::broken:
      return false;
    default:
      state = Num::invalid;
      return true;
  }
}

// A count: a whole number >= 0, or a string holding one. Returns false when the document is
// broken; `ok` says whether it was a count.
inline bool read_count(ondemand::value& v, uint64_t& out, bool& ok) noexcept {
  double num = 0;
  std::string_view str;
  ok = false;
  switch (read_scalar(v, num, str)) {
    case Kind::number:
      ok = num >= 0 && num == std::floor(num) && num < 9.0e15;
      if (ok) out = static_cast<uint64_t>(num);
      return true;
    case Kind::string:
      ok = parse_count(str, out);
      return true;
    case Kind::broken:
      return false;
    default:
      return true;
  }
}

// A time: Unix seconds as a number or numeric string, or an ISO 8601 string. Returns false when
// the document is broken; `ok` says whether it was a time.
inline bool read_instant(ondemand::value& v, Instant& out, bool& ok) noexcept {
  double num = 0;
  std::string_view str;
  ok = false;
  switch (read_scalar(v, num, str)) {
    case Kind::number:
      out = Instant{num, false};
      ok = true;
      return true;
    case Kind::string:
      if (rex::sdk::parse_number_text(str, num)) {
        out = Instant{num, false};
        ok = true;
      } else {
        ok = parse_iso8601(str, out);
      }
      return true;
    case Kind::broken:
      return false;
    default:
      return true;
  }
}

// One pool of On-Demand parsers per plugin (see rex::sdk::JsonParserPool).
using ParserPool = rex::sdk::JsonParserPool;
inline ParserPool& parser_pool() { return rex::sdk::json_parser_pool(); }

// Starts a walk over a padded document whose top level must be an object. On success `top` is
// ready to iterate; afterwards call finished() to reject trailing content.
inline Status open_object(ondemand::parser& parser, std::string_view doc, ondemand::document& d,
                          ondemand::object& top) {
  if (doc.size() >= 3 && doc.substr(0, 3) == "\xEF\xBB\xBF") doc.remove_prefix(3);
  if (auto err = parser
                     .iterate(simdjson::padded_string_view(doc.data(), doc.size(),
                                                           doc.size() + REX_INPUT_PADDING))
                     .get(d)) {
    if (err == simdjson::MEMALLOC || err == simdjson::CAPACITY)
      return Status{REX_STATUS_INTERNAL_ERROR, json_error("cannot parse the document", err)};
    return broken(err);
  }
  ondemand::json_type t;
  if (auto err = d.type().get(t)) return broken(err);
  if (t != ondemand::json_type::object)
    return Status::schema_error("the top level is not a JSON object");
  if (auto err = d.get_object().get(top)) return broken(err);
  return Status::ok();
}

// After the walk: anything left is trailing content. (Truncation inside the object surfaces as an
// iteration error during the walk.)
inline Status finished(ondemand::document& d) {
  const char* rest = nullptr;
  if (d.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
    return Status::parse_error("not valid JSON: unexpected content after the top-level object");
  return Status::ok();
}

// Probe helpers: the first non-blank byte (after a BOM).
inline char first_char(std::string_view head) noexcept {
  if (head.size() >= 3 && head.substr(0, 3) == "\xEF\xBB\xBF") head.remove_prefix(3);
  for (char c : head)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return c;
  return '\0';
}

}  // namespace rex::testreport::json

#endif  // RESULTS_EXPORTER_TESTREPORT_JSON_HPP
