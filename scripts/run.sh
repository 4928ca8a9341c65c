#!/usr/bin/env bash
# Installs what is missing, builds, and starts the server on config/results_exporter.yml:
# it watches ./benchmark_results and ./logs and serves http://127.0.0.1:8002/metrics.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
cmake --preset default -S "$root" >/dev/null
cmake --build "$root/build/default" --target results_exporter osworld_detailed osworld_tasks
exec "$root/build/default/results_exporter" --config.file="$root/config/results_exporter.yml" "$@"
