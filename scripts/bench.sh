#!/usr/bin/env bash
# npm run bench [api|media|metrics|split]: build, then run the benchmarks (ratios measured in one run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -p tsconfig.bench.json
# The Redis scripts the stores load at run time are not TypeScript: they are copied beside the build.
npm run --silent build:assets
exec node dist/bench/run.js "$@"
