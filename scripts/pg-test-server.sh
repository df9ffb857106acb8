#!/bin/sh
# A throwaway PostgreSQL cluster for the postgresql row of the tests.
#
#   sh scripts/pg-test-server.sh start [--fsync]
#                                        initdb in a new temporary folder,
#                                        start the server on 127.0.0.1 at a
#                                        free port with trust auth for
#                                        loopback, create database kvtest;
#                                        prints the folder, whose file "uri"
#                                        holds the server's URI.  Tests
#                                        run with fsync off; --fsync (for
#                                        the benchmark) keeps it on.
#   sh scripts/pg-test-server.sh stop DIR   stop that server, remove DIR.
#
# initdb refuses to run as root: as root the cluster belongs to the
# system user "postgres" that Debian's postgresql package makes (created
# here when missing).  Fails, saying why, when no server can be started.
set -eu

die() { echo "pg-test-server: $*" >&2; exit 1; }

bindir() {
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
	return 1
}

# Run a command as the cluster's owner.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$owner" -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
	fsync=off
	[ "${1:-}" = --fsync ] && fsync=on
	bin=$(bindir) || die "initdb not found: install the Debian package postgresql (scripts/install-deps.sh)"
	owner=$(id -un)
	if [ "$(id -u)" -eq 0 ]; then
		owner=postgres
		id "$owner" >/dev/null 2>&1 ||
			useradd --system --home-dir /var/lib/postgresql --shell /bin/false "$owner" ||
			die "cannot create the system user $owner"
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/kv-pg.XXXXXX")
	chmod 0755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown "$owner" "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U kvtest --auth=trust --no-sync \
		-E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; rm -rf "$dir"; die "initdb failed"; }
	# The port is free when chosen; another program may take it first,
	# so try a few.
	for try in 1 2 3 4 5; do
		port=$(free_port)
		if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=$fsync -c max_connections=300" \
			start >/dev/null 2>&1; then
			break
		fi
		port=
	done
	[ -n "$port" ] || { cat "$dir/server.log" >&2; rm -rf "$dir"; die "the server did not start"; }
	echo "$bin" >"$dir/bindir"
	as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U kvtest kvtest ||
		{ stop "$dir"; die "createdb failed"; }
	echo "postgresql://kvtest@127.0.0.1:$port/kvtest" >"$dir/uri"
	echo "$dir"
}

stop() {
	dir=$1
	[ -f "$dir/data/PG_VERSION" ] || die "$dir: not a test cluster"
	owner=$(stat -c %U "$dir/data")
	as_owner "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 start | stop DIR" ;;
esac
