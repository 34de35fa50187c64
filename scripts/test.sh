#!/usr/bin/env bash
# Runs every test mantle has, on a fresh machine: installs what it needs first.
#
# Every stage runs even when an earlier one failed: go vet, gofmt, the Go
# tests (race detector; a throwaway PostgreSQL for the postgres store), and
# the e2e client suite (e2e/run.sh). The failures are listed again at the
# end, and the last line is the totals, "N passed, N failed, N skipped":
# every Go test and subtest, every e2e check, and go vet and gofmt as one
# check each. The exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mantle-test.XXXXXX")
pg_started=
cleanup() {
	[ -n "$pg_started" ] && scripts/postgres.sh stop
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0 failed=0 skipped=0
failures=()
# count FILE: add the totals line ("N passed, N failed, N skipped") that a
# stage printed last in FILE; a stage that printed none failed once.
count() {
	local line p f s
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		return
	fi
	read -r p _ f _ s _ <<<"$line"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
}
check() { # NAME STATUS: one pass/fail check
	if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)) failures+=("$1"); fi
}

echo "== go vet"
go vet ./...
check "go vet" $?

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go') 2>&1)
[ -n "$unformatted" ] && echo "gofmt would change: $unformatted"
check gofmt "$([ -z "$unformatted" ]; echo $?)"

echo "== PostgreSQL for the postgres store's tests (scripts/postgres.sh)"
if [ -z "${MANTLE_TEST_POSTGRES_DSN:-}" ]; then
	if pg_env=$(scripts/postgres.sh start); then
		eval "$pg_env"
		pg_started=1
	else
		echo "no PostgreSQL: the postgres store's tests will be skipped"
		failures+=("scripts/postgres.sh start")
		failed=$((failed + 1))
	fi
fi

echo "== chromium for the console's browser suite (integration/console_browser_test.go)"
if ! command -v chromium >/dev/null 2>&1 && [ -z "${MANTLE_CHROMIUM:-}" ]; then
	sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
	($sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null ||
		{ echo "chromium could not be installed: the browser suite will fail"; failures+=("apt-get install chromium"); }
fi

echo "== go test (race)"
go build -o "$TMP/testtotals" ./tools/testtotals || failures+=("go build ./tools/testtotals")
go test -race -count=1 -json ./... 2>&1 | "$TMP/testtotals" | tee "$TMP/go.out"
go_status=${PIPESTATUS[1]}
count "$TMP/go.out"
[ "$go_status" -eq 0 ] || failures+=("go test (see the FAIL lines above)")

echo "== e2e: AWS CLI, boto3, JavaScript SDK v3 against a real mantle"
./e2e/run.sh 2>&1 | tee "$TMP/e2e.out"
e2e_status=${PIPESTATUS[0]}
count "$TMP/e2e.out"
[ "$e2e_status" -eq 0 ] || failures+=("e2e (see the FAIL lines above)")

echo "== summary"
if [ ${#failures[@]} -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "every stage passed"
else
	grep -hE '^(FAIL|--- FAIL)' "$TMP/go.out" "$TMP/e2e.out" 2>/dev/null | sed 's/^/   /'
	for f in "${failures[@]}"; do echo "   stage failed: $f"; done
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ ${#failures[@]} -eq 0 ]
