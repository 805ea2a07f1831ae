#!/usr/bin/env bash
# Makes sure what the engine needs is on this machine: Debian's ffmpeg/ffprobe and redis-server, the
# fonts Text watermarks are drawn with (src/media/fonts.ts), and the npm dependencies. Installs them
# with apt-get when running as root; otherwise says what to run.
# --test also wants what only the tests use: chromium, the browser the playback test plays outputs in
# (CHROMIUM_PATH, default /usr/bin/chromium); `npm start` does not need it.
set -euo pipefail
cd "$(dirname "$0")/.."
with_test_tools=false
[ "${1:-}" = "--test" ] && with_test_tools=true

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# Font files, not fc-list: drawtext opens them by path and fontconfig may be absent.
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
[ -f /usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf ] || missing+=(fonts-liberation)
if $with_test_tools; then
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
fi
# shellcheck disable=SC2207
missing=($(printf '%s\n' "${missing[@]+"${missing[@]}"}" | sort -u))

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing ${missing[*]} with apt-get..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages: ${missing[*]}" >&2
    echo "Install them, then run this command again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# Also when a declared package is not installed: one was added since the last install.
absent=$(node -e '
  const p = require("./package.json");
  const names = Object.keys({ ...p.dependencies, ...p.devDependencies });
  console.log(names.filter((n) => !require("fs").existsSync(`node_modules/${n}/package.json`)).join(" "));
')
if [ ! -d node_modules ] || [ -n "$absent" ]; then
  echo "Installing npm dependencies (npm ci)${absent:+, missing: $absent}..."
  npm ci --no-audit --no-fund
fi
