// What the HTTP side may ask of the rest of the server, without depending on it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace rex::http {

// An answer produced off the I/O threads.
struct DeferredAnswer {
  unsigned status = 200;
  std::string body;
  std::string content_type = "text/plain; charset=utf-8";
};

struct PushRequest {
  bool retract = false;  // DELETE
  std::string plugin;    // a plugin name or "auto"
  std::string id;        // the document id
  std::string body;
};

struct Hooks {
  // Starts a config reload; the callback gets (ok, message), on another thread.
  std::function<void(std::function<void(bool, std::string)>)> reload;
  // Pushes or retracts a document; the callback gets the answer, on another thread.
  std::function<void(PushRequest, std::function<void(DeferredAnswer)>)> push;
  // Whether an Authorization header value is good enough for push and reload (thread-safe).
  std::function<bool(std::string_view)> authorized;
  // The body limit for push requests (thread-safe); 0 when push is off.
  std::function<uint64_t()> push_body_limit;
};

}  // namespace rex::http
