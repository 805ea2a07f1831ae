#!/usr/bin/env bash
# npm run test:chaos: the chaos suite against real processes of the built engine (dist/), so it builds
# first. Scenarios and the figures they print: test/chaos/chaos.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --test
npm run build
exec npx vitest run --config vitest.chaos.config.ts "$@"
