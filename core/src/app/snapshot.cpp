#include "app/snapshot.hpp"

#include "expo/gzip.hpp"

namespace rex::app {

const std::string& Snapshot::metrics_gzip() const {
  std::call_once(gzip_once_, [this] { metrics_gzip_ = expo::gzip_compress(metrics_); });
  return metrics_gzip_;
}

}  // namespace rex::app
