#include "http/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/address.hpp>

#include "http/listener.hpp"

namespace rex::http {

namespace asio = boost::asio;

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
