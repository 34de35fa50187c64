#!/usr/bin/env bash
# Runs every fuzz target in the repository for a while, one after the other,
# and fails when any finds a crash. Not part of CI (scripts/test.sh runs the
# checked-in seeds of every target as ordinary tests).
#
#   scripts/fuzz.sh                  # every target, FUZZTIME each (default 30s)
#   FUZZTIME=5m scripts/fuzz.sh ./internal/sigv4/...   # some packages
#
# Targets are found with `go test -list '^Fuzz'` per package. A crash leaves
# its input in the package's testdata/fuzz/TARGET/ (the Go fuzzer's own
# place): rerun it with `go test -run TARGET/NAME ./PACKAGE`, fix the bug, and
# check the input in as a seed. FUZZ_PARALLEL sets -parallel (default: the
# number of CPUs). The last line is "N targets, N crashed".
set -uo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-30s}
PKGS=("$@")
[ ${#PKGS[@]} -eq 0 ] && PKGS=(./...)

targets=0 crashed=0
crashes=()
for pkg in $(go list "${PKGS[@]}"); do
	# Only packages with test files can hold fuzz targets.
	[ -n "$(go list -f '{{.TestGoFiles}}{{.XTestGoFiles}}' "$pkg" | tr -d '[]')" ] || continue
	if ! list=$(go test -list '^Fuzz' "$pkg" 2>&1); then
		echo "FAIL $pkg: go test -list: $list"
		crashed=$((crashed + 1)) crashes+=("$pkg (does not build)")
		continue
	fi
	for target in $(grep '^Fuzz' <<<"$list"); do
		targets=$((targets + 1))
		echo "== $pkg $target ($FUZZTIME)"
		out=$(go test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" ${FUZZ_PARALLEL:+-parallel "$FUZZ_PARALLEL"} "$pkg" 2>&1)
		status=$?
		# The fuzzer's last progress line, e.g. "fuzz: elapsed: 30s, execs: 123456
		# (4115/sec), new interesting: 3 (total: 40)"; its rate is the last
		# interval's, so print the whole run's.
		grep '^fuzz: elapsed' <<<"$out" | tail -n 1 |
			sed -E 's/^fuzz: elapsed: ([0-9]+)s, execs: ([0-9]+) \([0-9]+\/sec\), new interesting: ([0-9]+) \(total: ([0-9]+)\).*/\1 \2 \3 \4/' |
			while read -r secs execs new total; do
				echo "   ${secs}s, $execs execs ($((execs / (secs > 0 ? secs : 1)))/s), $new new interesting inputs (corpus $total)"
			done
		if [ $status -ne 0 ]; then
			echo "$out" | tail -n 40 | sed 's/^/   /'
			crashed=$((crashed + 1)) crashes+=("$pkg $target")
		fi
	done
done
for c in "${crashes[@]}"; do echo "CRASH $c"; done
echo "$targets targets, $crashed crashed"
[ "$targets" -gt 0 ] && [ "$crashed" -eq 0 ]
