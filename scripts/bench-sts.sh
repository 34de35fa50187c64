#!/usr/bin/env bash
# Measures STS over HTTP with wrk against a trivial Go handler in the same run.
# Usage: scripts/bench-sts.sh [-d 10s] [-c 32] [-t 2] [-check]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
go run ./tools/stsbench "$@"
