// The exposition round trip: a FamilyMap built from the fuzz bytes (arbitrary HELP text and label
// values, any double incl. NaN, ±Inf, -0, subnormals; histograms with arbitrary finite bounds) is
// rendered by rex::expo::render and read back by the small, independent reader below, which
// knows only the text format 0.0.4. Names, types, HELP, label pairs (unescaped) and values must
// come back exactly (NaN as NaN); each series exactly once; nothing else in the output.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "expo/text_writer.hpp"

namespace {

using rex::store::LabelSet;
using rex::store::MetricType;

[[noreturn]] void bug(const std::string& what, const std::string& text) {
  std::fprintf(stderr, "round trip bug: %s\n--- rendered ---\n", what.c_str());
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fprintf(stderr, "--- end ---\n");
  std::abort();
}

// ---- the generator ----

std::string ident(FuzzedDataProvider& fdp, const char* first, const char* rest, size_t max) {
  std::string s(1, first[fdp.ConsumeIntegralInRange<size_t>(0, std::strlen(first) - 1)]);
  size_t n = fdp.ConsumeIntegralInRange<size_t>(0, max);
  for (size_t i = 0; i < n; ++i)
    s += rest[fdp.ConsumeIntegralInRange<size_t>(0, std::strlen(rest) - 1)];
  return s;
}

constexpr const char* kAlpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
constexpr const char* kAlnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";

double any_double(FuzzedDataProvider& fdp) {
  switch (fdp.ConsumeIntegralInRange<int>(0, 7)) {
    case 0:
      return std::numeric_limits<double>::quiet_NaN();
    case 1:
      return std::numeric_limits<double>::infinity();
    case 2:
      return -std::numeric_limits<double>::infinity();
    case 3:
      return -0.0;
    case 4:
      return static_cast<double>(fdp.ConsumeIntegral<int64_t>());
    case 5:
      return fdp.ConsumeFloatingPoint<double>();
    default: {
      uint64_t bits = fdp.ConsumeIntegral<uint64_t>();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return d;  // any bit pattern: subnormals, signalling NaNs…
    }
  }
}

double finite_double(FuzzedDataProvider& fdp) {
  double d = any_double(fdp);
  return std::isfinite(d) ? d : fdp.ConsumeFloatingPointInRange<double>(-1e6, 1e6);
}

LabelSet labels(FuzzedDataProvider& fdp, bool histogram) {
  std::map<std::string, std::string> m;
  size_t n = fdp.ConsumeIntegralInRange<size_t>(0, 4);
  for (size_t i = 0; i < n; ++i) {
    std::string name = ident(fdp, kAlpha, kAlnum, 6);
    if (histogram && name == "le") continue;
    m[name] = fdp.ConsumeRandomLengthString(48);  // any bytes: quotes, backslashes, newlines, NULs
  }
  return LabelSet(m.begin(), m.end());
}

rex::store::FamilyMap generate(FuzzedDataProvider& fdp) {
  rex::store::FamilyMap fm;
  size_t nf = fdp.ConsumeIntegralInRange<size_t>(0, 6);
  for (size_t f = 0; f < nf; ++f) {
    rex::store::FamilyData fam;
    fam.meta.name = ident(fdp, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:",
                          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:0123456789", 8);
    fam.meta.type = static_cast<MetricType>(fdp.ConsumeIntegralInRange<int>(0, 2));
    fam.meta.help = fdp.ConsumeRandomLengthString(64);
    size_t ns = fdp.ConsumeIntegralInRange<size_t>(0, 5);
    if (fam.meta.type == MetricType::histogram) {
      std::vector<double> b;
      size_t nb = fdp.ConsumeIntegralInRange<size_t>(0, 5);
      for (size_t i = 0; i < nb; ++i) b.push_back(finite_double(fdp));
      std::sort(b.begin(), b.end());
      b.erase(std::unique(b.begin(), b.end()), b.end());
      fam.meta.bucket_bounds = b;
      for (size_t s = 0; s < ns; ++s) {
        rex::store::HistogramValue h;
        size_t nc = fdp.ConsumeIntegralInRange<size_t>(0, b.size() + 1);
        for (size_t i = 0; i < nc; ++i) h.bucket_counts.push_back(fdp.ConsumeIntegral<uint32_t>());
        h.sum = any_double(fdp);
        fam.histograms[labels(fdp, true)] = h;
      }
    } else {
      for (size_t s = 0; s < ns; ++s) fam.scalars[labels(fdp, false)] = any_double(fdp);
    }
    std::string key = fam.meta.name;
    fm[key] = std::move(fam);
  }
  return fm;
}

// ---- the independent reader ----

struct Hist {
  std::vector<std::pair<double, uint64_t>> buckets;  // (le, cumulative count) in order
  std::optional<double> sum;
  std::optional<uint64_t> count;
};

struct ReadFamily {
  std::string help;
  std::string type;
  std::map<LabelSet, double> scalars;
  std::map<LabelSet, Hist> histograms;
};

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

double read_value(std::string_view s, const std::string& text) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    bug("unreadable value '" + std::string(s) + "'", text);
  if (!std::isfinite(d))
    bug("a non-finite value not spelled NaN/+Inf/-Inf: " + std::string(s), text);
  return d;
}

uint64_t read_uint(std::string_view s, const std::string& text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    bug("unreadable count '" + std::string(s) + "'", text);
  return v;
}

std::string unescape(std::string_view s, bool label, const std::string& text) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i == s.size()) bug("a dangling backslash", text);
    if (s[i] == '\\')
      out += '\\';
    else if (s[i] == 'n')
      out += '\n';
    else if (label && s[i] == '"')
      out += '"';
    else
      bug(std::string("an unknown escape \\") + s[i], text);
  }
  return out;
}

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

std::map<std::string, ReadFamily> read(const std::string& text) {
  std::map<std::string, ReadFamily> out;
  std::string current;  // the family of the last # TYPE
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) bug("the last line has no newline", text);
    std::string_view line(text.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.starts_with("# HELP ")) {
      line.remove_prefix(7);
      size_t sp = line.find(' ');
      if (sp == std::string_view::npos) bug("HELP without text", text);
      std::string name(line.substr(0, sp));
      if (out.count(name)) bug("a second HELP for " + name, text);
      out[name].help = unescape(line.substr(sp + 1), false, text);
      current.clear();
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      line.remove_prefix(7);
      size_t sp = line.find(' ');
      if (sp == std::string_view::npos) bug("TYPE without a type", text);
      std::string name(line.substr(0, sp));
      if (!out.count(name) || !out[name].type.empty())
        bug("TYPE not right after HELP: " + name, text);
      out[name].type = std::string(line.substr(sp + 1));
      current = name;
      continue;
    }
    if (line.starts_with("#")) bug("an unexpected comment", text);
    if (current.empty()) bug("a sample outside a family", text);
    // name
    size_t i = 0;
    while (i < line.size() && name_char(line[i], i == 0)) ++i;
    std::string name(line.substr(0, i));
    LabelSet ls;
    std::optional<std::string> le;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i >= line.size()) bug("unterminated labels", text);
        if (line[i] == '}') {
          ++i;
          break;
        }
        size_t s = i;
        while (i < line.size() && name_char(line[i], i == s) && line[i] != ':') ++i;
        std::string lname(line.substr(s, i - s));
        if (lname.empty() || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
          bug("a bad label pair", text);
        i += 2;
        size_t vs = i;
        while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
        if (i >= line.size()) bug("an unterminated label value", text);
        std::string value = unescape(line.substr(vs, i - vs), true, text);
        ++i;
        if (lname == "le" && out[current].type == "histogram")
          le = value;
        else {
          if (!ls.empty() && ls.back().first >= lname) bug("labels not sorted or repeated", text);
          ls.emplace_back(lname, value);
        }
        if (i < line.size() && line[i] == ',')
          ++i;
        else if (i < line.size() && line[i] != '}')
          bug("no comma between labels", text);
      }
    }
    if (i >= line.size() || line[i] != ' ') bug("no space before the value", text);
    std::string_view value = line.substr(i + 1);
    ReadFamily& f = out[current];
    if (f.type != "histogram") {
      if (name != current || le) bug("a sample " + name + " in family " + current, text);
      if (!f.scalars.emplace(ls, read_value(value, text)).second) bug("a duplicate series", text);
      continue;
    }
    Hist& h = f.histograms[ls];
    if (name == current + "_bucket" && le) {
      h.buckets.emplace_back(read_value(*le, text), read_uint(value, text));
    } else if (name == current + "_sum" && !le) {
      if (h.sum) bug("a duplicate _sum", text);
      h.sum = read_value(value, text);
    } else if (name == current + "_count" && !le) {
      if (h.count) bug("a duplicate _count", text);
      h.count = read_uint(value, text);
    } else {
      bug("a sample " + name + " in histogram " + current, text);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const rex::store::FamilyMap fm = generate(fdp);
  const std::string text = rex::expo::render(fm);
  const auto got = read(text);

  size_t expected_families = 0;
  for (const auto& [key, fam] : fm) {
    if (fam.empty()) {
      if (got.count(key)) bug("an empty family was written: " + key, text);
      continue;
    }
    ++expected_families;
    auto it = got.find(key);
    if (it == got.end()) bug("family missing: " + key, text);
    const ReadFamily& g = it->second;
    if (g.help != fam.meta.help) bug("HELP differs for " + key, text);
    if (g.type != rex::store::to_string(fam.meta.type)) bug("TYPE differs for " + key, text);
    if (fam.meta.type != MetricType::histogram) {
      if (g.scalars.size() != fam.scalars.size()) bug("series count differs for " + key, text);
      for (const auto& [ls, v] : fam.scalars) {
        auto s = g.scalars.find(ls);
        if (s == g.scalars.end()) bug("a series is missing in " + key, text);
        if (!same(s->second, v)) bug("a value differs in " + key, text);
      }
      continue;
    }
    if (g.histograms.size() != fam.histograms.size())
      bug("histogram count differs for " + key, text);
    for (const auto& [ls, hv] : fam.histograms) {
      auto s = g.histograms.find(ls);
      if (s == g.histograms.end()) bug("a histogram series is missing in " + key, text);
      const Hist& h = s->second;
      const auto& bounds = fam.meta.bucket_bounds;
      if (h.buckets.size() != bounds.size() + 1) bug("bucket count differs in " + key, text);
      uint64_t cum = 0;
      for (size_t i = 0; i <= bounds.size(); ++i) {
        cum += i < hv.bucket_counts.size() ? hv.bucket_counts[i] : 0;
        double le = i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity();
        if (!same(h.buckets[i].first, le)) bug("an le differs in " + key, text);
        if (h.buckets[i].second != cum) bug("a cumulative count differs in " + key, text);
      }
      if (!h.sum || !same(*h.sum, hv.sum)) bug("_sum differs in " + key, text);
      if (!h.count || *h.count != cum) bug("_count differs in " + key, text);
    }
  }
  if (got.size() != expected_families) bug("extra families in the output", text);
  return 0;
}
