// Accepts connections and starts a Session for each, on its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <memory>

#include "app/snapshot.hpp"
#include "http/hooks.hpp"
#include "http/limits.hpp"

namespace rex::http {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; throws boost::system::system_error when the address cannot be used.
  Listener(boost::asio::io_context& ioc, const boost::asio::ip::tcp::endpoint& endpoint,
           const app::SnapshotSlot& slot, const Limits& limits, const Hooks& hooks);
  void run();
  void stop();
  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  const app::SnapshotSlot& slot_;
  const Limits& limits_;
  const Hooks& hooks_;
  boost::asio::steady_timer backoff_;
  uint64_t accept_failures_ = 0;
};

}  // namespace rex::http
