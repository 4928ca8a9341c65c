// The running server: HTTP I/O threads, the ingest thread, and clean shutdown on SIGINT/SIGTERM.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "app/ingest_engine.hpp"
#include "app/snapshot.hpp"
#include "config/config.hpp"
#include "http/hooks.hpp"
#include "http/limits.hpp"

namespace rex::http {

class Listener;

class Server {
 public:
  // Loads the plugins and binds the listen address; throws std::exception when it cannot.
  Server(config::Config cfg, app::EngineOptions options);
  ~Server();

  // Serves until SIGINT or SIGTERM; returns the exit code.
  int run();
  boost::asio::ip::tcp::endpoint endpoint() const;

 private:
  config::Config cfg_;
  Limits limits_;
  Hooks hooks_;
  app::SnapshotSlot slot_;
  boost::asio::io_context http_ioc_;
  boost::asio::io_context ingest_ioc_;
  std::unique_ptr<app::IngestEngine> engine_;
  std::shared_ptr<Listener> listener_;

  void wait_for_signals(boost::asio::signal_set& signals);
};

}  // namespace rex::http
