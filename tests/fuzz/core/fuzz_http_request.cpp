// The HTTP request path without sockets: arbitrary bytes into a boost::beast request_parser with
// the server's limits (core/src/http/limits.hpp), fed in fuzz-chosen pieces as a socket would
// deliver them; every request that parses completely is routed against a SnapshotSlot, and the
// reply's body is read in full (ASan checks it points at live memory). Also the helpers the
// session calls on the target and headers: is_push_path, parse_push_target, accepts_gzip.
// Aborts on a crash, a sanitizer report, an exception out of route(), or a reply without status.
#include <fuzzer/FuzzedDataProvider.h>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "app/snapshot.hpp"
#include "http/limits.hpp"
#include "http/router.hpp"

namespace bhttp = boost::beast::http;

namespace {

volatile unsigned char g_sink;

void touch(std::string_view s) {
  unsigned char x = 0;
  for (char c : s) x ^= static_cast<unsigned char>(c);
  g_sink = x;
}

const rex::app::SnapshotSlot& slot_with(bool published) {
  static const rex::app::SnapshotSlot* empty = new rex::app::SnapshotSlot;
  static const rex::app::SnapshotSlot* full = [] {
    auto* s = new rex::app::SnapshotSlot;  // never destroyed: lives as long as the fuzzer
    s->publish(std::make_shared<rex::app::Snapshot>(
        "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"b\"} 1\n", "{\"sources\":[]}", true,
        1));
    return s;
  }();
  return published ? *full : *empty;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  const rex::http::Limits limits;
  const bool published = fdp.ConsumeBool();
  const auto& slot = slot_with(published);
  std::string rest = fdp.ConsumeRemainingBytesAsString();

  std::optional<bhttp::request_parser<bhttp::string_body>> parser;
  auto fresh = [&] {
    parser.emplace();
    parser->header_limit(limits.header_bytes);
    parser->body_limit(limits.body_bytes);
  };
  fresh();
  // Pieces: the bytes are delivered in chunks whose sizes come from the input itself (its first
  // bytes), like a socket read; unconsumed bytes stay buffered as beast's flat_buffer does.
  std::string buffer;
  size_t pos = 0;
  unsigned requests = 0;
  while (pos < rest.size() || !buffer.empty()) {
    size_t chunk = 1 + (static_cast<unsigned char>(rest[pos % rest.size()]) % 64) * 7;
    if (pos < rest.size()) {
      buffer.append(rest, pos, std::min(chunk, rest.size() - pos));
      pos += std::min(chunk, rest.size() - pos);
    }
    boost::beast::error_code ec;
    size_t used = parser->put(boost::asio::buffer(buffer.data(), buffer.size()), ec);
    buffer.erase(0, used);
    if (ec == bhttp::error::need_more) {
      if (pos >= rest.size()) {
        parser->put_eof(ec);
        break;
      }
      continue;
    }
    if (ec) break;  // 400/431/413 in the server: the connection ends
    if (!parser->is_done()) {
      if (used == 0 && pos >= rest.size()) break;
      continue;
    }
    const auto& req = parser->get();
    rex::http::Reply r;
    try {
      (void)rex::http::is_push_path(req.target());
      auto t = rex::http::parse_push_target(req.target());
      touch(t.plugin);
      touch(t.id);
      (void)rex::http::accepts_gzip(req[bhttp::field::accept_encoding]);
      r = rex::http::route(req, slot);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "route threw: %s\n", e.what());
      std::abort();
    }
    if (static_cast<unsigned>(r.status) < 100 || static_cast<unsigned>(r.status) > 599)
      std::abort();
    // The session keeps the reply by moving it (Session::send: reply_ = std::move(reply)) and
    // writes it later: what it sends (view()) must be memory the moved-to Reply owns or keeps
    // alive. A view into a short `owned` string (small-string buffer) would dangle after a move.
    rex::http::Reply kept = std::move(r);
    std::string_view sent = kept.view();
    if (!kept.owned.empty() && !kept.body.data() &&
        (sent.data() != kept.owned.data() || sent.size() != kept.owned.size())) {
      std::fprintf(stderr, "Reply body dangles after a move (status %u, owned \"%s\")\n",
                   static_cast<unsigned>(kept.status), kept.owned.c_str());
      std::abort();
    }
    if (!kept.deferred_reload) touch(sent);
    touch(kept.content_type);
    if (!req.keep_alive() || ++requests > 64) break;
    fresh();
  }
  return 0;
}
