#!/usr/bin/env bash
# Soaks a built mantle (issue 9): SOAK_SECONDS (default 600) of mixed signed
# load at 80 % of the measured peak plus SOAK_IDLE (5000) idle connections,
# checking 0 errors, the health check always answering within 1 s and RSS
# flat within 15 % after warm-up; then SOAK_EXHAUST_IDLE (20000) idle
# connections and SOAK_EXHAUST_SLOW (1000) slow bodies held for
# SOAK_EXHAUST_SECONDS (30) while the health check must still answer within
# 1 s. Prints its figures; exits non-zero if a check fails. Not run in CI.
# Usage: scripts/soak.sh   (e.g. SOAK_SECONDS=60 scripts/soak.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
# The holders and the server each need descriptors for their connections.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
bin=$(mktemp -d)/mantle
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" ./cmd/mantle
go build -o "$(dirname "$bin")/soak" ./tools/soak
"$(dirname "$bin")/soak" -mantle "$bin" \
  -d "${SOAK_SECONDS:-600}s" \
  -peak "${SOAK_PEAK_SECONDS:-15}s" \
  -idle "${SOAK_IDLE:-5000}" \
  -exhaust-idle "${SOAK_EXHAUST_IDLE:-20000}" \
  -exhaust-slow "${SOAK_EXHAUST_SLOW:-1000}" \
  -exhaust "${SOAK_EXHAUST_SECONDS:-30}s"
