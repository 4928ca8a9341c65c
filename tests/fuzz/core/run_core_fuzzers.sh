#!/usr/bin/env bash
# Builds the core libFuzzer targets (clang, ASan+UBSan; tests/fuzz/core/CMakeLists.txt) in
# build/fuzz-core, replays the regression corpus (tests/fuzz/core/corpus/<target>/: every input that
# ever crashed, plus hand-made seeds), then runs each target for N seconds (default 20; 7 targets,
# so the default run is under 3 minutes) on seeds from schemas/, config/ and the fixtures.
# Exits non-zero when a target crashes; the crashing input is kept in build/fuzz-core/artifacts/
# (replay: build/fuzz-core/<target> <file>; to make it a regression input, copy it into
# tests/fuzz/core/corpus/<target>/).
#
#   tests/fuzz/core/run_core_fuzzers.sh [SECONDS] [TARGET...]
#   REX_FUZZ_JOBS=1 tests/fuzz/core/run_core_fuzzers.sh 5
set -euo pipefail

seconds=${1:-20}
shift || true
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${REX_FUZZ_CORE_BUILD_DIR:-$root/build/fuzz-core}
jobs=${REX_FUZZ_JOBS:-$(nproc)}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_config fuzz_expo_roundtrip fuzz_http_request
  fuzz_plugin_osworld_detailed fuzz_plugin_osworld_tasks fuzz_plugin_langmem_jsonlog
  fuzz_plugin_langmem_kv)

command -v clang++ >/dev/null || { echo "run_core_fuzzers.sh: clang++ is not installed" >&2; exit 2; }
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

seeds() {  # seeds <target> <dir>: what the target starts from
  local t=$1 d=$2
  case $t in
    fuzz_config)
      cp "$root"/config/*.yml "$d/" 2>/dev/null || true
      find "$root/tests" "$root/deploy" "$root/examples" -name '*.yml' -size -64k 2>/dev/null |
        head -n 50 | while read -r f; do cp "$f" "$d/$(echo "$f" | md5sum | cut -c1-12).yml"; done \
        || true ;;
    fuzz_plugin_osworld_detailed) cp "$root"/schemas/osworld_detailed/*.json "$d/" ;;
    fuzz_plugin_osworld_tasks) cp "$root"/schemas/osworld_tasks/*.json "$d/" ;;
    fuzz_plugin_langmem_jsonlog) cp "$root"/schemas/langmem_jsonlog/*.log "$d/" ;;
    fuzz_plugin_langmem_kv) cp "$root"/schemas/langmem_kv/*.log "$d/" ;;
    fuzz_http_request)
      printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0.5, *\r\n\r\n\001' >"$d/get"
      printf 'HEAD /api/v1/status HTTP/1.1\r\nHost: x\r\n\r\nGET /-/ready HTTP/1.0\r\n\r\n\001' >"$d/two"
      printf 'POST /api/v1/push/osworld_tasks?id=a%%2Fb HTTP/1.1\r\nContent-Length: 4\r\n\r\n{}{}\001' >"$d/push"
      printf 'PUT /-/reload HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n\001' >"$d/chunked" ;;
  esac
  # The fixtures the plugin tests use.
  case $t in
    fuzz_plugin_osworld_*)
      find "$root/tests/plugins" -name '*.json' -size -256k -exec cp {} "$d/" \; 2>/dev/null || true ;;
    fuzz_plugin_langmem_*)
      find "$root/tests/plugins/langmem" -type f -size -256k -exec cp {} "$d/" \; 2>/dev/null || true ;;
  esac
}

mkdir -p "$build/artifacts"
status=0
for t in "${targets[@]}"; do
  mkdir -p "$work/seeds-$t" "$work/corpus-$t"
  seeds "$t" "$work/seeds-$t"
  regress="$here/corpus/$t"
  dirs=("$work/corpus-$t" "$work/seeds-$t")
  [ -d "$regress" ] && dirs+=("$regress")
  dict=()
  case $t in fuzz_plugin_osworld_*|fuzz_plugin_langmem_jsonlog) dict=(-dict="$root/tests/fuzz/json.dict") ;; esac
  [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
  # 1. The regression inputs, always: each must pass.
  if [ -d "$regress" ] && [ -n "$(ls -A "$regress")" ]; then
    if ! "$build/$t" -runs=0 -artifact_prefix="$build/artifacts/$t-replay-" "$regress" \
        >"$work/$t.replay.log" 2>&1; then
      echo "$t: a regression input crashes again:" >&2
      tail -n 60 "$work/$t.replay.log" >&2
      status=1
      continue
    fi
  fi
  # 2. Fuzz. New inputs go to the first (writable) folder; the others are only read.
  echo "== $t for ${seconds}s ($(ls "$work/seeds-$t" | wc -l) seeds)"
  if ! "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      "${dict[@]}" -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" \
      "${dirs[@]}" \
      >"$work/$t.log" 2>&1; then
    echo "$t FAILED; the last lines of its log:" >&2
    tail -n 60 "$work/$t.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$work/$t.log" || true
  fi
done
exit $status
