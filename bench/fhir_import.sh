#!/usr/bin/env bash
# Benchmark of the FHIR importer (src/text/fhir.c): 1,000,000 generated Bulk Data NDJSON
# DocumentReferences (base64 notes of 30-80 words, one Observation per 10 documents, 200,000 patients).
#   1. the importer alone (two passes, JSON parse, base64, UTF-8 check, meta), items to a counting sink:
#      items/s per core (CPU time) and peak RSS;
#   2. `medlabel import` end to end into a fresh SQLite store (batches of 5000 per transaction):
#      items/s (wall) and peak RSS from /usr/bin/time;
#   floor: `cat` of the same file (reading only).
#
#   bash bench/fhir_import.sh          (N=1000000 RUNS=3 FULL_RUNS=1 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
RUNS=${RUNS:-3}
FULL_RUNS=${FULL_RUNS:-1}
OUT=${BENCH_OUT:-bench/out/fhir}
mkdir -p "$OUT"
bash bench/text_build.sh
# private copies: a rebuild during the run must not change what is measured
mkdir -p "$OUT/bin"
cp build/bench/text_bench build/medlabel "$OUT/bin/"
B=$OUT/bin/text_bench
M=$OUT/bin/medlabel
F="$OUT/DocumentReference.fhir.ndjson"
[ -s "$F" ] && [ "$(head -c 40 "$F" | wc -c)" -gt 0 ] || $B gen-ndjson "$N" "$F"
echo "file: $(du -m "$F" | cut -f1) MB, $(wc -l <"$F") lines"
for i in $(seq "$RUNS"); do
	s=$(date +%s.%N); cat "$F" >/dev/null; e=$(date +%s.%N)
	awk -v mb="$(du -m "$F" | cut -f1)" -v s="$s" -v e="$e" 'BEGIN { printf "{\"cat_mb_s\":%.1f}\n", mb / (e - s) }'
done | tee "$OUT/cat.jsonl"
for i in $(seq "$RUNS"); do $B fhir "$F"; done | tee "$OUT/parse.jsonl"
: >"$OUT/full.jsonl"
for i in $(seq "$FULL_RUNS"); do
	D="$OUT/data-$i"
	rm -rf "$D"
	"$M" init "$D" >/dev/null
	"$M" --data "$D" project create bench >/dev/null
	/usr/bin/time -v -o "$OUT/time-$i.txt" "$M" --data "$D" import bench "$F" --format fhir \
		>"$OUT/import-$i.out" 2>"$OUT/import-$i.err"
	/usr/bin/python3 - "$OUT/time-$i.txt" "$N" >>"$OUT/full.jsonl" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
el = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", t).group(1).split(":")
secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(el)))
user = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1))
sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
n = int(sys.argv[2])
print(json.dumps({"items": n, "seconds": secs, "items_per_s": round(n / secs), "cpu_seconds": user + sys_,
                  "items_per_cpu_s": round(n / (user + sys_)), "peak_rss_kb": rss}))
PY
	tail -1 "$OUT/full.jsonl"
	rm -rf "$D"
done
/usr/bin/python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def med(f, k):
    return statistics.median(json.loads(l)[k] for l in open(f"{out}/{f}") if l.strip())
print(f"cat floor:              {med('cat.jsonl', 'cat_mb_s'):.0f} MB/s")
print(f"importer alone:         {med('parse.jsonl', 'items_per_cpu_s'):.0f} items/s per core "
      f"({med('parse.jsonl', 'items_per_s'):.0f} wall), peak RSS {med('parse.jsonl', 'peak_rss_kb') / 1024:.0f} MiB")
print(f"medlabel import (SQLite): {med('full.jsonl', 'items_per_s'):.0f} items/s wall, "
      f"{med('full.jsonl', 'items_per_cpu_s'):.0f} items/CPU-s, peak RSS {med('full.jsonl', 'peak_rss_kb') / 1024:.0f} MiB")
PY
