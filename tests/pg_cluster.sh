#!/usr/bin/env bash
# tests/pg_cluster.sh: a throwaway PostgreSQL cluster shared by the test programs of one tests/run.sh
# (each would otherwise start its own: tests/unit/harness.c, tests/integration/pglib.py).
#   tests/pg_cluster.sh start      prints the folder holding the cluster's Unix socket (exit 3: no PostgreSQL)
#   tests/pg_cluster.sh stop DIR   stops it and removes the folder
# initdb refuses to run as root, so as root the cluster runs as user nobody.
set -eu
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
case "${1:-}" in
start)
	[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || exit 3
	dir=$(mktemp -d /tmp/medlabel-pg-XXXXXX)
	chmod 755 "$dir"
	[ "$(id -u)" = 0 ] && chown nobody: "$dir"
	as_pg "$PGBIN/initdb" -D "$dir/data" -U medlabel --auth=trust -E UTF8 --locale=C --no-sync -N >"$dir/setup.log" 2>&1
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -w -t 30 -l "$dir/log" -o "-k $dir -c listen_addresses= -c fsync=off \
-c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >>"$dir/setup.log" 2>&1
	echo "$dir"
	;;
stop)
	dir=${2:?usage: pg_cluster.sh stop DIR}
	case "$dir" in /tmp/medlabel-pg-*) ;; *) echo "not a test cluster: $dir" >&2; exit 2 ;; esac
	as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
*)
	echo "usage: tests/pg_cluster.sh start | stop DIR" >&2
	exit 2
	;;
esac
