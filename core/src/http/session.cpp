#include "http/session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>

namespace rex::http {

namespace beast = boost::beast;

Session::Session(boost::asio::ip::tcp::socket&& socket, const app::SnapshotSlot& slot,
                 const Limits& limits, const Hooks& hooks)
    : stream_(std::move(socket)), slot_(slot), limits_(limits), hooks_(hooks) {}

void Session::run() {
  // Start on the session's strand.
  boost::asio::dispatch(stream_.get_executor(),
                        beast::bind_front_handler(&Session::do_read, shared_from_this()));
}

void Session::do_read() {
  // A fresh parser per message, each with its own limits. The parser checks Content-Length
  // against the body limit as soon as the header is complete, so it starts with the largest
  // limit any path allows; on_header narrows it to the one of the request's path.
  parser_.emplace();
  parser_->header_limit(limits_.header_bytes);
  uint64_t push_limit = hooks_.push_body_limit ? hooks_.push_body_limit() : 0;
  parser_->body_limit(std::max(limits_.body_bytes, push_limit));
  stream_.expires_after(limits_.read_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

void Session::on_header(beast::error_code ec, std::size_t bytes) {
  if (ec) return on_read(ec, bytes);
  uint64_t limit = limits_.body_bytes;
  if (is_push_path(parser_->get().target()) && hooks_.push_body_limit) {
    if (uint64_t push_limit = hooks_.push_body_limit()) limit = push_limit;
  }
  if (auto length = parser_->content_length(); length && *length > limit)
    return on_read(bhttp::error::body_limit, bytes);
  parser_->body_limit(limit);  // for chunked bodies, checked as they arrive
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&Session::on_read, shared_from_this()));
}

void Session::on_read(beast::error_code ec, std::size_t) {
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout) return do_close();
  if (ec == bhttp::error::header_limit) {
    Reply r;
    r.set_text(bhttp::status::request_header_fields_too_large,
               "431 request header fields too large\n");
    return send(std::move(r), false, 11);
  }
  if (ec == bhttp::error::body_limit) {
    Reply r;
    r.set_text(bhttp::status::payload_too_large, "413 payload too large\n");
    return send(std::move(r), false, 11);
  }
  if (ec) {
    if (ec != boost::asio::error::operation_aborted && ec != boost::asio::error::connection_reset &&
        ec != bhttp::error::partial_message) {
      Reply r;
      r.set_text(bhttp::status::bad_request, "400 bad request: " + ec.message() + "\n");
      return send(std::move(r), false, 11);
    }
    return do_close();
  }
  const auto& req = parser_->get();
  bool keep_alive = req.keep_alive() && ++served_ < limits_.requests_per_connection;
  if (is_push_path(req.target())) return push(req, keep_alive);
  Reply reply = route(req, slot_);
  if (reply.deferred_reload) {
    if (hooks_.authorized && !hooks_.authorized(req[bhttp::field::authorization])) {
      Reply r;
      r.set_text(bhttp::status::unauthorized, "401 unauthorized: a bearer token is required\n");
      return send(std::move(r), keep_alive, req.version());
    }
    return reload(keep_alive, req.version());
  }
  send(std::move(reply), keep_alive, req.version());
}

void Session::push(const Request& req, bool keep_alive) {
  unsigned version = req.version();
  auto refuse = [&](bhttp::status st, std::string text, std::string allow = {}) {
    Reply r;
    r.set_text(st, std::move(text) + "\n");
    r.allow = std::move(allow);
    send(std::move(r), keep_alive, version);
  };
  const bool retract = req.method() == bhttp::verb::delete_;
  if (!retract && req.method() != bhttp::verb::post && req.method() != bhttp::verb::put)
    return refuse(bhttp::status::method_not_allowed, "405 method not allowed", "POST, PUT, DELETE");
  if (!hooks_.push || !hooks_.push_body_limit || hooks_.push_body_limit() == 0)
    return refuse(bhttp::status::not_found,
                  "404 push is not enabled (no push: section in the config)");
  if (hooks_.authorized && !hooks_.authorized(req[bhttp::field::authorization]))
    return refuse(bhttp::status::unauthorized, "401 unauthorized: a bearer token is required");
  PushRequest p;
  p.retract = retract;
  auto target = parse_push_target(req.target());
  p.plugin = target.plugin;
  p.id = target.id.empty() ? std::string(req["X-Document-Id"]) : target.id;
  if (!retract) p.body = req.body();
  hooks_.push(std::move(p), [self = shared_from_this(), keep_alive, version](DeferredAnswer a) {
    boost::asio::post(self->stream_.get_executor(),
                      [self, keep_alive, version, a = std::move(a)]() mutable {
                        self->send_deferred(std::move(a), keep_alive, version);
                      });
  });
}

void Session::send_deferred(DeferredAnswer answer, bool keep_alive, unsigned version) {
  Reply r;
  r.set_text(static_cast<bhttp::status>(answer.status), std::move(answer.body));
  r.content_type = std::move(answer.content_type);
  send(std::move(r), keep_alive, version);
}

void Session::reload(bool keep_alive, unsigned version) {
  if (!hooks_.reload) {
    Reply r;
    r.set_text(bhttp::status::service_unavailable, "reload is not available\n");
    return send(std::move(r), keep_alive, version);
  }
  // The reload runs on the ingest thread; the answer comes back to this session's strand.
  hooks_.reload([self = shared_from_this(), keep_alive, version](bool ok, std::string message) {
    boost::asio::post(self->stream_.get_executor(), [self, ok, keep_alive, version,
                                                     message = std::move(message)]() mutable {
      Reply r;
      r.set_text(ok ? bhttp::status::ok : bhttp::status::internal_server_error, message + "\n");
      self->send(std::move(r), keep_alive, version);
    });
  });
}

void Session::send(Reply reply, bool keep_alive, unsigned version) {
  reply_ = std::move(reply);
  response_.emplace(reply_.status, version);
  auto& res = *response_;
  res.set(bhttp::field::server, "results_exporter/" REX_VERSION);
  res.set(bhttp::field::content_type, reply_.content_type);
  if (!reply_.content_encoding.empty()) {
    res.set(bhttp::field::content_encoding, reply_.content_encoding);
    res.set(bhttp::field::vary, "Accept-Encoding");
  }
  if (!reply_.allow.empty()) res.set(bhttp::field::allow, reply_.allow);
  res.keep_alive(keep_alive);
  if (reply_.head_only) {
    res.content_length(reply_.view().size());
  } else {
    res.body() = {reply_.view().data(), reply_.view().size()};
    res.prepare_payload();
  }
  stream_.expires_after(limits_.write_timeout);
  bhttp::async_write(
      stream_, res, beast::bind_front_handler(&Session::on_write, shared_from_this(), !keep_alive));
}

void Session::on_write(bool close, beast::error_code ec, std::size_t) {
  bool error_reply = reply_.status >= bhttp::status::bad_request;
  reply_ = Reply{};
  response_.reset();
  if (ec) return do_close();
  if (close && error_reply && !parser_->is_done()) return lingering_close();
  if (close) return do_close();
  do_read();
}

// After refusing a request whose body (or headers) we did not read, closing at once would make
// the kernel reset the connection, and the client could lose our reply. So: stop sending, then
// read and discard what the client still sends, for a bounded time and amount (as nginx does).
void Session::lingering_close() {
  beast::error_code ec;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  stream_.expires_after(limits_.linger_timeout);
  do_drain();
}

void Session::do_drain() {
  if (drained_ >= limits_.linger_bytes) return do_close();
  buffer_.consume(buffer_.size());
  stream_.async_read_some(buffer_.prepare(64 * 1024),
                          beast::bind_front_handler(&Session::on_drain, shared_from_this()));
}

void Session::on_drain(beast::error_code ec, std::size_t bytes) {
  drained_ += bytes;
  if (ec) return do_close();
  do_drain();
}

void Session::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  stream_.socket().close(ec);
}

}  // namespace rex::http
