#!/usr/bin/env bash
# npm start: install what is missing, build, and run the whole engine on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
exec node dist/src/main.js
