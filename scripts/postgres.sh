#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: a temporary directory, a free
# loopback port, trust authentication, durability off (it is thrown away).
#
#   eval "$(scripts/postgres.sh start)"   # exports MANTLE_TEST_POSTGRES_DSN and MANTLE_PG_DIR
#   scripts/postgres.sh stop              # stops the cluster in $MANTLE_PG_DIR and removes it
#
# Installs PostgreSQL with apt-get when no initdb is found (a fresh Debian CI
# machine). PostgreSQL refuses to run as root, so as root the cluster belongs
# to the postgres user (created by the Debian package).
# Everything but the export lines goes to stderr.
set -euo pipefail

find_bin() {
	local d
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		dirname "$(command -v initdb)"
		return 0
	fi
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

# as_owner runs a command as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

start() {
	local bin
	if ! bin=$(find_bin); then
		echo "== postgres.sh: PostgreSQL missing: apt-get install -y postgresql" >&2
		if [ "$(id -u)" -eq 0 ]; then
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
		else
			(sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
		fi
		bin=$(find_bin)
	fi
	local dir port
	dir=$(mktemp -d "${TMPDIR:-/tmp}/mantle-pg.XXXXXX")
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; return 1; }
	# The socket lives in the cluster directory: /var/run/postgresql may not
	# exist (or belong to someone else) on a CI machine.
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 start \
		-o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >&2 ||
		{ cat "$dir/postgres.log" >&2; return 1; }
	echo "export MANTLE_PG_DIR=$dir"
	echo "export MANTLE_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

stop() {
	local dir=${MANTLE_PG_DIR:-} bin
	[ -n "$dir" ] && [ -d "$dir/data" ] || return 0
	bin=$(find_bin)
	as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}

case ${1:-} in
start) start ;;
stop) stop ;;
*)
	echo "usage: $0 start|stop" >&2
	exit 2
	;;
esac
