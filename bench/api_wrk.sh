#!/usr/bin/env bash
# api_wrk.sh: HTTP API throughput with wrk on loopback against a project of 100,000 tasks, 64 connections.
#   1. GET /api/v1/projects/P/next   (64 annotators, each re-asking for its live lease)
#   2. lease + submit cycles          (64 annotators: GET next, POST the annotation, repeat)
# Targets (issue 3): >= 20,000 next req/s, >= 5,000 submits/s, p99 < 20 ms on a 2-core machine.
# Usage: bench/api_wrk.sh [SECONDS] [RUNS]   (defaults 10 s, 3 runs; prints the median of each figure)
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
trap 'kill $SERVER 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
DATA=$WORK/data
ml() { "$BIN" --data "$DATA" "$@"; }

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

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BIN" --data "$DATA" serve --listen 127.0.0.1:$PORT ${SERVER_ARGS:-} >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$PORT/api/v1/health" >/dev/null && break; sleep 0.1; done
for i in $(seq 1 $CONNS); do
	UID_=$(curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/users" |
		/usr/bin/python3 -c "import json,sys; print([u['id'] for u in json.load(sys.stdin)['users'] if u['name']=='ann$i'][0])")
	curl -s -o /dev/null -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
		-d '{"role":"annotator"}' "http://127.0.0.1:$PORT/api/v1/projects/$PID/members/$UID_"
done
curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/projects/$PID" |
	/usr/bin/python3 -c "import json,sys; c=json.load(sys.stdin)['counts']; print('project:', c['items'], 'items,', sum(c['tasks'].values()), 'tasks')"

export TOKENS=$WORK/tokens PROJECT=$PID
cpu_ticks() { awk '{print $14 + $15}' /proc/$SERVER/stat; }
TCK=$(getconf CLK_TCK)
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { grep -o "$1=[0-9.]*" | cut -d= -f2; }
# The HTTP layer's own ceiling on this machine in this run (no login, no database): the reference against
# which the API figures are read.
: >"$WORK/health.results"
for r in $(seq 1 "$RUNS"); do
	wrk -t4 -c$CONNS -d"${SECS}s" --latency "http://127.0.0.1:$PORT/api/v1/health" |
		awk '/Requests\/sec/ {print "rps=" $2} / 99%/ {print "p99=" $2}' | paste -sd' ' >>"$WORK/health.results"
	echo "  run $r: health $(tail -1 "$WORK/health.results")"
done
for kind in next submit; do
	: >"$WORK/$kind.results"
	# next needs no per-connection state: 4 wrk threads share the 64 connections (4 annotators), which leaves
	# more of the 2 cores to the server; a submit cycle needs one wrk thread per connection (its own lease).
	threads=$CONNS
	[ "$kind" = next ] && threads=4
	for r in $(seq 1 "$RUNS"); do
		before=$(cpu_ticks)
		line=$(wrk -t$threads -c$CONNS -d"${SECS}s" --latency -s "bench/wrk_$kind.lua" "http://127.0.0.1:$PORT/" | grep '^RESULT')
		used=$(( $(cpu_ticks) - before ))
		reqs=$(echo "$line" | grep -o 'ok=[0-9]*\|leases=[0-9]*\|submits=[0-9]*' | cut -d= -f2 | paste -sd+ | bc)
		# server CPU per request: a figure that other load on the machine does not distort
		line="$line server_cpu_us_per_req=$(( used * 1000000 / TCK / (reqs > 0 ? reqs : 1) ))"
		echo "  run $r: $line"
		echo "$line" >>"$WORK/$kind.results"
	done
done
echo
echo "medians of $RUNS runs of ${SECS}s, $CONNS connections, $(nproc) cores:"
echo "  health (HTTP layer only): $(grep -o 'rps=[0-9.]*' "$WORK/health.results" | cut -d= -f2 | median) req/s"
echo "  next:   $(field rps <"$WORK/next.results" | median) req/s, p99 $(field p99_ms <"$WORK/next.results" | median) ms"
echo "  server CPU per request: next $(field server_cpu_us_per_req <"$WORK/next.results" | median) us," \
	"submit cycle step $(field server_cpu_us_per_req <"$WORK/submit.results" | median) us"
echo "  load average during the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  submit: $(field submits_per_s <"$WORK/submit.results" | median) submits/s ($(field rps <"$WORK/submit.results" | median) req/s), p99 $(field p99_ms <"$WORK/submit.results" | median) ms"
curl -s -H "Authorization: Bearer $ADMIN" "http://127.0.0.1:$PORT/api/v1/projects/$PID" |
	/usr/bin/python3 -c "import json,sys; c=json.load(sys.stdin)['counts']; print('  after: ', c['annotations'], 'annotations stored')"
