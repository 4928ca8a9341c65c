#!/usr/bin/env bash
# Builds the libFuzzer targets of the test-report plugins (clang, ASan+UBSan) in build/fuzz and
# runs each for N seconds (default 20) on a seed corpus of fixtures: the hand-made ones in
# schemas/<plugin>/ plus real reports that a pytest session and a GoogleTest binary write here.
# Exits non-zero when a fuzzer finds a crash; the input that crashed is kept in
# build/fuzz/artifacts/ (replay: build/fuzz/fuzz_<plugin> <file>).
#
#   tests/fuzz/run_fuzzers.sh [SECONDS]
#   REX_FUZZ_JOBS=1 tests/fuzz/run_fuzzers.sh 5      # build with one job
set -euo pipefail

seconds=${1:-20}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${REX_FUZZ_BUILD_DIR:-$root/build/fuzz}
jobs=${REX_FUZZ_JOBS:-$(nproc)}
plugins=(pytest_json junit_xml gtest_json)

command -v clang++ >/dev/null || { echo "run_fuzzers.sh: clang++ is not installed" >&2; exit 2; }

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S "$root/tests/fuzz" -B "$build" "${generator[@]}" -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
targets=(fuzz_seed_gtest)
for p in "${plugins[@]}"; do targets+=("fuzz_$p"); done
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for p in "${plugins[@]}"; do mkdir -p "$work/seeds-$p" "$work/corpus-$p"; done

# Hand-made fixtures.
cp "$root"/schemas/pytest_json/*.json "$work/seeds-pytest_json/"
cp "$root"/schemas/junit_xml/*.xml "$work/seeds-junit_xml/"
cp "$root"/schemas/gtest_json/*.json "$work/seeds-gtest_json/"

# Real reports. The fixture binary fails some tests on purpose.
"$build/fuzz_seed_gtest" --gtest_output="xml:$work/seeds-junit_xml/real-gtest.xml" >/dev/null || true
"$build/fuzz_seed_gtest" --gtest_output="json:$work/seeds-gtest_json/real-gtest.json" >/dev/null || true
if /usr/bin/python3 -c 'import pytest' 2>/dev/null; then
  mkdir "$work/session"
  cat >"$work/session/test_seed.py" <<'EOF'
import pytest

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown fails on purpose")

def test_pass():
    pass

def test_fail():
    assert 1 == 2

def test_fail_then_teardown_error(broken_teardown):
    assert False

@pytest.mark.skip(reason="skipped on purpose")
def test_skip():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False

@pytest.mark.xfail(strict=True)
def test_xpass_strict():
    pass
EOF
  (cd "$work/session" && /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    --junitxml="$work/seeds-junit_xml/real-pytest.xml" . >/dev/null) || true
else
  echo "run_fuzzers.sh: /usr/bin/python3 has no pytest; no real pytest seed" >&2
fi

mkdir -p "$build/artifacts"
status=0
for p in "${plugins[@]}"; do
  dict="$root/tests/fuzz/json.dict"
  [ "$p" = junit_xml ] && dict="$root/tests/fuzz/xml.dict"
  echo "== fuzz_$p for ${seconds}s ($(ls "$work/seeds-$p" | wc -l) seeds)"
  # New inputs go to the first (writable) folder; the seeds are only read.
  if ! "$build/fuzz_$p" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=16384 -dict="$dict" -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$p-" "$work/corpus-$p" "$work/seeds-$p" \
    >"$work/$p.log" 2>&1; then
    echo "fuzz_$p FAILED; the last lines of its log:" >&2
    tail -n 60 "$work/$p.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$work/$p.log" || true
  fi
done
exit $status
