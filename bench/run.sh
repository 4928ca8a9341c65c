#!/usr/bin/env bash
# One command for the benchmarks: bench/run.sh [--quick] [--only scrape,ingest,logs,fresh,reload,memory]
# Builds Release (build/release), installs the anchors if missing (Debian packages), generates the
# inputs deterministically into bench/.work (cached), runs the comparisons alternately and writes
# bench/results/latest.md (+ latest.json; --quick writes latest-quick.md). Full run < 15 min on 2 cores; --quick about 2-3 min once
# the inputs exist (the first run generates ~360 MB of inputs, ~1 min).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
WORK="$HERE/.work"
ARGS=("$@")

# Every process started below is in this script's process tree; stop them whatever happens.
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "${BENCH_PID:-}" ]] && kill -0 "$BENCH_PID" 2>/dev/null; then
    kill -TERM "$BENCH_PID" 2>/dev/null || true
    sleep 2
    kill -KILL "$BENCH_PID" 2>/dev/null || true
  fi
  exit $rc
}
trap cleanup EXIT INT TERM

need=()
for pair in wrk:wrk mtail:mtail prometheus-node-exporter:prometheus-node-exporter \
            prometheus-pushgateway:prometheus-pushgateway /usr/bin/python3:python3 cmake:cmake \
            ninja:ninja-build g++:g++; do
  cmd="${pair%%:*}"; pkg="${pair#*:}"
  command -v "$cmd" >/dev/null 2>&1 || need+=("$pkg")
done
[[ -f /usr/include/simdjson.h ]] || need+=(libsimdjson-dev)
if ((${#need[@]})); then
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "[bench] installing: ${need[*]}"
  timeout 600 $SUDO apt-get install -y --no-install-recommends "${need[@]}" \
    || { timeout 300 $SUDO apt-get update && timeout 600 $SUDO apt-get install -y --no-install-recommends "${need[@]}"; }
fi

echo "[bench] building Release into build/release"
(cd "$ROOT" && timeout 1200 cmake --preset release >/dev/null && timeout 1200 cmake --build --preset release -j2)

mkdir -p "$WORK"
# The bare walk is built with the flags the plugins get (no -march): the same simdjson kernel.
g++ -std=c++20 -O2 -DNDEBUG -o "$WORK/simdjson_walk" "$HERE/simdjson_walk.cpp" -lsimdjson
g++ -std=c++20 -O2 -DNDEBUG -march=native -o "$WORK/simdjson_walk_native" "$HERE/simdjson_walk.cpp" -lsimdjson

OUT="$HERE/results/latest.md"
for a in "${ARGS[@]}"; do [[ "$a" == --quick ]] && OUT="$HERE/results/latest-quick.md"; done  # a quick run keeps the full figures
GIT="$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo '?')$(cd "$ROOT" && git diff --quiet HEAD -- core plugins 2>/dev/null || echo ' + uncommitted changes')"
timeout 1500 /usr/bin/python3 "$HERE/bench.py" --bin "$ROOT/build/release/results_exporter" \
  --plugins "$ROOT/build/release/plugins" --work "$WORK" --out "$OUT" \
  --git "$GIT" "${ARGS[@]}" &
BENCH_PID=$!
wait "$BENCH_PID"
