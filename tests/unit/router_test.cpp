#include "http/router.hpp"

#include <gtest/gtest.h>

#include "expo/gzip.hpp"

using namespace rex;
namespace bhttp = boost::beast::http;

namespace {
http::Request request(bhttp::verb v, const char* target, const char* accept_encoding = nullptr) {
  http::Request r{v, target, 11};
  if (accept_encoding) r.set(bhttp::field::accept_encoding, accept_encoding);
  return r;
}
}  // namespace

TEST(Router, AcceptsGzip) {
  EXPECT_TRUE(http::accepts_gzip("gzip"));
  EXPECT_TRUE(http::accepts_gzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(http::accepts_gzip("*"));
  EXPECT_FALSE(http::accepts_gzip("gzip;q=0"));
  EXPECT_FALSE(http::accepts_gzip("identity"));
  EXPECT_FALSE(http::accepts_gzip(""));
}

TEST(Router, ServesTheSnapshot) {
  app::SnapshotSlot slot;
  EXPECT_EQ(http::route(request(bhttp::verb::get, "/metrics"), slot).status,
            bhttp::status::service_unavailable);
  EXPECT_EQ(http::route(request(bhttp::verb::get, "/-/ready"), slot).status,
            bhttp::status::service_unavailable);
  slot.publish(std::make_shared<app::Snapshot>("m 1\n", "{}", true, 1));
  auto r = http::route(request(bhttp::verb::get, "/metrics?x=1"), slot);
  EXPECT_EQ(r.status, bhttp::status::ok);
  EXPECT_EQ(r.view(), "m 1\n");
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  auto gz = http::route(request(bhttp::verb::get, "/metrics", "gzip"), slot);
  EXPECT_EQ(gz.content_encoding, "gzip");
  EXPECT_EQ(expo::gzip_decompress(gz.view()), "m 1\n");
  EXPECT_EQ(http::route(request(bhttp::verb::get, "/api/v1/status"), slot).content_type,
            "application/json");
  EXPECT_EQ(http::route(request(bhttp::verb::get, "/-/ready"), slot).status, bhttp::status::ok);
  EXPECT_EQ(http::route(request(bhttp::verb::get, "/-/healthy"), slot).status, bhttp::status::ok);
  EXPECT_NE(http::route(request(bhttp::verb::get, "/"), slot).view().find("/metrics"),
            std::string::npos);
  EXPECT_TRUE(http::route(request(bhttp::verb::head, "/metrics"), slot).head_only);
}

TEST(Router, UnknownPathsAndMethods) {
  app::SnapshotSlot slot;
  EXPECT_EQ(http::route(request(bhttp::verb::get, "/nope"), slot).status, bhttp::status::not_found);
  auto r = http::route(request(bhttp::verb::post, "/metrics"), slot);
  EXPECT_EQ(r.status, bhttp::status::method_not_allowed);
  EXPECT_EQ(r.allow, "GET, HEAD");
  EXPECT_EQ(http::route(request(bhttp::verb::delete_, "/nope"), slot).status,
            bhttp::status::not_found);
}

TEST(Router, AMovedReplyKeepsItsShortBody) {
  http::Reply a;
  a.set_text(bhttp::status::service_unavailable, "starting\n");  // fits the small-string buffer
  http::Reply b = std::move(a);
  http::Reply c;
  c = std::move(b);
  EXPECT_EQ(c.view(), "starting\n");
}
