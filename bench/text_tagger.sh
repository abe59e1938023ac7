#!/usr/bin/env bash
# Benchmark of the dictionary tagger (src/text/tagger.c): tag 100 MB of generated clinical-style notes
# against a generated 20,000-term dictionary (each term with a synonym: 40,000 entries), one core.
# Floors from the same run: `cat` of the notes file (reading only) and the tokenizer alone (what any
# matcher built on it must pay). Also ontology search latency over 5,000 generated queries (prefixes,
# whole terms, transpositions, reordered tokens) on the same 20,000-concept dictionary.
#
#   bash bench/text_tagger.sh          (RUNS=3 MB=100 by default)
# Prints one JSON line per run and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
MB=${MB:-100}
OUT=${BENCH_OUT:-bench/out/text}
mkdir -p "$OUT"
bash bench/text_build.sh
# private copies: a rebuild during the run must not change what is measured
mkdir -p "$OUT/bin"
cp build/bench/text_bench build/medlabel "$OUT/bin/"
B=$OUT/bin/text_bench
M=$OUT/bin/medlabel
$B gen-notes "$MB" "$OUT/notes.txt"
for i in $(seq "$RUNS"); do
	s=$(date +%s.%N); cat "$OUT/notes.txt" >/dev/null; e=$(date +%s.%N)
	awk -v mb="$MB" -v s="$s" -v e="$e" 'BEGIN { printf "{\"cat_mb_s\":%.1f}\n", mb / (e - s) }'
done | tee "$OUT/cat.jsonl"
for i in $(seq "$RUNS"); do $B tagger "$MB" 20000; done | tee "$OUT/tagger.jsonl"
for i in $(seq "$RUNS"); do $B search 20000 5000; done | tee "$OUT/search.jsonl"
/usr/bin/python3 - "$OUT" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def med(f, k):
    return statistics.median(json.loads(l)[k] for l in open(f"{out}/{f}") if l.strip())
print(f"cat floor:            {med('cat.jsonl', 'cat_mb_s'):.0f} MB/s")
print(f"tokenizer only:       {med('tagger.jsonl', 'tokenize_mb_s'):.1f} MB/s (one core)")
print(f"tagger:               {med('tagger.jsonl', 'tag_mb_s'):.1f} MB/s (one core), "
      f"{med('tagger.jsonl', 'notes_per_s'):.0f} notes/s, build {med('tagger.jsonl', 'build_s'):.2f} s, "
      f"peak RSS {med('tagger.jsonl', 'peak_rss_kb') / 1024:.0f} MiB")
print(f"search wall p50/p99/max: {med('search.jsonl', 'p50_ms'):.3f} / {med('search.jsonl', 'p99_ms'):.3f} / "
      f"{med('search.jsonl', 'max_ms'):.3f} ms, first query {med('search.jsonl', 'first_query_ms'):.3f} ms")
print(f"search CPU p50/p99/max:  {med('search.jsonl', 'cpu_p50_ms'):.3f} / {med('search.jsonl', 'cpu_p99_ms'):.3f} / "
      f"{med('search.jsonl', 'cpu_max_ms'):.3f} ms")
print(f"ontology load (TSV + index, 20k concepts): {med('search.jsonl', 'load_cpu_ms'):.1f} ms CPU")
PY
