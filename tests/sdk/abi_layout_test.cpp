// Pins plugin_abi.h: for every ABI version the layout (sizes, offsets, field types, enum values,
// macros) and a hash of the header's declarations are recorded here, and the test fails when the
// header no longer matches the row of the version it declares. A change to the ABI that forgets
// the version bump fails CI; so does a "minor" bump that is not an append.
#include <results_exporter/plugin_abi.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

extern "C" size_t rex_abi_c_layout(size_t* out, size_t capacity);
extern "C" int rex_abi_c_usable(void);

namespace {

// ---- The record -------------------------------------------------------------------------------

struct Recorded {
  int major;
  int minor;
  std::string_view header_hash;  // FNV-1a 64 of the header's declarations, see declarations()
  std::string_view layout;       // describe() of that version, on LP64 (x86_64, aarch64)
};

// One row per ABI version, oldest first; never edit a row of a released version.
constexpr Recorded kRecorded[] = {
    {1, 0, "5ee8cfb2afee9e84", R"(
struct rex_str: size 16, align 8, padding 0
field rex_str.ptr: offset 0, size 8, const char*
field rex_str.len: offset 8, size 8, uint64_t
struct rex_label: size 32, align 8, padding 0
field rex_label.name: offset 0, size 16, rex_str
field rex_label.value: offset 16, size 16, rex_str
struct rex_family_desc: size 64, align 8, padding 8
field rex_family_desc.struct_size: offset 0, size 4, uint32_t
field rex_family_desc.name: offset 8, size 16, rex_str
field rex_family_desc.help: offset 24, size 16, rex_str
field rex_family_desc.type: offset 40, size 4, rex_metric_type
field rex_family_desc.bucket_bounds: offset 48, size 8, const double*
field rex_family_desc.bucket_count: offset 56, size 8, uint64_t
struct rex_host: size 88, align 8, padding 4
field rex_host.struct_size: offset 0, size 4, uint32_t
field rex_host.ctx: offset 8, size 8, rex_host_ctx*
field rex_host.declare_family: offset 16, size 8, int32_t (*)(rex_host_ctx*, const rex_family_desc*)
field rex_host.counter_add: offset 24, size 8, void (*)(rex_host_ctx*, int32_t, const rex_label*, uint64_t, double)
field rex_host.gauge_set: offset 32, size 8, void (*)(rex_host_ctx*, int32_t, const rex_label*, uint64_t, double)
field rex_host.histogram_observe: offset 40, size 8, void (*)(rex_host_ctx*, int32_t, const rex_label*, uint64_t, double)
field rex_host.histogram_merge: offset 48, size 8, void (*)(rex_host_ctx*, int32_t, const rex_label*, uint64_t, const uint64_t*, uint64_t, double)
field rex_host.set_document_timestamp: offset 56, size 8, void (*)(rex_host_ctx*, double)
field rex_host.record_skipped: offset 64, size 8, void (*)(rex_host_ctx*, rex_str)
field rex_host.set_error: offset 72, size 8, void (*)(rex_host_ctx*, rex_str)
field rex_host.log: offset 80, size 8, void (*)(rex_host_ctx*, rex_log_level, rex_str)
struct rex_plugin: size 80, align 8, padding 4
field rex_plugin.struct_size: offset 0, size 4, uint32_t
field rex_plugin.abi_major: offset 4, size 2, uint16_t
field rex_plugin.abi_minor: offset 6, size 2, uint16_t
field rex_plugin.name: offset 8, size 8, const char*
field rex_plugin.version: offset 16, size 8, const char*
field rex_plugin.description: offset 24, size 8, const char*
field rex_plugin.kind: offset 32, size 4, rex_plugin_kind
field rex_plugin.probe: offset 40, size 8, double (*)(const char*, uint64_t)
field rex_plugin.parse_document: offset 48, size 8, rex_status (*)(const rex_host*, const char*, uint64_t)
field rex_plugin.stream_create: offset 56, size 8, rex_stream* (*)(const rex_host*)
field rex_plugin.stream_feed_line: offset 64, size 8, rex_status (*)(rex_stream*, const rex_host*, const char*, uint64_t)
field rex_plugin.stream_destroy: offset 72, size 8, void (*)(rex_stream*)
enum rex_metric_type: size 4
value REX_METRIC_COUNTER = 1
value REX_METRIC_GAUGE = 2
value REX_METRIC_HISTOGRAM = 3
enum rex_status: size 4
value REX_STATUS_OK = 0
value REX_STATUS_PARSE_ERROR = 1
value REX_STATUS_SCHEMA_ERROR = 2
value REX_STATUS_INTERNAL_ERROR = 3
enum rex_plugin_kind: size 4
value REX_PLUGIN_DOCUMENT = 1
value REX_PLUGIN_LINE_STREAM = 2
enum rex_log_level: size 4
value REX_LOG_DEBUG = 0
value REX_LOG_INFO = 1
value REX_LOG_WARN = 2
value REX_LOG_ERROR = 3
typedef rex_plugin_entry_fn: const rex_plugin* (*)(void)
macro REX_INPUT_PADDING = 64
macro REX_PROBE_BYTES = 4096
macro REX_PLUGIN_ENTRY_SYMBOL = "results_exporter_plugin_entry"
)"},
};

constexpr std::string_view kWhatToDo =
    "plugin_abi.h changed but REX_ABI_VERSION_MAJOR/MINOR did not (or its row in "
    "tests/sdk/abi_layout_test.cpp is missing). Decide what the change is:\n"
    "  - fields appended at the end of a struct, new enum values, new macros, new structs: bump "
    "REX_ABI_VERSION_MINOR, add the new fields to tests/sdk/abi_fields.inc, and append a row for "
    "the new version to kRecorded (the layout and hash printed below); keep the old rows;\n"
    "  - anything else (a field removed, reordered, retyped, a callback's signature changed, an "
    "enum value or macro changed): that breaks built plugins: bump REX_ABI_VERSION_MAJOR, reset "
    "MINOR to 0, and add a row for the new version;\n"
    "  - a change that cannot affect compiled plugins (a parameter renamed): record the new hash "
    "in "
    "the current row.\n";

// ---- Type names -------------------------------------------------------------------------------

// The named types of the ABI. A field of a type not listed here does not compile: add it below
// (and make sure it is a C type that may cross the boundary).
template <class T>
struct Named;
#define REX_NAMED(T)                             \
  template <>                                    \
  struct Named<T> {                              \
    static constexpr std::string_view name = #T; \
  };
REX_NAMED(rex_str)
REX_NAMED(rex_label)
REX_NAMED(rex_family_desc)
REX_NAMED(rex_host_ctx)
REX_NAMED(rex_host)
REX_NAMED(rex_stream)
REX_NAMED(rex_plugin)
REX_NAMED(rex_metric_type)
REX_NAMED(rex_status)
REX_NAMED(rex_plugin_kind)
REX_NAMED(rex_log_level)
#undef REX_NAMED

template <class T>
std::string type_name();

template <class F>
struct FunctionName;
template <class R, class... A>
struct FunctionName<R(A...)> {
  static std::string get() {
    std::string s = type_name<R>() + " (*)(";
    if constexpr (sizeof...(A) == 0) {
      s += "void";
    } else {
      bool first = true;
      ((s += (first ? "" : ", ") + type_name<A>(), first = false), ...);
    }
    return s + ")";
  }
};

// Integers are named by signedness and width (size_t and uint64_t are the same type on LP64).
template <class T>
std::string type_name() {
  if constexpr (std::is_const_v<T>) {
    return "const " + type_name<std::remove_const_t<T>>();
  } else if constexpr (std::is_pointer_v<T> && std::is_function_v<std::remove_pointer_t<T>>) {
    return FunctionName<std::remove_pointer_t<T>>::get();
  } else if constexpr (std::is_pointer_v<T>) {
    return type_name<std::remove_pointer_t<T>>() + "*";
  } else if constexpr (std::is_void_v<T>) {
    return "void";
  } else if constexpr (std::is_same_v<T, char>) {
    return "char";
  } else if constexpr (std::is_same_v<T, double>) {
    return "double";
  } else if constexpr (std::is_integral_v<T>) {
    return std::string(std::is_signed_v<T> ? "int" : "uint") + std::to_string(8 * sizeof(T)) + "_t";
  } else {
    return std::string(Named<T>::name);
  }
}

// ---- The layout as text -----------------------------------------------------------------------

// One line per fact. "struct" lines may change with an append; every other line is forever within
// a major version.
std::vector<std::string> describe() {
  std::vector<std::string> out;
  std::size_t struct_index = 0;
  std::size_t field_bytes = 0;
  auto close_struct = [&](std::size_t size) {
    out[struct_index] += ", padding " + std::to_string(size - field_bytes);
  };
  std::size_t open_size = 0;
  bool open = false;
#define REX_STRUCT(S)                                                             \
  if (open) close_struct(open_size);                                              \
  struct_index = out.size();                                                      \
  field_bytes = 0;                                                                \
  open_size = sizeof(S);                                                          \
  open = true;                                                                    \
  out.push_back("struct " #S ": size " + std::to_string(sizeof(S)) + ", align " + \
                std::to_string(alignof(S)));
#define REX_FIELD(S, F)                                                                       \
  field_bytes += sizeof(S::F);                                                                \
  out.push_back("field " #S "." #F ": offset " + std::to_string(offsetof(S, F)) + ", size " + \
                std::to_string(sizeof(S::F)) + ", " + type_name<decltype(S::F)>());
#define REX_ENUM(E)                  \
  if (open) close_struct(open_size); \
  open = false;                      \
  out.push_back("enum " #E ": size " + std::to_string(sizeof(E)));
#define REX_ENUM_VALUE(V) \
  out.push_back("value " #V " = " + std::to_string(static_cast<long long>(V)));
#include "abi_fields.inc"
#undef REX_STRUCT
#undef REX_FIELD
#undef REX_ENUM
#undef REX_ENUM_VALUE
  if (open) close_struct(open_size);
  out.push_back("typedef rex_plugin_entry_fn: " + type_name<rex_plugin_entry_fn>());
  out.push_back("macro REX_INPUT_PADDING = " + std::to_string(REX_INPUT_PADDING));
  out.push_back("macro REX_PROBE_BYTES = " + std::to_string(REX_PROBE_BYTES));
  out.push_back(std::string("macro REX_PLUGIN_ENTRY_SYMBOL = \"") + REX_PLUGIN_ENTRY_SYMBOL + "\"");
  return out;
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty()) out.emplace_back(line);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  return out;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

// ---- The header's declarations ----------------------------------------------------------------

// The header without comments and with whitespace only where it separates two words: what a
// compiler sees, insensitive to reformatting and to edits of the comments.
std::string declarations(std::string_view src) {
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  std::string out;
  bool pending_space = false;
  for (std::size_t i = 0; i < src.size();) {
    char c = src[i];
    if (src.substr(i, 2) == "/*") {
      std::size_t end = src.find("*/", i + 2);
      i = end == std::string_view::npos ? src.size() : end + 2;
      pending_space = true;
    } else if (src.substr(i, 2) == "//") {
      std::size_t end = src.find('\n', i);
      i = end == std::string_view::npos ? src.size() : end;
    } else if (c == '"') {  // a string literal, copied as is
      std::size_t j = i + 1;
      while (j < src.size() && src[j] != '"') j += src[j] == '\\' ? 2 : 1;
      if (pending_space && !out.empty() && word(out.back())) out += ' ';
      pending_space = false;
      out += src.substr(i, j + 1 - i);
      i = j + 1;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending_space = true;
      ++i;
    } else {
      // Preprocessor lines end at a newline, so a directive keeps its line break.
      if (c == '#' && !out.empty()) out += '\n';
      if (pending_space && !out.empty() && word(out.back()) && word(c)) out += ' ';
      pending_space = false;
      out += c;
      ++i;
    }
  }
  return out;
}

std::string fnv1a64(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string header_hash() {
  std::ifstream in(REX_ABI_HEADER_PATH, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << REX_ABI_HEADER_PATH;
  std::stringstream ss;
  ss << in.rdbuf();
  return fnv1a64(declarations(ss.str()));
}

const Recorded* recorded(int major, int minor) {
  for (const auto& r : kRecorded)
    if (r.major == major && r.minor == minor) return &r;
  return nullptr;
}

std::string new_row() {
  return "    {" + std::to_string(REX_ABI_VERSION_MAJOR) + ", " +
         std::to_string(REX_ABI_VERSION_MINOR) + ", \"" + header_hash() + "\", R\"(\n" +
         join_lines(describe()) + ")\"},\n";
}

bool lp64() { return sizeof(void*) == 8 && sizeof(long) == 8; }

// ---- Tests ------------------------------------------------------------------------------------

TEST(AbiLayout, MatchesTheRecordOfTheDeclaredVersion) {
  if (!lp64()) GTEST_SKIP() << "layouts are recorded for LP64 targets";
  const Recorded* row = recorded(REX_ABI_VERSION_MAJOR, REX_ABI_VERSION_MINOR);
  ASSERT_NE(row, nullptr) << "no row for ABI " << REX_ABI_VERSION_MAJOR << "."
                          << REX_ABI_VERSION_MINOR << " in kRecorded.\n"
                          << kWhatToDo << "\nThe row for the header as it is now:\n"
                          << new_row();

  std::vector<std::string> want = split_lines(row->layout);
  std::vector<std::string> have = describe();
  std::string diff;
  for (const auto& l : want)
    if (std::find(have.begin(), have.end(), l) == have.end()) diff += "  - " + l + "\n";
  for (const auto& l : have)
    if (std::find(want.begin(), want.end(), l) == want.end()) diff += "  + " + l + "\n";
  EXPECT_TRUE(diff.empty() && want == have)
      << "the layout of plugin_abi.h differs from the record of ABI " << REX_ABI_VERSION_MAJOR
      << "." << REX_ABI_VERSION_MINOR << " (- recorded, + now):\n"
      << diff << kWhatToDo << "\nThe row for the header as it is now:\n"
      << new_row();
}

TEST(AbiLayout, HeaderDeclarationsMatchTheRecordOfTheDeclaredVersion) {
  const Recorded* row = recorded(REX_ABI_VERSION_MAJOR, REX_ABI_VERSION_MINOR);
  ASSERT_NE(row, nullptr) << "no row for ABI " << REX_ABI_VERSION_MAJOR << "."
                          << REX_ABI_VERSION_MINOR << " in kRecorded.\n"
                          << kWhatToDo;
  EXPECT_EQ(row->header_hash, header_hash())
      << "the declarations in " << REX_ABI_HEADER_PATH << " changed (comments and layout of the "
      << "text do not count).\n"
      << kWhatToDo << "\nThe row for the header as it is now:\n"
      << new_row();
}

// Within one major version, a later minor only appends: every field, enum value, typedef and macro
// of an earlier minor is still there, unchanged.
TEST(AbiLayout, MinorVersionsOnlyAppend) {
  for (const auto& newer : kRecorded) {
    for (const auto& older : kRecorded) {
      if (older.major != newer.major || older.minor >= newer.minor) continue;
      std::vector<std::string> have = split_lines(newer.layout);
      for (const auto& line : split_lines(older.layout)) {
        if (line.starts_with("struct ")) continue;  // sizes grow with appends
        EXPECT_NE(std::find(have.begin(), have.end(), line), have.end())
            << "ABI " << newer.major << "." << newer.minor << " lost or changed '" << line
            << "' of ABI " << older.major << "." << older.minor
            << ": that is not an append, so it needs a new major version.";
      }
    }
  }
}

TEST(AbiLayout, CAndCxxAgree) {
  std::vector<std::size_t> cxx;
#define REX_STRUCT(S)       \
  cxx.push_back(sizeof(S)); \
  cxx.push_back(alignof(S));
#define REX_FIELD(S, F)          \
  cxx.push_back(offsetof(S, F)); \
  cxx.push_back(sizeof(S::F));
#define REX_ENUM(E) cxx.push_back(sizeof(E));
#define REX_ENUM_VALUE(V) cxx.push_back(static_cast<std::size_t>(V));
#include "abi_fields.inc"
#undef REX_STRUCT
#undef REX_FIELD
#undef REX_ENUM
#undef REX_ENUM_VALUE
  std::vector<std::size_t> c(cxx.size());
  ASSERT_EQ(rex_abi_c_layout(c.data(), c.size()), cxx.size());
  EXPECT_EQ(c, cxx);
  EXPECT_EQ(rex_abi_c_usable(), 1);
}

TEST(AbiLayout, DeclarationsIgnoreCommentsAndFormatting) {
  EXPECT_EQ(
      declarations("/* a */ typedef  struct x {\n  int a; // b\n} x;\n#define Y \"a /* b\"\n"),
      declarations("typedef struct x{int a;}x;\n#define Y \"a /* b\""));
  EXPECT_NE(declarations("int a;"), declarations("int b;"));
  EXPECT_NE(declarations("#define A 1\n#define B 2"), declarations("#define A 1\n#define B 3"));
}

}  // namespace
