#!/usr/bin/env bash
# bench/web_ui.sh [RUNS]: the web UI measured in headless Chromium (the browser test records it, without
# asserting on time): submit -> next task shown, and frame time while panning a DICOM frame with 500 shapes.
# Prints each run's tests/artifacts/metrics.json and the medians. Targets (issue 9): next task < 100 ms,
# pan at 60 fps (a frame interval of 16.7 ms).
set -eu
cd "$(dirname "$0")/.."
runs=${1:-3}
out=$(mktemp)
for i in $(seq "$runs"); do
	node tests/browser/test_web.mjs >/dev/null
	cat tests/artifacts/metrics.json >>"$out"
	echo >>"$out"
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys
runs = [json.loads(b) for b in open(sys.argv[1]).read().split("\n}\n") if b.strip() and not b.strip() == "}" for b in [b + "\n}"] if b.strip().startswith("{")]
def med(f): return statistics.median(f(r) for r in runs)
print(f"runs: {len(runs)}")
print(f"submit -> next task shown: median {med(lambda r: r['submit_to_next_task_ms']):.1f} ms (target < 100 ms)")
print(f"pan with 500 shapes: draw {med(lambda r: r['pan_500_shapes']['draw_ms_median']):.2f} ms per frame, "
      f"frame interval {med(lambda r: r['pan_500_shapes']['frame_interval_ms_median']):.1f} ms (60 fps = 16.7 ms)")
PY
rm -f "$out"
