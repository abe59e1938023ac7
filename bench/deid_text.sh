#!/usr/bin/env bash
# deid_text.sh [MB] [RUNS]: throughput of `medlabel deid text` in each replacement mode (tag, mask, surrogate)
# on MB megabytes (default 100, as issue 5 asks) of generated JSONL notes (bench/gen_notes.py, seed 1; made once
# and kept in /tmp, or $DEID_BENCH_DIR, for later runs). One thread (--jobs 1), so CPU time is the time of one
# core. Prints for each command the medians of RUNS runs (default 5): CPU seconds (user+sys), wall seconds,
# MB/s per core (from CPU time), MB/s (from wall) and notes/s, with `cat` and `cp` of the same file as a floor,
# all from this run, and the load average before and after (the machine may be shared).
set -eu
cd "$(dirname "$0")/.."
MB=${1:-100}
RUNS=${2:-5}
BIN=${MEDLABEL_BIN:-build/medlabel}
DIR=${DEID_BENCH_DIR:-/tmp/medlabel-deid-bench}
[ -x "$BIN" ] || { echo "deid_text.sh: $BIN not built (make)" >&2; exit 1; }
mkdir -p "$DIR"
NOTES="$DIR/notes-${MB}MB.jsonl"
if [ ! -s "$NOTES" ]; then
	/usr/bin/python3 bench/gen_notes.py "$NOTES.tmp" "$MB" 1
	mv "$NOTES.tmp" "$NOTES"
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'secret-for-benchmarking-only-0123\n' >"$T/secret"
SIZE=$(stat -c %s "$NOTES")
COUNT=$(wc -l <"$NOTES")
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# one run: "CPU WALL" (user+sys and elapsed seconds of the command, GNU time)
one() { /usr/bin/time -f '%U %S %e' "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%.3f %.3f\n", $1 + $2, $3}'; }
# a time of 0 is below GNU time's 10 ms resolution: shown as a lower bound
rate() { awk -v s="$SIZE" -v t="$1" 'BEGIN { if (t <= 0) printf "> %.0f", s / 1048576 / 0.01; else printf "%.1f", s / 1048576 / t }'; }
nps() { awk -v c="$COUNT" -v t="$1" 'BEGIN { if (t <= 0) printf "> %.0f", c / 0.01; else printf "%.0f", c / t }'; }
report() { # NAME then RUNS lines of "CPU WALL" on stdin
	local name=$1 runs cpu wall
	runs=$(cat)
	cpu=$(echo "$runs" | awk '{print $1}' | median)
	wall=$(echo "$runs" | awk '{print $2}' | median)
	printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$cpu" "$wall" "$(rate "$cpu")" "$(rate "$wall")" "$(nps "$cpu")"
}
echo "file: $(awk -v s="$SIZE" 'BEGIN{printf "%.1f", s/1048576}') MB, $COUNT notes (bench/gen_notes.py); $RUNS runs, medians"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | CPU s | wall s | MB/s per core (CPU) | MB/s (wall) | notes/s per core |"
echo "|---|---:|---:|---:|---:|---:|"
for m in tag mask surrogate; do
	for i in $(seq "$RUNS"); do
		# the previous run's output is removed untimed, as cp's copy is: freeing its pages is not this run's work
		rm -f "$T/out.jsonl"
		one "$BIN" deid text "$NOTES" "$T/out.jsonl" --mode "$m" --secret-file "$T/secret" --jobs 1
	done | report "deid text --mode $m"
done
for i in $(seq "$RUNS"); do one cat "$NOTES"; done | report "cat (floor)"
for i in $(seq "$RUNS"); do one cp "$NOTES" "$T/copy"; rm -f "$T/copy"; done | report "cp (floor)"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
