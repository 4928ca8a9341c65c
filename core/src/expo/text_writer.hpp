// Prometheus text exposition format 0.0.4.
#pragma once

#include <string>
#include <string_view>

#include "store/model.hpp"

namespace rex::expo {

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";

// Appends a value the way Prometheus reads it: NaN, +Inf, -Inf, integers without a fraction,
// others with round-trip precision. Locale independent.
void append_value(std::string& out, double v);

// Appends a label value with \\, \" and \n escaped.
void append_escaped_label_value(std::string& out, std::string_view v);

// Appends HELP text with \\ and \n escaped.
void append_escaped_help(std::string& out, std::string_view v);

// Appends one family: # HELP, # TYPE, then its samples (histograms as _bucket/_sum/_count).
// A family without samples writes nothing.
void append_family(std::string& out, const store::FamilyData& family);

// Renders every family in name order.
std::string render(const store::FamilyMap& families);

}  // namespace rex::expo
