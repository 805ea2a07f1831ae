#!/usr/bin/env bash
# npm run bench [api|media]: build, then run the benchmarks (ratios measured in one run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -p tsconfig.bench.json
exec node dist/bench/run.js "$@"
