#!/usr/bin/env bash
# bench/store_pg.sh: the same deployment on SQLite and on PostgreSQL. Imports N (default 100,000) JSONL
# items of about 1 KB into each backend, exports each (the two exports must be identical but for the
# creation times), and copies the SQLite database into an empty PostgreSQL one with `medlabel db copy`
# (whose export must be byte-identical to the SQLite one). PostgreSQL is a throwaway local cluster on a
# Unix socket (fsync off, as in the tests: this measures medlabel's side, not the disk). Prints wall and CPU seconds (user+sys of medlabel; the PostgreSQL server's CPU is
# reported apart, from /proc) and the load average; medians of RUNS runs (default 3).
#
#   bash bench/store_pg.sh [N] [RUNS]      (MEDLABEL_BIN overrides build/medlabel)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
RUNS=${2:-3}
BIN=${MEDLABEL_BIN:-$PWD/build/medlabel}
TIME=/usr/bin/time
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN" ] || { echo "build medlabel first (make)"; exit 1; }
[ -x "$TIME" ] || { echo "GNU time missing: apt-get install time"; exit 1; }
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || { echo "PostgreSQL server binaries missing: apt-get install postgresql"; exit 1; }
WORK=$(mktemp -d /tmp/medlabel-pgbench-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
chmod 711 "$WORK"
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown nobody: "$WORK/pg"
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -U medlabel --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -w -l "$WORK/pg/log" \
	-o "-k $WORK/pg -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
PGURL_BASE="postgresql:///%s?host=$WORK/pg&user=medlabel"
newdb() { "$PGBIN/psql" -X -q "$(printf "$PGURL_BASE" postgres)" -c "CREATE DATABASE \"$1\" TEMPLATE template0" >/dev/null
	printf "$PGURL_BASE" "$1"; }

/usr/bin/python3 - "$N" "$WORK/in.jsonl" <<'PY'
import json, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(42)
words = ("patient presents with chest pain shortness of breath denies fever history of hypertension "
         "diabetes mellitus type 2 on metformin and lisinopril follow up in two weeks ECG normal sinus "
         "rhythm troponin negative 胸痛 ضيق café naïve").split()
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        t, size = [], 0
        while size < 860:
            w = rnd.choice(words); t.append(w); size += len(w.encode()) + 1
        rec = {"text": " ".join(t) + " [note %d]" % i, "meta": {"source_id": i}, "patient_key": "pt-%06d" % (i % 100003)}
        f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
PY
echo "input: $N items, $(stat -c %s "$WORK/in.jsonl") bytes; PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"

pg_cpu() { # CPU seconds (user+sys) used so far by the cluster's processes
	local t=0 hz; hz=$(getconf CLK_TCK)
	for p in $(pgrep -u nobody -f "$WORK/pg" 2>/dev/null; pgrep -P "$(head -1 "$WORK/pg/data/postmaster.pid")" 2>/dev/null); do
		[ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14 + $15 + $16 + $17}' /proc/$p/stat)))
	done
	echo "$t $hz" | awk '{printf "%.2f", $1 / $2}'
}
# "wall cpu pgcpu" of one medlabel command
measure() {
	local before after
	before=$(pg_cpu)
	"$TIME" -f "%e %U %S" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/err" || { cat "$WORK/err"; exit 1; }
	after=$(pg_cpu)
	tail -1 "$WORK/time.out" | awk -v b="$before" -v a="$after" '{printf "%s %.2f %.2f\n", $1, $2 + $3, a - b}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$WORK/res"
for r in $(seq 1 "$RUNS"); do
	rm -rf "$WORK/sq" "$WORK/pgdata"
	"$BIN" --data "$WORK/sq" init >/dev/null
	"$BIN" --data "$WORK/sq" project create bench >/dev/null
	url=$(newdb "imp$r")
	"$BIN" --data "$WORK/pgdata" --db "$url" init >/dev/null
	"$BIN" --data "$WORK/pgdata" --db "$url" project create bench >/dev/null
	load=$(cut -d' ' -f1 /proc/loadavg)
	echo "sqlite_import $(measure "$BIN" --data "$WORK/sq" import bench "$WORK/in.jsonl") $load" >>"$WORK/res"
	echo "pg_import $(measure "$BIN" --data "$WORK/pgdata" --db "$url" import bench "$WORK/in.jsonl") $load" >>"$WORK/res"
	echo "sqlite_export $(measure "$BIN" --data "$WORK/sq" export bench --out "$WORK/sq.jsonl") $load" >>"$WORK/res"
	echo "pg_export $(measure "$BIN" --data "$WORK/pgdata" --db "$url" export bench --out "$WORK/pg.jsonl") $load" >>"$WORK/res"
	# two separate imports differ only in their creation times
	cmp -s <(sed 's/"created_at":"[^"]*"//g' "$WORK/sq.jsonl") <(sed 's/"created_at":"[^"]*"//g' "$WORK/pg.jsonl") ||
		{ echo "the two exports differ (beyond creation times)"; exit 1; }
	curl=$(newdb "copy$r")
	echo "db_copy $(measure "$BIN" --data "$WORK/sq" db copy "sqlite:$WORK/sq/medlabel.db" "$curl") $load" >>"$WORK/res"
	"$BIN" --data "$WORK/sq" --db "$curl" export bench --out "$WORK/copy.jsonl" >/dev/null 2>&1
	cmp -s "$WORK/sq.jsonl" "$WORK/copy.jsonl" || { echo "the copied database exports differently"; exit 1; }
done
printf "%-14s %9s %12s %10s %14s %s\n" step wall items/s "CPU(ml)" "CPU(postgres)" "load"
for step in sqlite_import pg_import sqlite_export pg_export db_copy; do
	w=$(awk -v s=$step '$1 == s {print $2}' "$WORK/res" | median)
	c=$(awk -v s=$step '$1 == s {print $3}' "$WORK/res" | median)
	p=$(awk -v s=$step '$1 == s {print $4}' "$WORK/res" | median)
	l=$(awk -v s=$step '$1 == s {print $5}' "$WORK/res" | tr '\n' ' ')
	printf "%-14s %8ss %12.0f %9ss %13ss %s\n" "$step" "$w" "$(echo "$N $w" | awk '{print $1 / $2}')" "$c" "$p" "$l"
done
