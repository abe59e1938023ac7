#!/usr/bin/env bash
# deid_text.sh [MB] [RUNS]: throughput of `medlabel deid text` in each replacement mode on generated notes
# (bench/gen_notes.py, default 100 MB as JSONL), as MB/s of CPU time on one core (the command is
# single-threaded), with `cat` and `cp` of the same file as a floor. Prints medians of RUNS runs.
set -eu
cd "$(dirname "$0")/.."
MB=${1:-100}
RUNS=${2:-3}
BIN=${MEDLABEL_BIN:-build/medlabel}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 bench/gen_notes.py "$T/notes.jsonl" "$MB" 1
printf 'secret-for-benchmarking-only-0123\n' >"$T/secret"
SIZE=$(stat -c %s "$T/notes.jsonl")
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# user+sys seconds of one command (CPU time, so other load on the machine does not count)
cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'; }
rate() { awk -v s="$SIZE" -v t="$1" 'BEGIN { if (t <= 0) t = 0.001; printf "%.1f", s / 1048576 / t }'; }
echo "file: $(awk -v s="$SIZE" 'BEGIN{printf "%.1f", s/1048576}') MB of generated notes, $RUNS runs, medians"
for m in tag mask surrogate; do
	ts=$(for i in $(seq "$RUNS"); do cpu "$BIN" deid text "$T/notes.jsonl" "$T/out.jsonl" --mode "$m" --secret-file "$T/secret" --jobs 1; done | median)
	echo "deid text --mode $m: $ts s CPU, $(rate "$ts") MB/s per core"
done
tc=$(for i in $(seq "$RUNS"); do cpu cat "$T/notes.jsonl"; done | median)
echo "cat (floor): $tc s CPU, $(rate "$tc") MB/s"
tp=$(for i in $(seq "$RUNS"); do cpu cp "$T/notes.jsonl" "$T/copy"; done | median)
echo "cp (floor): $tp s CPU, $(rate "$tp") MB/s"
