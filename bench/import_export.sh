#!/usr/bin/env bash
# bench/import_export.sh: imports N (default 1,000,000) JSONL items of about 1 KB into a new project,
# then exports them; prints items/s and peak RSS (GNU time) for each, with the same-run figures of
# `cp` of the input file and of the sqlite3 CLI importing the same lines (WAL, synchronous=NORMAL, one
# transaction) as references. Medians of RUNS runs (default 3).
#
#   bash bench/import_export.sh [N] [RUNS]      (MEDLABEL_BIN overrides build/medlabel)
#
# Targets (issue 2, 2-core machine): import >= 100,000 items/s, export >= 200,000 items/s, RSS < 200 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
BIN=${MEDLABEL_BIN:-$PWD/build/medlabel}
TIME=/usr/bin/time
[ -x "$BIN" ] || { echo "build medlabel first (make)"; exit 1; }
[ -x "$TIME" ] || { echo "GNU time missing: apt-get install time"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing: apt-get install sqlite3"; exit 1; }
WORK=$(mktemp -d /tmp/medlabel-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# About 1 KB per line: clinical-sounding text with some non-ASCII, metadata and a patient key.
/usr/bin/python3 - "$N" "$WORK/in.jsonl" <<'PY'
import json, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(42)
words = ("patient presents with chest pain shortness of breath denies fever history of hypertension "
         "diabetes mellitus type 2 on metformin and lisinopril follow up in two weeks ECG normal sinus "
         "rhythm troponin negative 胸痛 ضيق café naïve 😀").split()
texts = []
for k in range(997):
    t, size = [], 0
    while size < 860:
        w = rnd.choice(words); t.append(w); size += len(w.encode()) + 1
    texts.append(" ".join(t))
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        rec = {"text": "%s [note %d]" % (texts[i % 997], i), "meta": {"source_id": i, "dept": "cardiology", "visit": i % 12},
               "patient_key": "pt-%06d" % (i % 100003)}
        f.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
PY
BYTES=$(stat -c %s "$WORK/in.jsonl")
echo "input: $N items, $BYTES bytes ($((BYTES / N)) bytes/item)"

# Runs a command under GNU time; prints "seconds max_rss_kb cpu_seconds" (cpu = user + system, all threads).
measure() {
	"$TIME" -f "%e %M %U %S" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/cmd.err" || { cat "$WORK/cmd.err"; exit 1; }
	tail -1 "$WORK/time.out" | awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}'
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$WORK/res"
for r in $(seq 1 "$RUNS"); do
	rm -rf "$WORK/data" "$WORK/out.jsonl"* "$WORK/copy.jsonl" "$WORK/ref.db"*
	sync
	"$BIN" --data "$WORK/data" init >/dev/null
	"$BIN" --data "$WORK/data" project create bench >/dev/null
	load=$(cut -d' ' -f1 /proc/loadavg)
	read -r ti ri ci < <(measure "$BIN" --data "$WORK/data" import bench "$WORK/in.jsonl")
	read -r te re ce < <(measure "$BIN" --data "$WORK/data" export bench --format jsonl --out "$WORK/out.jsonl")
	lines=$(($(wc -l <"$WORK/out.jsonl")))
	[ "$lines" -eq "$N" ] || { echo "export has $lines lines, want $N"; exit 1; }
	read -r tc _ _ < <(measure cp "$WORK/in.jsonl" "$WORK/copy.jsonl")
	read -r ts rs cs < <(measure sqlite3 "$WORK/ref.db" "PRAGMA journal_mode=WAL;" "PRAGMA synchronous=NORMAL;" \
		"CREATE TABLE t(line TEXT);" ".mode ascii" ".separator \"\\037\" \"\\n\"" ".import $WORK/in.jsonl t")
	echo "$ti $ri $te $re $tc $ts $rs $ci $ce $cs" >>"$WORK/res"
	printf 'run %d (load %s): import %.2fs (%.0f items/s, cpu %.1fs, %d MB)  export %.2fs (%.0f items/s, cpu %.1fs, %d MB)  cp %.2fs  sqlite3 .import %.2fs (cpu %.1fs)\n' \
		"$r" "$load" "$ti" "$(echo "$N / $ti" | bc -l)" "$ci" $((ri / 1024)) "$te" "$(echo "$N / $te" | bc -l)" "$ce" $((re / 1024)) "$tc" "$ts" "$cs"
done
col() { awk -v c="$1" '{print $c}' "$WORK/res" | median; }
ti=$(col 1) ri=$(col 2) te=$(col 3) re=$(col 4) tc=$(col 5) ts=$(col 6) rs=$(col 7) ci=$(col 8) ce=$(col 9) cs=$(col 10)
echo
echo "median of $RUNS runs, $N items of ~$((BYTES / N)) bytes:"
printf '  medlabel import   %6.2fs  %8.0f items/s  peak RSS %4d MB  cpu %5.1fs   (target >= 100000 items/s, < 200 MB)\n' "$ti" "$(echo "$N / $ti" | bc -l)" $((ri / 1024)) "$ci"
printf '  medlabel export   %6.2fs  %8.0f items/s  peak RSS %4d MB  cpu %5.1fs   (target >= 200000 items/s, < 200 MB)\n' "$te" "$(echo "$N / $te" | bc -l)" $((re / 1024)) "$ce"
printf '  cp input file     %6.2fs  %8.0f items/s\n' "$tc" "$(echo "$N / $tc" | bc -l)"
printf '  sqlite3 .import   %6.2fs  %8.0f items/s  peak RSS %4d MB  cpu %5.1fs   (lines into one TEXT column, no parsing, no hashing)\n' "$ts" "$(echo "$N / $ts" | bc -l)" $((rs / 1024)) "$cs"
echo "  (cpu = user + system seconds of all threads; load average at the start of each run is shown above: the"
echo "   machine is shared, and on a loaded machine the wall-clock figures say more about the others than about us)"
