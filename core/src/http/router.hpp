// Routing: a free function from request to reply, apart from the transport.
#pragma once

#include <boost/beast/http.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "app/snapshot.hpp"

namespace rex::http {

namespace bhttp = boost::beast::http;

struct Reply {
  bhttp::status status = bhttp::status::ok;
  std::string content_type = "text/plain; charset=utf-8";
  std::string content_encoding;       // "gzip" when body is compressed
  std::string allow;                  // for 405
  std::shared_ptr<const void> owner;  // keeps `body` alive while it is written
  std::string_view body;              // points into `owner` or static text; empty: use `owned`
  std::string owned;                  // the body when the reply owns it (set_text)

  // The bytes to send. Not a view stored at set_text time: a moved Reply's short `owned` string
  // (small-string optimisation) lives inside the object, so such a view would dangle.
  std::string_view view() const { return body.data() ? body : std::string_view(owned); }
  bool head_only = false;
  bool deferred_reload = false;  // the session answers once the reload is done

  void set_text(bhttp::status s, std::string text);
};

using Request = bhttp::request<bhttp::string_body>;

Reply route(const Request& req, const app::SnapshotSlot& slot);

// /api/v1/push/{plugin}?id=…: the push endpoint, handled by the session (it is answered off the
// I/O threads, like a reload).
bool is_push_path(std::string_view target);
struct PushTarget {
  std::string plugin;  // empty when the path names none
  std::string id;      // from ?id=, percent-decoded; empty when absent
};
PushTarget parse_push_target(std::string_view target);

// Whether an Accept-Encoding header value accepts gzip (q=0 refuses it).
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace rex::http
