#!/usr/bin/env bash
# End-to-end client suite: the same scenarios with the AWS CLI, boto3 and the
# AWS SDK for JavaScript v3 (aws-sdk-go-v2 is covered by integration/), plus
# the commands of docs/*.md. Each client gets a fresh mantle on a free loopback
# port with a temporary data directory and a known root key.
#
#   e2e/run.sh              # every client
#   e2e/run.sh cli js       # some: cli boto3 js docs gate legacy
#
# legacy (Debian 12's awscli 2.9 and python3-boto3 1.26, which ignore
# AWS_ENDPOINT_URL) runs by default only where /usr/bin/aws is such a CLI.
#
# Every client prints one line per check: "PASS name", "FAIL name: why" or
# "SKIP name: why". On a failure the client's whole output and mantle's log are
# printed. The last line is "N passed, M failed, K skipped"; the exit status is
# non-zero when anything failed.
#
# The clients run at the same time (each against its own mantle: most of their
# time is spent waiting for the next TOTP step); E2E_PARALLEL=0 runs them one
# after the other. E2E_KEEP=1 keeps the temporary directory (logs, data).
# E2E_CLIENT_TIMEOUT bounds each client (seconds, default 360; 600 for docs,
# whose ten pages run one after the other and take about four minutes on an
# idle two-core machine).
set -uo pipefail
E2E=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$E2E/.." && pwd)
CLIENTS=("$@")
if [ ${#CLIENTS[@]} -eq 0 ]; then
	CLIENTS=(cli boto3 js docs gate)
	case $(/usr/bin/aws --version 2>/dev/null) in aws-cli/2.[0-9].* | aws-cli/2.1[0-2].*) CLIENTS+=(legacy) ;; esac
fi
CLIENT_TIMEOUT=${E2E_CLIENT_TIMEOUT:-360}
DOCS_TIMEOUT=${E2E_CLIENT_TIMEOUT:-600}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mantle-e2e.XXXXXX")
MANTLE_PID=
cleanup() {
	local f
	for f in "$TMP"/*/mantle.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
	[ -n "${E2E_KEEP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0 failed=0 skipped=0
note_fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# Installed as the README says (go install), into a directory of its own on
# PATH: the docs pages call `mantle` as a reader who followed it does.
echo "== install mantle (go install ./cmd/mantle)"
if ! (cd "$ROOT" && GOBIN="$TMP/bin" go install ./cmd/mantle); then
	note_fail "build: go install ./cmd/mantle"
	echo "$passed passed, $failed failed, $skipped skipped"
	exit 1
fi

# ---- client prerequisites ------------------------------------------------
# awscli 1.45 / boto3 1.43 honour AWS_ENDPOINT_URL (and AWS_ENDPOINT_URL_<SERVICE>).
# Debian 12's awscli 2.9.19 / python3-boto3 1.26.27 predate that: they need
# --endpoint-url / endpoint_url= on every call, so the cli/boto3/docs
# scenarios would fail with them (the legacy client covers them).
have_python_clients() { command -v aws >/dev/null && python3 -c 'import boto3' 2>/dev/null; }
ensure_python_clients() {
	have_python_clients && return 0
	echo "== awscli/boto3 missing: apt-get install -y awscli python3-boto3"
	if command -v apt-get >/dev/null; then
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli python3-boto3) >"$TMP/apt.log" 2>&1 || tail -20 "$TMP/apt.log"
	fi
	have_python_clients || return 1
	python3 - <<'PY' || echo "WARNING: this botocore ignores AWS_ENDPOINT_URL; see docs/clients.md (--endpoint-url, credential_process)"
import botocore, sys
v = tuple(int(x) for x in botocore.__version__.split(".")[:3])
sys.exit(0 if v >= (1, 31, 0) else 1)
PY
}
# The web identity checks run a test OIDC issuer (openssl); docs/federation.md
# also signs a SAML response with xmlsec1.
ensure_tools() {
	local missing=() t
	for t in "$@"; do command -v "$t" >/dev/null || missing+=("$t"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "== ${missing[*]} missing: apt-get install -y ${missing[*]}"
	command -v apt-get >/dev/null || return 1
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >"$TMP/apt-tools.log" 2>&1 || tail -20 "$TMP/apt-tools.log"
	for t in "$@"; do command -v "$t" >/dev/null || return 1; done
}
ensure_js() {
	command -v node >/dev/null || { echo "node is missing"; return 1; }
	[ -d "$E2E/js/node_modules/@aws-sdk/client-sts" ] && return 0
	echo "== npm ci (e2e/js)"
	(cd "$E2E/js" && npm ci --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1 || { cat "$TMP/npm.log"; return 1; }
}

# ---- mantle lifecycle ----------------------------------------------------
ACCOUNT_ID=123456789012
ROOT_KEY=AKIAE2EROOTKEY000001
ROOT_SECRET=e2eRootSecretKey/0123456789abcdefghijklm
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_mantle NAME [random-root]: fresh data dir, free port, wait for health.
# With random-root mantle makes the root key itself (and writes
# mantle-data/root-credentials), as for a reader of the docs.
start_mantle() {
	local name=$1 random_root=${2:-} try
	DATA="$TMP/$name/mantle-data"
	mkdir -p "$TMP/$name/work"
	for try in 1 2 3; do # another process may take the free port first
		PORT=$(free_port)
		ENDPOINT="http://127.0.0.1:$PORT"
		if [ -n "$random_root" ]; then
			(cd "$TMP/$name" && exec env -u MANTLE_ROOT_ACCESS_KEY_ID -u MANTLE_ROOT_SECRET_ACCESS_KEY \
				"$TMP/bin/mantle" serve --addr "127.0.0.1:$PORT" --data "$DATA" >"$TMP/$name/mantle.out" 2>"$TMP/$name/mantle.log") &
		else
			(cd "$TMP/$name" && MANTLE_ROOT_ACCESS_KEY_ID=$ROOT_KEY MANTLE_ROOT_SECRET_ACCESS_KEY=$ROOT_SECRET \
				exec "$TMP/bin/mantle" serve --addr "127.0.0.1:$PORT" --data "$DATA" --account-id "$ACCOUNT_ID" \
				>"$TMP/$name/mantle.out" 2>"$TMP/$name/mantle.log") &
		fi
		MANTLE_PID=$!
		echo "$MANTLE_PID" >"$TMP/$name/mantle.pid"
		for _ in $(seq 150); do
			curl -fsS "$ENDPOINT/_mantle/health" >/dev/null 2>&1 && return 0
			kill -0 "$MANTLE_PID" 2>/dev/null || break
			sleep 0.1
		done
		stop_mantle
		grep -q 'address already in use' "$TMP/$name/mantle.log" || break
	done
	echo "mantle did not become healthy on $ENDPOINT"; cat "$TMP/$name/mantle.log"
	return 1
}
stop_mantle() {
	[ -n "$MANTLE_PID" ] || return 0
	kill "$MANTLE_PID" 2>/dev/null
	wait "$MANTLE_PID" 2>/dev/null
	MANTLE_PID=
}

# client_env NAME: the environment every scenario starts from: root key,
# endpoint, region, and empty temporary config/credentials files.
client_env() {
	local dir="$TMP/$1"
	: >"$dir/config"
	: >"$dir/credentials"
	ENV=(env -i PATH="$TMP/bin:$PATH" HOME="$dir/work" LANG=C.UTF-8 TMPDIR="$dir/work"
		PYENV_ROOT="${PYENV_ROOT:-$HOME/.pyenv}" ${PYENV_VERSION:+PYENV_VERSION="$PYENV_VERSION"}
		AWS_ENDPOINT_URL="$ENDPOINT" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
		AWS_ACCESS_KEY_ID="$ROOT_KEY" AWS_SECRET_ACCESS_KEY="$ROOT_SECRET"
		AWS_CONFIG_FILE="$dir/config" AWS_SHARED_CREDENTIALS_FILE="$dir/credentials"
		AWS_EC2_METADATA_DISABLED=true AWS_PAGER=
		MANTLE_ENDPOINT="$ENDPOINT" MANTLE_ACCOUNT_ID="$ACCOUNT_ID" MANTLE_DATA="$DATA"
		E2E_DIR="$E2E" E2E_WORK="$dir/work"
		GOPATH="$(go env GOPATH)" GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)"
		GOPROXY="$(go env GOPROXY)" GOTOOLCHAIN=local)
}

# run_one CLIENT: start its mantle, run its scenarios, stop mantle. Writes
# $TMP/CLIENT/client.out (the client's output) and $TMP/CLIENT/report (what
# to print: the FAIL/SKIP lines, and everything on a failure).
run_one() {
	local c=$1 dir="$TMP/$1" out rc
	mkdir -p "$dir"
	out="$dir/client.out"
	: >"$out"
	if [ "$c" = docs ]; then start_mantle "$c" random-root >"$dir/start.log" 2>&1; else start_mantle "$c" >"$dir/start.log" 2>&1; fi
	if [ $? -ne 0 ]; then
		{ echo "FAIL $c: mantle did not start"; cat "$dir/start.log"; } >"$out"
		stop_mantle
		return
	fi
	client_env "$c"
	case $c in
	cli) set -- bash "$E2E/cli.sh" ;;
	boto3) set -- python3 "$E2E/boto3_test.py" ;;
	js) set -- node --test --test-reporter="$E2E/js/reporter.mjs" "$E2E/js/scenarios.test.mjs" "$E2E/js/iamreports.test.mjs" ;;
	docs) set -- bash "$E2E/docs.sh" ;;
	gate) set -- bash "$E2E/gate.sh" ;;
	legacy) set -- bash "$E2E/legacy.sh" ;;
	esac
	local limit=$CLIENT_TIMEOUT
	[ "$c" = docs ] && limit=$DOCS_TIMEOUT
	"${ENV[@]}" timeout "$limit" "$@" >"$out" 2>&1
	rc=$?
	stop_mantle
	rm -f "$dir/mantle.pid"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $c: exited with status $rc (124: timed out after ${limit}s)" >>"$out"
	fi
}

# report CLIENT: print its summary and add its counts.
report() {
	local c=$1 out="$TMP/$1/client.out" p f s
	echo "== $c"
	p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	grep -E '^(FAIL|SKIP) ' "$out" | sed 's/^/   /'
	echo "   $p passed, $f failed, $s skipped"
	if [ "$f" -ne 0 ]; then
		echo "---- $c output"; cat "$out"
		if [ -f "$TMP/$c/mantle.log" ]; then echo "---- mantle log ($c, last 60 lines)"; tail -n 60 "$TMP/$c/mantle.log"; fi
		echo "----"
	fi
}

RUN=()
for c in "${CLIENTS[@]}"; do
	case $c in
	legacy)
		if ! /usr/bin/python3 -c 'import boto3' 2>/dev/null || ! [ -x /usr/bin/aws ]; then
			note_fail "legacy: needs Debian's awscli and python3-boto3 (apt-get install awscli python3-boto3)"; continue
		fi ;;
	cli | boto3 | docs | gate)
		if ! ensure_python_clients; then note_fail "$c: aws/boto3 not installed"; continue; fi ;;
	js)
		if ! ensure_js; then note_fail "js: npm ci failed"; continue; fi ;;
	*) note_fail "unknown client $c (cli boto3 js docs gate legacy)"; continue ;;
	esac
	RUN+=("$c")
done
# docs needs e2e/js/node_modules for its JavaScript examples.
case " ${RUN[*]} " in *" docs "*) ensure_js || note_fail "docs: npm ci failed" ;; esac
case " ${RUN[*]} " in
*" docs "*) ensure_tools openssl xmlsec1 nginx || note_fail "docs: openssl/xmlsec1/nginx not installed" ;;
*" cli "* | *" boto3 "* | *" js "*) ensure_tools openssl || note_fail "openssl not installed" ;;
esac

if [ "${E2E_PARALLEL:-1}" = 0 ]; then
	for c in "${RUN[@]}"; do run_one "$c"; report "$c"; done
else
	echo "== running ${RUN[*]}"
	pids=()
	for c in "${RUN[@]}"; do run_one "$c" & pids+=($!); done
	wait "${pids[@]}"
	for c in "${RUN[@]}"; do report "$c"; done
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
