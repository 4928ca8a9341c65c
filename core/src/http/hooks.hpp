// What the HTTP side may ask of the rest of the server, without depending on it.
#pragma once

#include <functional>
#include <string>

namespace rex::http {

struct Hooks {
  // Starts a config reload; the callback gets (ok, message), on another thread.
  std::function<void(std::function<void(bool, std::string)>)> reload;
};

}  // namespace rex::http
