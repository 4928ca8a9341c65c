#!/usr/bin/env bash
# Installs the Debian 12 packages results_exporter builds, runs and tests with. Installs only what
# is missing, so a second run is quick and needs no network.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libboost1.81-dev        # Beast and Asio (header-only in 1.81)
  libsimdjson-dev         # On-Demand JSON parsing in the plugins
  libyaml-cpp-dev         # the config file
  libspdlog-dev           # structured logs
  libcli11-dev            # the command line
  zlib1g-dev              # gzip for /metrics
  libpugixml-dev          # the junit_xml plugin
  libgtest-dev            # unit tests
  clang                   # libFuzzer targets (tests/fuzz)
  clang-format clang-tidy # scripts/lint.sh
  python3 python3-pytest  # integration tests drive the real binary over HTTP
  python3-yaml            # deploy tests read the alert rules
  prometheus              # promtool and a real Prometheus for the end-to-end tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
