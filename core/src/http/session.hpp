// One HTTP connection: read a request, route it, write the reply, repeat while kept alive.
// Runs on its own strand, so it needs no mutex.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

#include "app/snapshot.hpp"
#include "http/hooks.hpp"
#include "http/limits.hpp"
#include "http/router.hpp"

namespace rex::http {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(boost::asio::ip::tcp::socket&& socket, const app::SnapshotSlot& slot,
          const Limits& limits, const Hooks& hooks);
  void run();

 private:
  void do_read();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void push(const Request& req, bool keep_alive);
  void send_deferred(DeferredAnswer answer, bool keep_alive, unsigned version);
  void send(Reply reply, bool keep_alive, unsigned version);
  void reload(bool keep_alive, unsigned version);
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void do_close();
  void lingering_close();
  void do_drain();
  void on_drain(boost::beast::error_code ec, std::size_t bytes);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  const app::SnapshotSlot& slot_;
  const Limits& limits_;
  const Hooks& hooks_;
  Reply reply_;
  std::optional<bhttp::response<bhttp::span_body<const char>>> response_;
  unsigned served_ = 0;
  uint64_t drained_ = 0;
};

}  // namespace rex::http
