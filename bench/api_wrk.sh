#!/usr/bin/env bash
# api_wrk.sh: HTTP API throughput with wrk on loopback against a project of 100,000 tasks, 64 connections.
#   1. GET /api/v1/projects/P/next   (64 annotators, each re-asking for its live lease)
#   2. lease + submit cycles          (64 annotators: GET next, POST the annotation, repeat)
# Targets (issue 3): >= 20,000 next req/s, >= 5,000 submits/s, p99 < 20 ms on a 2-core machine.
# Usage: bench/api_wrk.sh [SECONDS] [RUNS]   (defaults 10 s, 3 runs; prints the median of each figure)
#
# Every run starts from the same database (a copy of the one set up here, on a freshly started server): at
# 5,000 submits/s, 3 runs of 10 s would otherwise use up the 100,000 tasks, and each run would measure a
# database the previous runs filled. Printed per run and as medians: throughput, p50/p99 latency, the
# server's CPU time per request (user + system, /proc; steadier than wall-clock figures on a shared
# machine), and wrk's own CPU time per request (the load generator shares the 2 cores with the server).
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
RUNS=${2:-3}
ITEMS=${ITEMS:-100000}
CONNS=64
BIN=build/medlabel
command -v wrk >/dev/null || { echo "wrk missing: make bench installs it" >&2; exit 1; }
make -s all

WORK=$(mktemp -d /tmp/medlabel-bench-api.XXXXXX)
SERVER=
trap 'stop_server; rm -rf "$WORK"' EXIT
DATA=$WORK/data
ml() { "$BIN" --data "$DATA" "$@"; }
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_server() {
	"$BIN" --data "$DATA" serve --listen 127.0.0.1:$PORT ${SERVER_ARGS:-} >>"$WORK/server.log" 2>&1 &
	SERVER=$!
	for _ in $(seq 100); do curl -s "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && return; sleep 0.1; done
	echo "the server did not start: $(tail -3 "$WORK/server.log")" >&2
	exit 1
}
stop_server() {
	[ -n "$SERVER" ] || return 0
	kill "$SERVER" 2>/dev/null || true
	wait "$SERVER" 2>/dev/null || true
	SERVER=
}

echo "setting up $ITEMS tasks and $CONNS annotators in $WORK ..."
/usr/bin/python3 - "$WORK/items.jsonl" "$ITEMS" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(json.dumps({"text": f"Synthetic note {i}: patient reports cough and fever for {i % 9 + 1} days.",
                            "meta": {"n": i}}) + "\n")
EOF
cat >"$WORK/schema.json" <<'EOF'
{"format": 1, "name": "bench", "modalities": ["text"],
 "controls": [{"name": "label", "kind": "classification", "required": true,
               "labels": [{"value": "yes"}, {"value": "no"}]}]}
EOF
ml init >/dev/null
echo "benchmark-admin-password" | ml user add admin --admin --password-stdin >/dev/null
PID=$(ml project create bench)
ml schema set "$PID" "$WORK/schema.json" >/dev/null
ml import "$PID" "$WORK/items.jsonl" >/dev/null
ADMIN=$(ml token create admin)
: >"$WORK/tokens"
for i in $(seq 1 $CONNS); do
	echo "annotator password $i" | ml user add "ann$i" --password-stdin >/dev/null
	ml token create "ann$i" >>"$WORK/tokens"
done

start_server
for i in $(seq 1 $CONNS); do
	UID_=$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/users" |
		/usr/bin/python3 -c "import json,sys; print([u['id'] for u in json.load(sys.stdin)['users'] if u['name']=='ann$i'][0])")
	curl -s -o /dev/null -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
		-d '{"role":"annotator"}' "http://127.0.0.1:$PORT/api/v1/projects/$PID/members/$UID_"
done
curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/projects/$PID" |
	/usr/bin/python3 -c "import json,sys; c=json.load(sys.stdin)['counts']; print('project:', c['items'], 'items,', sum(c['tasks'].values()), 'tasks')"
stop_server
cp -a "$DATA" "$WORK/pristine" # the state every run starts from
fresh_server() {
	stop_server
	rm -rf "$DATA"
	cp -a "$WORK/pristine" "$DATA"
	start_server
}

export TOKENS=$WORK/tokens PROJECT=$PID
TCK=$(getconf CLK_TCK)
server_ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
# wrk runs in the foreground of this shell: once it is waited for, its CPU time is in our cutime + cstime.
client_ticks() { awk '{print $16 + $17}' /proc/$$/stat; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { grep -o "$1=[0-9.]*" | cut -d= -f2; }
us_per() { echo $(( $1 * 1000000 / TCK / ($2 > 0 ? $2 : 1) )); }
# The HTTP layer's own ceiling on this machine in this run (no login, no database): the reference against
# which the API figures are read.
fresh_server
: >"$WORK/health.results"
for r in $(seq 1 "$RUNS"); do
	wrk -t4 -c$CONNS -d"${SECS}s" --latency "http://127.0.0.1:$PORT/api/v1/health" |
		awk '/Requests\/sec/ {print "rps=" $2} / 99%/ {print "p99=" $2}' | paste -sd' ' >>"$WORK/health.results"
	echo "  run $r: health $(tail -1 "$WORK/health.results")"
done
for kind in next submit; do
	: >"$WORK/$kind.results"
	# next needs no per-connection state: 4 wrk threads share the 64 connections (4 annotators), which leaves
	# more of the 2 cores to the server. A submit cycle needs per-connection state (the task its annotator
	# leased), and wrk's Lua API cannot tell which connection a response belongs to when a thread has
	# several: so one wrk thread per connection, 64 Lua threads, and their cost is printed (client CPU).
	threads=$CONNS
	[ "$kind" = next ] && threads=4
	for r in $(seq 1 "$RUNS"); do
		fresh_server
		# one second unmeasured first: a fresh process has cold statement caches and a cold page cache
		wrk -t$threads -c$CONNS -d1s -s "bench/wrk_$kind.lua" "http://127.0.0.1:$PORT/" >/dev/null
		before=$(server_ticks) cbefore=$(client_ticks)
		wrk -t$threads -c$CONNS -d"${SECS}s" --latency -s "bench/wrk_$kind.lua" "http://127.0.0.1:$PORT/" >"$WORK/wrk.out"
		cused=$(( $(client_ticks) - cbefore ))
		used=$(( $(server_ticks) - before ))
		line=$(grep '^RESULT' "$WORK/wrk.out")
		reqs=$(echo "$line" | /usr/bin/python3 -c "import re,sys; l=sys.stdin.read(); print(round(float(re.search('rps=([0-9.]+)', l).group(1)) * float(re.search('seconds=([0-9.]+)', l).group(1))))")
		wal=$(stat -c %s "$DATA/medlabel.db-wal" 2>/dev/null || echo 0)
		# CPU per request of the server and of wrk: figures that other load on the machine distorts less
		line="$line server_cpu_us_per_req=$(us_per "$used" "$reqs") wrk_cpu_us_per_req=$(us_per "$cused" "$reqs") wal_mb=$(( wal >> 20 ))"
		echo "  run $r: $line"
		echo "$line" >>"$WORK/$kind.results"
	done
done
echo
echo "medians of $RUNS runs of ${SECS}s, $CONNS connections, $(nproc) cores (load average now: $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  health (HTTP layer only): $(grep -o 'rps=[0-9.]*' "$WORK/health.results" | cut -d= -f2 | median) req/s"
for kind in next submit; do
	f="$WORK/$kind.results"
	extra=
	[ "$kind" = submit ] && extra=" = $(field submits_per_s <"$f" | median) submits/s"
	echo "  $kind: $(field rps <"$f" | median) req/s$extra, p50 $(field p50_ms <"$f" | median) ms," \
		"p99 $(field p99_ms <"$f" | median) ms; CPU per request: server $(field server_cpu_us_per_req <"$f" | median) us," \
		"wrk $(field wrk_cpu_us_per_req <"$f" | median) us"
done
curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/projects/$PID" |
	/usr/bin/python3 -c "import json,sys; c=json.load(sys.stdin)['counts']; print('  after the last run:', c['annotations'], 'annotations stored')"
