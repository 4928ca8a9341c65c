#include "expo/text_writer.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace rex::expo {

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  // Shortest representation that reads back to the same double; std::to_chars ignores the locale.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

static void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

void append_escaped_label_value(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void append_escaped_help(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

namespace {

// Writes `name{labels[,extra]}` where extra is an optional le="…" pair.
void append_series_name(std::string& out, std::string_view name, std::string_view suffix,
                        const store::LabelSet& labels, const char* extra_name = nullptr,
                        double extra_value = 0) {
  out += name;
  out += suffix;
  if (labels.empty() && !extra_name) return;
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    append_escaped_label_value(out, v);
    out += '"';
  }
  if (extra_name) {
    if (!first) out += ',';
    out += extra_name;
    out += "=\"";
    append_value(out, extra_value);
    out += '"';
  }
  out += '}';
}

}  // namespace

void append_family(std::string& out, const store::FamilyData& family) {
  if (family.empty()) return;
  const auto& m = family.meta;
  out += "# HELP ";
  out += m.name;
  out += ' ';
  append_escaped_help(out, m.help);
  out += "\n# TYPE ";
  out += m.name;
  out += ' ';
  out += store::to_string(m.type);
  out += '\n';
  if (m.type != store::MetricType::histogram) {
    for (const auto& [labels, value] : family.scalars) {
      append_series_name(out, m.name, "", labels);
      out += ' ';
      append_value(out, value);
      out += '\n';
    }
    return;
  }
  const double inf = std::numeric_limits<double>::infinity();
  for (const auto& [labels, h] : family.histograms) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= m.bucket_bounds.size(); ++i) {
      cumulative += i < h.bucket_counts.size() ? h.bucket_counts[i] : 0;
      double le = i < m.bucket_bounds.size() ? m.bucket_bounds[i] : inf;
      append_series_name(out, m.name, "_bucket", labels, "le", le);
      out += ' ';
      append_uint(out, cumulative);
      out += '\n';
    }
    append_series_name(out, m.name, "_sum", labels);
    out += ' ';
    append_value(out, h.sum);
    out += '\n';
    append_series_name(out, m.name, "_count", labels);
    out += ' ';
    append_uint(out, cumulative);
    out += '\n';
  }
}

std::string render(const store::FamilyMap& families) {
  std::string out;
  for (const auto& [name, family] : families) append_family(out, family);
  return out;
}

}  // namespace rex::expo
