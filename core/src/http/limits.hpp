// Hardening limits of the HTTP server.
#pragma once

#include <chrono>
#include <cstdint>

namespace rex::http {

struct Limits {
  uint32_t header_bytes = 8 * 1024;       // over it: 431
  uint64_t body_bytes = 1024 * 1024;      // over it: 413
  std::chrono::seconds read_timeout{30};  // idle keep-alive and slow requests
  std::chrono::seconds write_timeout{60};
  unsigned requests_per_connection = 10'000;  // then the connection is closed
  std::chrono::seconds linger_timeout{2};     // draining a refused request before closing
  uint64_t linger_bytes = 16 * 1024 * 1024;
};

}  // namespace rex::http
