"""`medlabel agree` against independent implementations: NLTK's AnnotationTask (alpha, kappa, multi_kappa,
pi, S, avg_Ao), scikit-learn's cohen_kappa_score (unweighted, linear, quadratic), and a direct transcription
of Gwet's AC1 formulas. Tables are generated here (several seeds, with and without missing data); every
coefficient must agree to 1e-9. Also: CSV quoting and the error messages for bad tables.
"""
import csv
import io
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import test, main, run, tmpdir, eq  # noqa: E402

from nltk.metrics.agreement import AnnotationTask  # noqa: E402
from nltk.metrics.distance import binary_distance, interval_distance  # noqa: E402
from sklearn.metrics import cohen_kappa_score  # noqa: E402

TOL = 1e-9
WORK = tmpdir()


def make_table(seed, units, coders, values, missing, skill=0.6):
    """Units x coders; each coder copies a unit's true value with probability `skill`, else draws at random;
    each cell is missing with probability `missing` (units keep at least one value)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(units):
        truth = rng.choice(values)
        row = [truth if rng.random() < skill else rng.choice(values) for _ in range(coders)]
        row = [v if rng.random() >= missing else None for v in row]
        rows.append(row)
    return rows


def write_csv(rows, coders, name):
    path = os.path.join(WORK, name)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"ann{c}" for c in range(coders)])
        for r in rows:
            w.writerow(["" if v is None else v for v in r])
    return path


def agree(path, metric, *extra):
    p = run("agree", path, "--metric", metric, "--json", "--bootstrap", "0", *extra)
    return json.loads(p.stdout)


def nltk_task(rows, distance=binary_distance):
    data = [(f"c{c}", f"u{u}", v) for u, r in enumerate(rows) for c, v in enumerate(r) if v is not None]
    return AnnotationTask(data=data, distance=distance)


def pairable(rows):
    return [r for r in rows if sum(v is not None for v in r) >= 2]


def close(a, b, what):
    if abs(a - b) > TOL:
        raise AssertionError(f"{what}: medlabel {a!r} != oracle {b!r}")


def ordinal_distance(rows):
    """Krippendorff's ordinal difference from the pairable values' marginals, for NLTK's alpha()."""
    counts = {}
    for r in pairable(rows):
        for v in r:
            if v is not None:
                counts[v] = counts.get(v, 0) + 1
    order = sorted(counts)

    def d(a, b):
        lo, hi = min(a, b), max(a, b)
        s = sum(counts[g] for g in order if lo <= g <= hi) - (counts[lo] + counts[hi]) / 2
        return s * s
    return d


def ratio_distance(a, b):
    return 0.0 if a + b == 0 else ((a - b) / (a + b)) ** 2


SEEDS = [1, 2, 3, 4, 5]


@test
def alpha_matches_nltk_with_missing_data():
    for seed in SEEDS:
        for missing in (0.0, 0.3):
            rows = make_table(seed, 70, 4, [1, 2, 3, 4, 5], missing)
            path = write_csv(rows, 4, f"alpha-{seed}-{missing}.csv")
            units = len(pairable(rows))
            n = sum(sum(v is not None for v in r) for r in pairable(rows))
            for metric, dist in (("alpha-nominal", binary_distance), ("alpha-interval", interval_distance),
                                 ("alpha-ratio", ratio_distance), ("alpha-ordinal", ordinal_distance(rows))):
                got = agree(path, metric)
                close(got["value"], nltk_task(pairable(rows), dist).alpha(), f"{metric} seed {seed} missing {missing}")
                eq(got["units"], units, metric)
                eq(got["pairable_values"], n, metric)
                eq(got["metric"], metric)


@test
def alpha_on_fractional_and_large_ratings_matches_nltk():
    for seed in SEEDS[:3]:
        vals = [0.5, 1.25, 2.0, 7.5, 1000.0, 1000.5]
        rows = make_table(seed, 50, 5, vals, 0.25, skill=0.5)
        path = write_csv(rows, 5, f"frac-{seed}.csv")
        close(agree(path, "alpha-interval")["value"], nltk_task(pairable(rows), interval_distance).alpha(), "interval")
        close(agree(path, "alpha-ratio")["value"], nltk_task(pairable(rows), ratio_distance).alpha(), "ratio")


@test
def pairwise_coefficients_match_nltk_on_complete_data():
    # NLTK's kappa, multi_kappa, pi, S and avg_Ao assume every coder rated every item.
    for seed in SEEDS:
        for coders in (2, 3, 5):
            rows = make_table(seed * 10 + coders, 60, coders, ["a", "b", "c", "d"], 0.0)
            path = write_csv(rows, coders, f"pw-{seed}-{coders}.csv")
            task = nltk_task(rows)
            close(agree(path, "kappa-mean")["value"], task.kappa(), "kappa-mean")
            close(agree(path, "multi-kappa")["value"], task.multi_kappa(), "multi-kappa")
            close(agree(path, "fleiss")["value"], task.pi(), "fleiss = NLTK pi (multi-pi)")
            close(agree(path, "s")["value"], task.S(), "S")
            close(agree(path, "percent")["value"], task.avg_Ao(), "percent = NLTK avg_Ao")
            if coders == 2:
                close(agree(path, "cohen")["value"], task.kappa(), "cohen vs NLTK kappa")


@test
def cohen_matches_sklearn_all_weights():
    for seed in SEEDS:
        for missing in (0.0, 0.2):
            for values in ([1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], ["x", "y", "z"]):
                rows = make_table(seed, 80, 2, values, missing, skill=0.5)
                path = write_csv(rows, 2, f"cohen-{seed}-{missing}-{len(values)}.csv")
                both = [r for r in rows if r[0] is not None and r[1] is not None]
                a, b = [r[0] for r in both], [r[1] for r in both]
                present = sorted({v for r in rows for v in r if v is not None})
                # sklearn weights by label index; with labels = the full integer range (or the sorted
                # categories), index differences are medlabel's score differences.
                labels = list(range(present[0], present[-1] + 1)) if isinstance(present[0], int) else present
                for metric, w in (("cohen", None), ("cohen-linear", "linear"), ("cohen-quadratic", "quadratic")):
                    got = agree(path, metric)
                    close(got["value"], cohen_kappa_score(a, b, weights=w, labels=labels), f"{metric} seed {seed}")
                    eq(got["units"], len(both))
                    eq(got["pairable_values"], 2 * len(both))


def gwet_ac1(rows):
    """Gwet (2008) / irrCAC gwet.ac1.raw, transcribed: units with no rating are dropped."""
    rated = [[v for v in r if v is not None] for r in rows]
    rated = [r for r in rated if r]
    cats = sorted({v for r in rated for v in r}, key=str)
    q = len(cats)
    n = len(rated)
    pi = {k: sum(r.count(k) / len(r) for r in rated) / n for k in cats}
    multi = [r for r in rated if len(r) >= 2]
    pa = sum(sum(r.count(k) * (r.count(k) - 1) for k in cats) / (len(r) * (len(r) - 1)) for r in multi) / len(multi)
    pe = sum(p * (1 - p) for p in pi.values()) / (q - 1)
    return (pa - pe) / (1 - pe)


@test
def ac1_matches_gwet_formula():
    for seed in SEEDS:
        for missing in (0.0, 0.35):
            rows = make_table(seed, 90, 4, ["n", "p", "u"], missing, skill=0.7)
            path = write_csv(rows, 4, f"ac1-{seed}-{missing}.csv")
            close(agree(path, "ac1")["value"], gwet_ac1(rows), f"ac1 seed {seed}")


@test
def ac1_two_raters_textbook_form():
    # Two raters, complete data: AC1 = (pa - pe)/(1 - pe), pe = sum pi_k (1 - pi_k)/(q-1),
    # pi_k = (pA_k + pB_k)/2 (Gwet 2008, eq. 8); computed here from the 2x2 table directly.
    rows = [["y", "y"]] * 40 + [["y", "n"]] * 7 + [["n", "y"]] * 3 + [["n", "n"]] * 10
    path = write_csv(rows, 2, "ac1-2x2.csv")
    pa = 50 / 60
    p_y = ((47 / 60) + (43 / 60)) / 2
    pe = 2 * p_y * (1 - p_y)
    close(agree(path, "ac1")["value"], (pa - pe) / (1 - pe), "ac1 2x2")


@test
def krippendorff_reliability_data_example():
    # Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011): 4 observers x 12 units, missing data.
    obs = ["1 2 3 3 2 1 4 1 2 . . .", "1 2 3 3 2 2 4 1 2 5 . 3", ". 3 3 3 2 3 4 2 2 5 1 .", "1 2 3 3 2 4 4 1 2 5 1 ."]
    cols = [o.split() for o in obs]
    rows = [[None if cols[c][u] == "." else int(cols[c][u]) for c in range(4)] for u in range(12)]
    path = write_csv(rows, 4, "kripp.csv")
    for metric, want in (("alpha-nominal", 0.743), ("alpha-ordinal", 0.815), ("alpha-interval", 0.849),
                         ("alpha-ratio", 0.797)):
        got = agree(path, metric)
        if abs(got["value"] - want) > 0.0005:
            raise AssertionError(f"{metric}: {got['value']} != published {want}")
        eq(got["pairable_values"], 40)
        eq(got["units"], 11)


@test
def bootstrap_is_deterministic_and_covers_the_truth():
    rows = make_table(99, 3000, 3, [1, 2, 3, 4, 5], 0.2)
    path = write_csv(rows, 3, "boot.csv")
    a = json.loads(run("agree", path, "--metric", "alpha-interval", "--json", "--bootstrap", "200", "--seed", "7").stdout)
    b = json.loads(run("agree", path, "--metric", "alpha-interval", "--json", "--bootstrap", "200", "--seed", "7").stdout)
    c = json.loads(run("agree", path, "--metric", "alpha-interval", "--json", "--bootstrap", "200", "--seed", "8").stdout)
    eq(a, b, "same seed, same interval")
    if a["ci95"] == c["ci95"]:
        raise AssertionError("different seeds gave the same interval")
    lo, hi = a["ci95"]
    if not (lo < a["value"] < hi) or hi - lo > 0.1:
        raise AssertionError(f"interval {lo}..{hi} around {a['value']}")
    # The population value of this generating process, from a table 40 times larger, lies inside.
    big = make_table(100, 120000, 3, [1, 2, 3, 4, 5], 0.2)
    truth = agree(write_csv(big, 3, "boot-big.csv"), "alpha-interval")["value"]
    if not (lo < truth < hi):
        raise AssertionError(f"population alpha {truth} outside {lo}..{hi}")


@test
def json_shape_and_text_output():
    rows = make_table(3, 30, 3, [1, 2, 3], 0.1)
    path = write_csv(rows, 3, "shape.csv")
    out = run("agree", path, "--metric", "fleiss", "--json", "--bootstrap", "50").stdout
    obj = json.loads(out)
    eq(list(obj.keys()), ["metric", "value", "units", "pairable_values", "ci95"])
    eq(len(obj["ci95"]), 2)
    text = run("agree", path, "--metric", "alpha-ordinal").stdout
    for want in ("alpha-ordinal: ", "95% CI: ", "units: ", "pairable values: "):
        if want not in text:
            raise AssertionError(f"{want!r} missing from {text!r}")


@test
def breakdown_by_pair_coder_and_label():
    rows = make_table(5, 60, 3, ["a", "b", "c"], 0.1)
    path = write_csv(rows, 3, "by.csv")
    obj = json.loads(run("agree", path, "--metric", "cohen", "--json", "--bootstrap", "0", "--by", "pair").stdout)
    eq(len(obj["breakdown"]), 3)
    eq(obj["ci95"], None)
    # Each pair's value is sklearn's kappa on the units both rated.
    for item, (i, j) in zip(obj["breakdown"], [(0, 1), (0, 2), (1, 2)]):
        both = [r for r in rows if r[i] is not None and r[j] is not None]
        close(item["value"], cohen_kappa_score([r[i] for r in both], [r[j] for r in both]), item["what"])
    close(obj["value"], sum(x["value"] for x in obj["breakdown"]) / 3, "overall = mean over pairs")
    obj = json.loads(run("agree", path, "--metric", "alpha-nominal", "--json", "--bootstrap", "0", "--by", "label").stdout)
    eq(len(obj["breakdown"]), 3)
    for item, lab in zip(obj["breakdown"], ["a", "b", "c"]):
        binrows = [[None if v is None else int(v == lab) for v in r] for r in rows]
        close(item["value"], nltk_task(pairable(binrows)).alpha(), f"label {lab}")
    obj = json.loads(run("agree", path, "--metric", "cohen", "--json", "--bootstrap", "0", "--by", "coder").stdout)
    eq(len(obj["breakdown"]), 3)


@test
def rfc4180_quoting():
    text = '"ann ""1""",ann2\r\n"a,b","a,b"\r\n"x""y",z\r\n"multi\nline","multi\nline"\r\n  ,q\r\n'
    path = os.path.join(WORK, "quoted.csv")
    with open(path, "w", newline="") as f:
        f.write(text)
    got = agree(path, "percent")
    eq(got["units"], 3)  # the fourth unit has a single value
    close(got["value"], 2 / 3, "percent on quoted table")
    bad = os.path.join(WORK, "bad-after-multiline.csv")
    with open(bad, "w", newline="") as f:
        f.write('a,b\n"multi\nline",x\n1,2,3\n')
    p = run("agree", bad, "--metric", "percent", check=False)
    eq(p.returncode, 1)
    if "line 4" not in p.stderr or "expected 2 fields" not in p.stderr:
        raise AssertionError(p.stderr)


def expect_error(content, metric, want, code=1, name="bad.csv"):
    path = os.path.join(WORK, name)
    with open(path, "w", newline="") as f:
        f.write(content)
    p = run("agree", path, "--metric", metric, check=False)
    eq(p.returncode, code, p.stderr)
    if want not in p.stderr:
        raise AssertionError(f"{want!r} not in {p.stderr!r}")
    if "Traceback" in p.stderr or "Sanitizer" in p.stderr:
        raise AssertionError(p.stderr)


@test
def bad_tables_give_clear_errors():
    expect_error("", "percent", "is empty")
    expect_error("a,b,c\n", "percent", "line 1: header only")
    expect_error("a,b\n1,2\n3\n", "percent", "line 3: expected 2 fields")
    expect_error("a,b\n1,2\n3,4,5\n", "percent", "line 3: expected 2 fields")
    expect_error('a,b\n1,"2\n3,4\n', "percent", "line 2: unterminated quoted field")
    expect_error('a,b\n1,"2"x\n', "percent", "line 2: text after a closing quote")
    expect_error('a,b\n1,2"\n', "percent", "line 2: quote inside an unquoted field")
    expect_error("a,b\n1,2\n\n3,4\n", "percent", "line 3: blank line")
    expect_error("a,b\n1,2\x00\n", "percent", "NUL byte")
    expect_error("a,b,c\n1,2,3\n", "cohen", "exactly two annotators")
    expect_error("a,b\n1,2\nlow,3\n", "alpha-interval", "line 3 column 1 is not a number")
    expect_error("a,b\n-1,2\n3,4\n", "alpha-ratio", ">= 0")
    expect_error("a,b\n1,\n,2\n", "alpha-nominal", "no unit has two or more values")
    expect_error("a,b\n1,2\n", "nonsense", "unknown metric", code=2)
    p = run("agree", os.path.join(WORK, "nope.csv"), "--metric", "percent", check=False)
    eq(p.returncode, 1)
    p = run("agree", "--metric", "percent", check=False)
    eq(p.returncode, 2)


@test
def trailing_newlines_and_stdin():
    rows = make_table(8, 20, 3, [1, 2], 0.0)
    path = write_csv(rows, 3, "stdin.csv")
    with open(path) as f:
        content = f.read()
    a = json.loads(run("agree", "-", "--metric", "fleiss", "--json", "--bootstrap", "0", input=content + "\n\n").stdout)
    close(a["value"], nltk_task(rows).pi(), "stdin")


if __name__ == "__main__":
    main()
