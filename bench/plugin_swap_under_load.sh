#!/usr/bin/env bash
# 100 plugin swaps (v1 <-> v2 of the test plugin, copied beside and renamed over) while wrk loads
# /metrics with 16 connections; prints the swap count and wrk's totals (non-2xx answers and socket
# errors appear in wrk's output when there are any). Needs a default-preset build with tests.
#   bench/plugin_swap_under_load.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build/default}" && pwd)"
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
work="$(mktemp -d)"
cd "$work"
mkdir plugins t
cp "$build"/plugins/osworld_*.so plugins/
cp "$build/test_plugins/good/test_plugin_good.so" plugins/test_plugin.so
echo "TEST 5" > t/x.test
printf 'sources:\n  - name: t\n    path: ./t/*.test\n    plugin: auto\n' > c.yml
"$build/results_exporter" --config.file=c.yml --plugin-dir=plugins \
  --web.listen-address=127.0.0.1:18110 > server.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null; wait $srv 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.5
wrk -t2 -c16 -d40s http://127.0.0.1:18110/metrics > wrk.txt 2>&1 &
load=$!
sleep 1
for i in $(seq 1 100); do
  if [ $((i % 2)) = 1 ]; then v=v2/test_plugin_v2.so; want=10; else v=good/test_plugin_good.so; want=5; fi
  cp "$build/test_plugins/$v" plugins/.swap.tmp && mv plugins/.swap.tmp plugins/test_plugin.so
  for _ in $(seq 1 200); do  # wait until this version serves (at most 2 s)
    curl -s http://127.0.0.1:18110/metrics | grep -q "^test_value $want$" && break
    sleep 0.01
  done
done
curl -s http://127.0.0.1:18110/metrics | grep '^results_exporter_plugin_reloads_total'
wait $load
cat wrk.txt
