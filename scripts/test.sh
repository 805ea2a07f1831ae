#!/usr/bin/env bash
# npm test: install what is missing, type-check, then run every test (unit, integration, end to end).
# The vitest global setup starts redis-server and the S3 store on free ports and stops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --test
npx tsc --noEmit -p .
exec npx vitest run "$@"
