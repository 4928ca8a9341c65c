#include "http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>
#include <cctype>

#include "http/listener.hpp"

namespace rex::http {

namespace asio = boost::asio;

namespace {
// "Bearer <token>", compared in constant time so the answer's timing does not leak the token.
bool bearer_matches(std::string_view header, const std::string& token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i])))
      return false;
  std::string_view given = header.substr(kScheme.size());
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < token.size(); ++i)
    diff |= static_cast<unsigned char>(token[i] ^ (i < given.size() ? given[i] : 0));
  return diff == 0;
}
}  // namespace

Server::Server(config::Config cfg, app::EngineOptions options)
    : cfg_(std::move(cfg)), http_ioc_(static_cast<int>(cfg_.http_threads)), ingest_ioc_(1) {
  auto addr = config::parse_listen_address(cfg_.listen_address);
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(addr.host, ec);
  if (ec) {
    // A host name: resolve it once, at start.
    asio::ip::tcp::resolver resolver(http_ioc_);
    auto results = resolver.resolve(addr.host, std::to_string(addr.port));
    if (results.empty()) throw std::runtime_error("cannot resolve " + addr.host);
    ip = results.begin()->endpoint().address();
  }
  listener_ = std::make_shared<Listener>(http_ioc_, asio::ip::tcp::endpoint(ip, addr.port), slot_,
                                         limits_, hooks_);
  engine_ = std::make_unique<app::IngestEngine>(ingest_ioc_, cfg_, std::move(options), slot_);
  hooks_.push = [this](PushRequest p, std::function<void(DeferredAnswer)> done) {
    app::PushCall call{p.retract, std::move(p.plugin), std::move(p.id), std::move(p.body)};
    engine_->request_push(std::move(call), [done = std::move(done)](app::PushAnswer a) {
      done({a.status, std::move(a.body), "application/json"});
    });
  };
  hooks_.authorized = [this](std::string_view header) {
    auto snap = slot_.get();
    if (!snap || !snap->access.auth_token) return true;
    return bearer_matches(header, *snap->access.auth_token);
  };
  hooks_.push_body_limit = [this]() -> uint64_t {
    auto snap = slot_.get();
    return snap ? snap->access.push_body_limit : 0;
  };
  hooks_.reload = [this](std::function<void(bool, std::string)> done) {
    engine_->request_reload(
        [done = std::move(done)](app::ReloadOutcome o) { done(o.ok, std::move(o.message)); });
  };
}

Server::~Server() = default;

asio::ip::tcp::endpoint Server::endpoint() const { return listener_->local_endpoint(); }

void Server::wait_for_signals(asio::signal_set& signals) {
  signals.async_wait([this, &signals](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP received: reloading the config");
      engine_->request_reload([](app::ReloadOutcome) {});
      return wait_for_signals(signals);
    }
    spdlog::info("signal {} received, shutting down", sig);
    listener_->stop();
    ingest_ioc_.stop();
    http_ioc_.stop();
  });
}

int Server::run() {
  asio::signal_set signals(http_ioc_, SIGINT, SIGTERM, SIGHUP);
  wait_for_signals(signals);

  engine_->start();
  auto ingest_work = asio::make_work_guard(ingest_ioc_);
  std::thread ingest([this] { ingest_ioc_.run(); });

  listener_->run();
  spdlog::info("listening on http://{}", [&] {
    auto ep = endpoint();
    return ep.address().is_v6() ? "[" + ep.address().to_string() + "]:" + std::to_string(ep.port())
                                : ep.address().to_string() + ":" + std::to_string(ep.port());
  }());
  std::vector<std::thread> io;
  for (unsigned i = 1; i < cfg_.http_threads; ++i) io.emplace_back([this] { http_ioc_.run(); });
  http_ioc_.run();
  for (auto& t : io) t.join();
  ingest_work.reset();
  ingest_ioc_.stop();
  ingest.join();
  engine_->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace rex::http
