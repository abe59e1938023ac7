"""`medlabel agree spans` against scikit-learn's f1_score: token F1 is f1_score over per-code-point labels,
exact-match F1 is f1_score over the union of candidate spans; overlap F1 against a direct Python
transcription. Documents are generated here (several seeds). Also the errors for malformed input."""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import test, main, run, tmpdir, eq  # noqa: E402

from sklearn.metrics import f1_score  # noqa: E402

WORK = tmpdir()
TOL = 1e-9
LABELS = ["drug", "dose", "problem"]


def make_doc(seed, annotators=3, length=400):
    rng = random.Random(seed)
    truth = []
    pos = 0
    while pos < length - 20:
        pos += rng.randint(1, 25)
        end = pos + rng.randint(1, 12)
        if end >= length:
            break
        truth.append((pos, end, rng.choice(LABELS)))
        pos = end
    anns = []
    for a in range(annotators):
        spans = []
        for s, e, lab in truth:
            r = rng.random()
            if r < 0.15:
                continue  # missed
            if r < 0.35:  # boundary noise
                s2 = max(0, s + rng.randint(-2, 2))
                e2 = max(s2 + 1, e + rng.randint(-2, 2))
                spans.append((s2, e2, lab))
            elif r < 0.42:
                spans.append((s, e, rng.choice(LABELS)))  # wrong label
            else:
                spans.append((s, e, lab))
        if rng.random() < 0.8:  # a spurious span, kept only if it overlaps none of this annotator's own
            s = rng.randint(0, length - 10)
            e, lab = s + rng.randint(1, 8), rng.choice(LABELS)
            if not any(x[2] == lab and x[0] < e and s < x[1] for x in spans):
                spans.append((s, e, lab))
        # unitizing alpha wants an annotator's spans of one label disjoint: drop what boundary noise overlapped
        kept = []
        for x in spans:
            if not any(y[2] == x[2] and y[0] < x[1] and x[0] < y[1] for y in kept):
                kept.append(x)
        spans = kept
        anns.append({"name": f"ann{a}", "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans]})
    return {"begin": 0, "length": length, "annotators": anns}


def spans_of(doc, a):
    return [(x["start"], x["end"], x["label"]) for x in doc["annotators"][a]["spans"]]


def token_vec(spans, label, length):
    v = [0] * length
    for s, e, lab in spans:
        if lab == label:
            for p in range(s, e):
                v[p] = 1
    return v


def close(a, b, what):
    if abs(a - b) > TOL:
        raise AssertionError(f"{what}: medlabel {a!r} != oracle {b!r}")


def overlap_f1(A, B):
    def hit(x, ys):
        return any(x[2] == y[2] and x[0] < y[1] and y[0] < x[1] for y in ys)
    if not A and not B:
        return 1.0
    r = sum(hit(a, B) for a in A) / len(A) if A else 0.0
    p = sum(hit(b, A) for b in B) / len(B) if B else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


@test
def span_f1_matches_sklearn():
    for seed in range(1, 7):
        doc = make_doc(seed)
        path = os.path.join(WORK, f"doc{seed}.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        out = json.loads(run("agree", "spans", path, "--json").stdout)
        eq(len(out["pairs"]), 3)
        for p in out["pairs"]:
            ia, ib = int(p["a"][3:]), int(p["b"][3:])
            A, B = spans_of(doc, ia), spans_of(doc, ib)
            for lab in LABELS:
                if lab not in p["by_label"]:
                    continue
                got = p["by_label"][lab]
                ya, yb = token_vec(A, lab, doc["length"]), token_vec(B, lab, doc["length"])
                if sum(ya) + sum(yb):
                    close(got["token"]["f1"], f1_score(ya, yb, zero_division=0), f"token F1 {lab} seed {seed}")
                cand = sorted(set(x for x in A + B if x[2] == lab))
                if cand:
                    sa, sb = set(A), set(B)
                    close(got["exact"]["f1"], f1_score([c in sa for c in cand], [c in sb for c in cand], zero_division=0),
                          f"exact F1 {lab} seed {seed}")
                close(got["overlap"]["f1"], overlap_f1([x for x in A if x[2] == lab], [x for x in B if x[2] == lab]),
                      f"overlap F1 {lab} seed {seed}")
            # all labels together: a (position, label) pair is one token
            ya = sum((token_vec(A, lab, doc["length"]) for lab in LABELS), [])
            yb = sum((token_vec(B, lab, doc["length"]) for lab in LABELS), [])
            close(p["token"]["f1"], f1_score(ya, yb), f"token F1 all labels seed {seed}")
            close(p["overlap"]["f1"], overlap_f1(A, B), f"overlap F1 all seed {seed}")
        ua = out["unitizing_alpha"]["overall"]
        if not isinstance(ua, float) or ua > 1:
            raise AssertionError(f"unitizing alpha {ua}")


@test
def unitizing_alpha_published_example_via_cli():
    doc = {"begin": 150, "length": 300, "annotators": [
        {"name": "i", "spans": [{"start": 225, "end": 295, "label": "c"}, {"start": 370, "end": 400, "label": "c"},
                                {"start": 180, "end": 240, "label": "k"}, {"start": 300, "end": 350, "label": "k"}]},
        {"name": "j", "spans": [{"start": 220, "end": 300, "label": "c"}, {"start": 355, "end": 375, "label": "c"},
                                {"start": 400, "end": 420, "label": "c"}, {"start": 180, "end": 240, "label": "k"},
                                {"start": 300, "end": 350, "label": "k"}]}]}
    path = os.path.join(WORK, "k2004.json")
    with open(path, "w") as f:
        json.dump(doc, f)
    out = json.loads(run("agree", "spans", path, "--json").stdout)
    ua = out["unitizing_alpha"]
    if abs(ua["by_label"]["c"] - 0.7286) > 1e-4 or abs(ua["overall"] - 0.8591) > 5e-4:
        raise AssertionError(ua)
    text = run("agree", "spans", path).stdout
    if "unitizing alpha" not in text or "i / j" not in text:
        raise AssertionError(text)


@test
def malformed_span_files():
    cases = [
        ("{", "line 1"),
        ('{"annotators": [{"name": "a", "spans": []}]}', "2 to"),
        ('{"annotators": [{"name": "a", "spans": [{"start": 5, "end": 2, "label": "x"}]}, {"name": "b", "spans": []}]}',
         "/annotators/0/spans/0"),
        ('{"annotators": [{"name": "a", "spans": [{"start": -1, "end": 2, "label": "x"}]}, {"name": "b", "spans": []}]}',
         "/annotators/0/spans/0"),
        ('{"annotators": [{"name": "a", "spans": [{"start": 0, "end": 4, "label": "x"}, {"start": 2, "end": 6, "label": "x"}]},'
         ' {"name": "b", "spans": [{"start": 0, "end": 1, "label": "y"}]}]}', None),
    ]
    for i, (content, want) in enumerate(cases):
        path = os.path.join(WORK, f"bad{i}.json")
        with open(path, "w") as f:
            f.write(content)
        p = run("agree", "spans", path, "--json", check=False)
        if want is None:  # overlapping spans of one annotator: F1 still computed, alpha undefined with a reason
            eq(p.returncode, 0, p.stderr)
            out = json.loads(p.stdout)
            eq(out["unitizing_alpha"]["overall"], None)
            if "overlapping" not in out["unitizing_alpha"]["error"]:
                raise AssertionError(out["unitizing_alpha"])
            continue
        eq(p.returncode, 1, p.stderr)
        if want not in p.stderr:
            raise AssertionError(f"case {i}: {want!r} not in {p.stderr!r}")


if __name__ == "__main__":
    main()
