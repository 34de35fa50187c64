#!/usr/bin/env bash
# Measures mantle gate with wrk: a trivial upstream directly, then through
# the gate (which asks an in-process mantle about every request), in the
# same run. Usage: scripts/bench-gate.sh [-d 10s] [-c 32] [-t 1] [-check]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
go run ./tools/gatebench "$@"
