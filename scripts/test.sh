#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: once in a normal build with
# warnings as errors, once under AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
"$root/scripts/install-deps.sh"
jobs="$(nproc)"

echo "=== format"
"$root/scripts/lint.sh"

for preset in ci asan; do
  echo "=== $preset: build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== $preset: test"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset "$preset" -j "$jobs" --repeat until-pass:2
done

# ThreadSanitizer for the concurrent parts: the server binary and the plugins it swaps, driven by
# the scrape-while-reloading test and the reload tests.
echo "=== tsan: build"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$jobs" --target results_exporter osworld_detailed osworld_tasks \
  test_plugin_good test_plugin_v2 test_plugin_bad_abi_major test_plugin_bad_family
echo "=== tsan: test"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  ctest --preset tsan -R "integration\.(test_concurrency|test_reload)"

# Fuzzing, bounded: each libFuzzer target for a short run on its seed corpus (longer runs: call
# the scripts with more seconds).
echo "=== fuzz"
REX_FUZZ_JOBS="$jobs" tests/fuzz/run_fuzzers.sh "${REX_FUZZ_SECONDS:-10}"
REX_FUZZ_JOBS="$jobs" tests/fuzz/core/run_core_fuzzers.sh "${REX_FUZZ_SECONDS:-10}"
