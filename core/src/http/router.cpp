#include "http/router.hpp"

#include <cctype>

#include "expo/text_writer.hpp"

namespace rex::http {

namespace {

constexpr std::string_view kLandingPage = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>results_exporter</title></head>
<body>
<h1>results_exporter</h1>
<p>Test and benchmark results as Prometheus metrics.</p>
<ul>
<li><a href="metrics">/metrics</a> &mdash; the Prometheus exposition</li>
<li><a href="api/v1/status">/api/v1/status</a> &mdash; sources, files, plugins and errors (JSON)</li>
<li><a href="-/healthy">/-/healthy</a> &mdash; liveness</li>
<li><a href="-/ready">/-/ready</a> &mdash; readiness (after the initial scan)</li>
<li>POST /-/reload &mdash; reload the config and re-scan the plugin folder</li>
</ul>
</body></html>
)";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

bool is_push_path(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  return path == "/api/v1/push" || path.starts_with("/api/v1/push/");
}

namespace {
std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}
}  // namespace

PushTarget parse_push_target(std::string_view target) {
  PushTarget t;
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  constexpr std::string_view kPrefix = "/api/v1/push/";
  if (path.starts_with(kPrefix)) t.plugin = percent_decode(path.substr(kPrefix.size()));
  if (q == std::string_view::npos) return t;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.starts_with("id=")) t.id = percent_decode(kv.substr(3));
  }
  return t;
}

void Reply::set_text(bhttp::status s, std::string text) {
  status = s;
  content_type = "text/plain; charset=utf-8";
  owned = std::move(text);
  body = {};
}

bool accepts_gzip(std::string_view value) {
  while (!value.empty()) {
    auto comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    if (!iequals(coding, "gzip") && coding != "*") continue;
    if (semi == std::string_view::npos) return true;
    std::string_view params = trim(item.substr(semi + 1));
    if (params.starts_with("q=") || params.starts_with("Q=")) {
      std::string_view q = trim(params.substr(2));
      bool zero = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;
      return !zero;
    }
    return true;
  }
  return false;
}

Reply route(const Request& req, const app::SnapshotSlot& slot) {
  Reply r;
  std::string_view target = req.target();
  std::string_view path = target.substr(0, target.find('?'));
  const bool get_like = req.method() == bhttp::verb::get || req.method() == bhttp::verb::head;
  r.head_only = req.method() == bhttp::verb::head;

  auto known = [&](std::string_view p) {
    return p == "/" || p == "/metrics" || p == "/-/healthy" || p == "/-/ready" ||
           p == "/api/v1/status" || p == "/-/reload";
  };
  if (!known(path)) {
    r.set_text(bhttp::status::not_found, "404 page not found\n");
    return r;
  }
  if (path == "/-/reload") {  // Prometheus's lifecycle convention: POST (or PUT) reloads
    if (req.method() == bhttp::verb::post || req.method() == bhttp::verb::put) {
      r.deferred_reload = true;
    } else {
      r.set_text(bhttp::status::method_not_allowed, "405 method not allowed: use POST\n");
      r.allow = "POST, PUT";
    }
    return r;
  }
  if (!get_like) {
    r.set_text(bhttp::status::method_not_allowed, "405 method not allowed\n");
    r.allow = "GET, HEAD";
    return r;
  }
  auto snap = slot.get();
  if (path == "/metrics") {
    if (!snap) {
      r.set_text(bhttp::status::service_unavailable, "starting\n");
      return r;
    }
    r.content_type = std::string(expo::kTextContentType);
    r.owner = snap;
    if (accepts_gzip(req[bhttp::field::accept_encoding])) {
      r.content_encoding = "gzip";
      r.body = snap->metrics_gzip();
    } else {
      r.body = snap->metrics();
    }
    return r;
  }
  if (path == "/api/v1/status") {
    if (!snap) {
      r.set_text(bhttp::status::service_unavailable, "starting\n");
      return r;
    }
    r.content_type = "application/json";
    r.owner = snap;
    r.body = snap->status_json();
    return r;
  }
  if (path == "/-/healthy") {
    r.set_text(bhttp::status::ok, "results_exporter is Healthy.\n");
    return r;
  }
  if (path == "/-/ready") {
    if (snap && snap->ready())
      r.set_text(bhttp::status::ok, "results_exporter is Ready.\n");
    else
      r.set_text(bhttp::status::service_unavailable,
                 "results_exporter is not ready: initial scan running.\n");
    return r;
  }
  r.status = bhttp::status::ok;
  r.content_type = "text/html; charset=utf-8";
  r.body = kLandingPage;
  return r;
}

}  // namespace rex::http
