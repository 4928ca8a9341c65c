#!/usr/bin/env bash
# Style and static analysis: clang-format on every C/C++ file (CI runs this part), and with
# --tidy, clang-tidy (.clang-tidy) on the core, using the default preset's compile commands.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c')
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
if [ "${1:-}" = "--tidy" ]; then
  [ -f build/default/compile_commands.json ] || cmake --preset default >/dev/null
  mapfile -t core < <(git ls-files 'core/src/*.cpp')
  printf '%s\n' "${core[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p build/default --quiet
  echo "clang-tidy: ${#core[@]} core files clean"
fi
