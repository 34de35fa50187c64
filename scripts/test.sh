#!/usr/bin/env bash
# Runs every test mantle has, on a fresh machine: installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go vet"
go vet ./...
echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi

echo "== PostgreSQL for the postgres store's tests (scripts/postgres.sh)"
if [ -z "${MANTLE_TEST_POSTGRES_DSN:-}" ]; then
	eval "$(scripts/postgres.sh start)"
	trap 'scripts/postgres.sh stop' EXIT
fi

echo "== go test (race)"
go test -race -count=1 ./...

echo "== e2e: AWS CLI, boto3, JavaScript SDK v3 against a real mantle"
./e2e/run.sh
