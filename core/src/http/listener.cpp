#include "http/listener.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "http/session.hpp"

namespace rex::http {

namespace asio = boost::asio;

Listener::Listener(asio::io_context& ioc, const asio::ip::tcp::endpoint& endpoint,
                   const app::SnapshotSlot& slot, const Limits& limits, const Hooks& hooks)
    : ioc_(ioc),
      acceptor_(asio::make_strand(ioc)),
      slot_(slot),
      limits_(limits),
      hooks_(hooks),
      backoff_(acceptor_.get_executor()) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::run() { do_accept(); }

void Listener::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
  backoff_.cancel();
}

void Listener::do_accept() {
  acceptor_.async_accept(asio::make_strand(ioc_), boost::beast::bind_front_handler(
                                                      &Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(boost::system::error_code ec, asio::ip::tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Out of descriptors (EMFILE) or the like: accepting again at once would spin and flood the
    // log. Back off a little; the kernel keeps the pending connections in the backlog.
    if (++accept_failures_ == 1 || accept_failures_ % 1000 == 0)
      spdlog::warn("accept failed ({} times so far): {}; retrying in 100 ms", accept_failures_,
                   ec.message());
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec) self->do_accept();
    });
    return;
  }
  std::make_shared<Session>(std::move(socket), slot_, limits_, hooks_)->run();
  do_accept();
}

}  // namespace rex::http
