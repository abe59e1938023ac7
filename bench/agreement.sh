#!/usr/bin/env bash
# Benchmark of src/quality: Krippendorff's alpha (interval) on 1,000,000 units x 5 annotators with 20%
# missing integer ratings 1-5, medlabel against NLTK's AnnotationTask(data, distance=interval_distance)
# .alpha() on the same data in the same run; and Dawid-Skene on 1,000,000 labels. Prints medians.
#
#   bash bench/agreement.sh            (RUNS=5 NLTK_RUNS=3 by default)
# The timed medlabel commands include reading and parsing the CSV file; --bootstrap 0 leaves out the
# confidence interval (timed separately below, it is 1 pass over the table per replicate).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${MEDLABEL_BIN:-build/medlabel}
PY=/usr/bin/python3
RUNS=${RUNS:-5}
NLTK_RUNS=${NLTK_RUNS:-3}
OUT=${BENCH_OUT:-bench/out/agreement}
mkdir -p "$OUT"
[ -x "$BIN" ] || make -j2 all >/dev/null

export OUT RUNS NLTK_RUNS BIN
"$PY" - <<'PYEOF'
import json, os, statistics, subprocess, time
import numpy as np

OUT, BIN = os.environ["OUT"], os.environ["BIN"]
RUNS, NLTK_RUNS = int(os.environ["RUNS"]), int(os.environ["NLTK_RUNS"])
UNITS, CODERS = 1_000_000, 5

def table(units, seed):
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, units)
    # annotators near the truth (+-1 with some probability) so alpha is far from 0
    noise = rng.choice([-1, 0, 0, 0, 1], size=(units, CODERS))
    vals = np.clip(truth[:, None] + noise, 1, 5)
    missing = rng.random((units, CODERS)) < 0.2
    return vals, missing

def write_csv(path, vals, missing):
    with open(path, "w") as f:
        f.write(",".join(f"a{c}" for c in range(CODERS)) + "\n")
        rows = np.where(missing, "", vals.astype(str))
        f.write("\n".join(",".join(r) for r in rows.tolist()))
        f.write("\n")

def med(f, n):
    times, result = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result

def medlabel(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, check=True)
    return p.stdout

vals, missing = table(UNITS, 1)
csv_path = os.path.join(OUT, "alpha-1m.csv")
write_csv(csv_path, vals, missing)
print(f"data: {UNITS} units x {CODERS} annotators, {missing.mean():.3f} missing, ratings 1-5 ({os.path.getsize(csv_path)} bytes CSV)")

t_ml, ts, out = med(lambda: json.loads(medlabel("agree", csv_path, "--metric", "alpha-interval", "--json", "--bootstrap", "0")), RUNS)
print(f"medlabel agree alpha-interval: median {t_ml:.3f} s over {RUNS} runs {[round(x, 3) for x in ts]}; alpha = {out['value']:.12f}")

from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import interval_distance

def nltk_alpha(units):
    data = [(c, u, int(vals[u, c])) for u in range(units) for c in range(CODERS) if not missing[u, c]]
    t0 = time.perf_counter()
    a = AnnotationTask(data, distance=interval_distance).alpha()
    return a, time.perf_counter() - t0

# NLTK's time is AnnotationTask construction plus alpha() (the triples list is built outside the clock).
nltk_times, a_full = [], None
for _ in range(NLTK_RUNS):
    a_full, t = nltk_alpha(UNITS)
    nltk_times.append(t)
t_nltk = statistics.median(nltk_times)
print(f"NLTK AnnotationTask(interval_distance).alpha(): median {t_nltk:.2f} s over {NLTK_RUNS} runs {[round(x, 2) for x in nltk_times]}; alpha = {a_full:.12f}")
print(f"same value: |diff| = {abs(a_full - out['value']):.2e}")
print(f"ratio NLTK / medlabel: {t_nltk / t_ml:.0f}x (target >= 40x; medlabel target < 0.2 s)")

# The bootstrap interval costs one pass over the table per replicate.
t_b, _, outb = med(lambda: json.loads(medlabel("agree", csv_path, "--metric", "alpha-interval", "--json", "--bootstrap", "100")), 3)
print(f"medlabel agree alpha-interval --bootstrap 100: median {t_b:.2f} s; ci95 = {outb['ci95']}")

# Dawid-Skene on 1,000,000 labels: 200,000 items x 5 annotators, 4 classes, annotators of accuracy .9 .. .3
rng = np.random.default_rng(2)
items, K = 200_000, 4
truth = rng.integers(0, K, items)
acc = np.array([0.9, 0.8, 0.7, 0.6, 0.3])
lab = np.where(rng.random((items, CODERS)) < acc, truth[:, None], rng.integers(0, K, (items, CODERS)))
ds_path = os.path.join(OUT, "ds-1m.csv")
with open(ds_path, "w") as f:
    f.write(",".join(f"a{c}" for c in range(CODERS)) + "\n")
    f.write("\n".join(",".join(map(str, r)) for r in lab.tolist()) + "\n")
def ds():
    return json.loads(medlabel("consensus", ds_path, "--method", "dawid-skene", "--json"))
t_ds, ts, res = med(ds, RUNS)
right = sum(int(it["label"]) == t for it, t in zip(res["items"], truth.tolist()))
print(f"medlabel consensus dawid-skene, 1,000,000 labels: median {t_ds:.3f} s over {RUNS} runs {[round(x, 3) for x in ts]} "
      f"(includes CSV read and JSON output; {res['iterations']} iterations, converged {res['converged']}, accuracy {right / items:.4f}); target < 2 s")
PYEOF
