"""`medlabel consensus` against independent numpy implementations on generated tables: majority vote (with
ties) and Dawid-Skene EM written here from the 1979 paper with the same initialisation (soft majority
vote), smoothing (0.01 pseudo-counts) and stopping rule (relative log-likelihood change <= 1e-7)."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from lib import test, main, run, tmpdir, eq  # noqa: E402

WORK = tmpdir()


def make(seed, items, annotators, K, missing):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, K, items)
    acc = rng.uniform(0.35, 0.95, annotators)
    lab = np.where(rng.random((items, annotators)) < acc, truth[:, None], rng.integers(0, K, (items, annotators)))
    miss = rng.random((items, annotators)) < missing
    miss[:, 0] &= ~miss.all(axis=1)  # every item keeps at least one label
    return np.where(miss, -1, lab)


def write(table, name):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(",".join(f"a{j}" for j in range(table.shape[1])) + "\n")
        for row in table:
            f.write(",".join("" if v < 0 else f"c{v}" for v in row) + "\n")
    return path


def dawid_skene(table, K, smoothing=0.01, tol=1e-7, max_iter=100):
    I, J = table.shape
    onehot = np.zeros((I, J, K))
    for k in range(K):
        onehot[:, :, k] = table == k
    counts = onehot.sum(axis=1)
    T = counts / counts.sum(axis=1, keepdims=True)
    prev = -np.inf
    for it in range(1, max_iter + 1):
        prior = (T.sum(axis=0) + smoothing) / (I + smoothing * K)
        conf = np.einsum("ik,ijl->jkl", T, onehot) + smoothing
        conf /= conf.sum(axis=2, keepdims=True)
        logp = np.log(prior)[None, :] + np.einsum("ijl,jkl->ik", onehot, np.log(conf))
        mx = logp.max(axis=1, keepdims=True)
        s = np.exp(logp - mx).sum(axis=1, keepdims=True)
        T = np.exp(logp - mx) / s
        ll = float((mx + np.log(s)).sum())
        if abs(ll - prev) <= tol * abs(ll):
            return T, conf, prior, it, True
        prev = ll
    return T, conf, prior, max_iter, False


@test
def dawid_skene_matches_numpy():
    for seed, (items, annotators, K, missing) in enumerate([(400, 5, 3, 0.0), (600, 7, 4, 0.3), (300, 3, 2, 0.2)]):
        table = make(seed + 1, items, annotators, K, missing)
        path = write(table, f"ds{seed}.csv")
        out = json.loads(run("consensus", path, "--method", "dawid-skene", "--json").stdout)
        values = out["values"]
        present = sorted({int(v[1:]) for v in values})
        eq(present, list(range(K)), "every class appears, so codes are classes")
        T, conf, prior, iters, conv = dawid_skene(table, K)
        eq(out["iterations"], iters)
        eq(out["converged"], conv)
        np.testing.assert_allclose(out["prior"], prior, rtol=0, atol=1e-9)
        for j, ann in enumerate(out["annotators"]):
            np.testing.assert_allclose(np.array(ann["confusion"]), conf[j], rtol=0, atol=1e-9)
        got_conf = np.array([it["confidence"] for it in out["items"]])
        np.testing.assert_allclose(got_conf, T.max(axis=1), rtol=0, atol=1e-9)
        eq([int(it["label"][1:]) for it in out["items"]], [int(x) for x in T.argmax(axis=1)])


@test
def majority_vote_matches_numpy_with_ties():
    table = make(9, 500, 4, 3, 0.25)
    path = write(table, "mv.csv")
    out = json.loads(run("consensus", path, "--json").stdout)
    ties = 0
    for row, it in zip(table, out["items"]):
        votes = np.bincount(row[row >= 0], minlength=3)
        best = votes.max()
        winners = np.flatnonzero(votes == best)
        eq(int(it["label"][1:]), int(winners[0]))
        eq(it["tie"], len(winners) > 1)
        ties += len(winners) > 1
        if abs(it["confidence"] - best / votes.sum()) > 1e-12:
            raise AssertionError((row, it))
    eq(out["ties"], ties)
    if ties == 0:
        raise AssertionError("the generated table has no tie to check")
    # Weighted: annotator 0 outweighs the other three together.
    w = json.loads(run("consensus", path, "--method", "weighted", "--weights", "3.5,1,1,1", "--json").stdout)
    for row, it in zip(table, w["items"]):
        if row[0] >= 0:
            eq(int(it["label"][1:]), int(row[0]))
    p = run("consensus", path, "--method", "weighted", "--weights", "1,2", check=False)
    eq(p.returncode, 2)


if __name__ == "__main__":
    main()
