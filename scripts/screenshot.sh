#!/usr/bin/env bash
# Renders the quickstart report in headless Chromium to PNG, to look at it (run by hand; CI
# does not). Needs Debian's `chromium` package. Usage: scripts/screenshot.sh [report.html] [out.png]
set -euo pipefail
cd "$(dirname "$0")/.."
report="${1:-target/quickstart/report.html}"
out="${2:-target/quickstart/report.png}"
height="${HEIGHT:-16000}"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
  --window-size=1280,"$height" --screenshot="$out" "file://$(realpath "$report")" 2>/dev/null
echo "$out"
