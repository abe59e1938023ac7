"""The project quality report (`medlabel quality report`, GET /api/v1/projects/{id}/quality) on annotations
made through the real API by three annotators, checked against NLTK and scikit-learn on the same labels;
stored consensus (`medlabel quality consensus`) and routing of low-agreement tasks to adjudication."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import test, main, eq  # noqa: E402
from apilib import Env, body  # noqa: E402

from nltk.metrics.agreement import AnnotationTask  # noqa: E402
from sklearn.metrics import cohen_kappa_score  # noqa: E402

LABELS = ["yes", "no", "maybe"]
TOL = 1e-9


def answer(tid, k):
    """Annotator k's deterministic answer on task tid: the task's truth, or a wrong label now and then."""
    truth = LABELS[tid % 3]
    if (tid * 7 + k * 3) % 5 == 0:
        return LABELS[(tid + 1 + k) % 3]
    return truth


def annotate_all(env, pid, clients):
    given = {}  # (tid, k) -> label
    for k, c in enumerate(clients):
        while True:
            r = c.get(f"/api/v1/projects/{pid}/next")
            if r.status != 200 or not r.json().get("task"):
                break
            tid = r.json()["task"]["id"]
            lab = answer(tid, k)
            p = c.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body(lab)})
            assert p.status == 201, p.body
            given[(tid, k)] = lab
    return given


def close(a, b, what):
    if abs(a - b) > TOL:
        raise AssertionError(f"{what}: report {a!r} != oracle {b!r}")


@test
def report_matches_oracles_and_consensus_is_stored():
    with Env() as env:
        pid = env.project("quality", items=24, overlap=3)
        clients, names = [], []
        for k in range(3):
            uid, c = env.user(f"ann{k}")
            env.member(pid, uid, "annotator")
            clients.append(c)
            names.append(f"ann{k}")
        vid, viewer = env.user("viewer")
        env.member(pid, vid, "viewer")
        given = annotate_all(env, pid, clients)
        tids = sorted({t for t, _ in given})
        eq(len(tids), 24)
        eq(len(given), 72)

        r = viewer.get(f"/api/v1/projects/{pid}/quality?bootstrap=0")
        eq(r.status, 200, r.body)
        rep = r.json()
        eq(rep["tasks"]["with_two_or_more_annotators"], 24)
        ctl = rep["controls"][0]
        eq(ctl["control"], "label")
        eq(ctl["kind"], "choice")
        data = [(f"c{k}", str(t), lab) for (t, k), lab in given.items()]
        task = AnnotationTask(data=data)
        close(ctl["overall"]["alpha-nominal"]["value"], task.alpha(), "alpha-nominal vs NLTK")
        close(ctl["overall"]["fleiss"]["value"], task.pi(), "fleiss vs NLTK pi")
        close(ctl["overall"]["percent"]["value"], task.avg_Ao(), "percent vs NLTK avg_Ao")
        eq(ctl["overall"]["alpha-nominal"]["units"], 24)
        eq(ctl["overall"]["alpha-nominal"]["pairable_values"], 72)
        eq(len(ctl["per_pair"]), 3)
        for p in ctl["per_pair"]:
            a, b = int(p["a"][3:]), int(p["b"][3:])
            ya = [given[(t, a)] for t in tids]
            yb = [given[(t, b)] for t in tids]
            close(p["value"], cohen_kappa_score(ya, yb), f"kappa {p['a']}/{p['b']}")
            labels = ctl["labels"]
            want = [[sum(1 for x, y in zip(ya, yb) if x == li and y == lj) for lj in labels] for li in labels]
            eq(p["confusion"], want, "confusion matrix")
        eq(len(ctl["per_label"]), 3)
        eq(len(ctl["per_annotator"]), 3)
        eq(sum(d["units"] for d in ctl["over_time"]), 24)

        # The CLI prints the same report.
        cli = json.loads(env.cli("quality", "report", str(pid), "--json", "--bootstrap", "0").stdout)
        rep.pop("generated_at")
        cli.pop("generated_at")
        eq(cli, rep, "CLI and API reports")
        text = env.cli("quality", "report", str(pid)).stdout
        for want in ("alpha-nominal", "per annotator pair", "ann0 / ann1"):
            if want not in text:
                raise AssertionError(f"{want!r} not in {text!r}")

        # Annotators do not see the report.
        eq(clients[0].get(f"/api/v1/projects/{pid}/quality").status, 403)

        # Consensus: one stored annotation per task, the majority label, kind "consensus"; idempotent.
        out = json.loads(env.cli("quality", "consensus", str(pid), "--json").stdout)
        eq(out["tasks_compared"], 24)
        eq(out["created"], 24)
        eq(out["to_adjudication"], 0)
        again = json.loads(env.cli("quality", "consensus", str(pid), "--json").stdout)
        eq(again["created"], 0)
        eq(again["unchanged"], 24)
        admin = env.srv.client(token=env.admin_token)
        for t in tids[:6]:
            anns = admin.get(f"/api/v1/projects/{pid}/tasks/{t}/annotations").json()["annotations"]
            cons = [a for a in anns if a.get("kind") == "consensus"]
            eq(len(cons), 1, json.dumps(anns))
            votes = [given[(t, k)] for k in range(3)]
            major = max(set(votes), key=votes.count)
            eq(cons[0]["body"]["results"][0]["choices"], [major])

        # With an agreement threshold, tasks where the annotators disagree go to adjudication.
        eq(admin.patch(f"/api/v1/projects/{pid}", {"settings": {"agreement_threshold": 0.9}}).status, 200)
        out = json.loads(env.cli("quality", "consensus", str(pid), "--json").stdout)
        split = [t for t in tids if len({given[(t, k)] for k in range(3)}) > 1]
        eq(out["to_adjudication"], len(split))
        if not split:
            raise AssertionError("the generated answers never disagree")
        st = admin.get(f"/api/v1/projects/{pid}/tasks/{split[0]}").json()
        eq(st.get("state") or st.get("task", {}).get("state"), "adjudication")

        # The adjudicator sees every version side by side with a suggestion, and decides.
        adj = admin.get(f"/api/v1/projects/{pid}/tasks/{split[0]}/adjudication")
        eq(adj.status, 200, adj.body)
        a = adj.json()
        eq(sum(1 for x in a["annotations"] if x["kind"] == "human"), 3)
        if not all("versions" in x for x in a["annotations"]):
            raise AssertionError(a)
        if not (0 <= a["agreement"] < 0.9):
            raise AssertionError(a["agreement"])
        eq(clients[0].get(f"/api/v1/projects/{pid}/tasks/{split[0]}/adjudication").status, 403)
        bad = admin.post(f"/api/v1/projects/{pid}/tasks/{split[0]}/adjudication", {"body": body("nonsense")})
        eq(bad.status, 400, bad.body)
        dec = admin.post(f"/api/v1/projects/{pid}/tasks/{split[0]}/adjudication", {"body": body("maybe")})
        eq(dec.status, 201, dec.body)
        eq(dec.json()["kind"], "adjudicated")
        st = admin.get(f"/api/v1/projects/{pid}/tasks/{split[0]}").json()
        eq(st.get("state") or st.get("task", {}).get("state"), "done")
        # The decision is not an annotator's label: the report is unchanged.
        again = admin.get(f"/api/v1/projects/{pid}/quality?bootstrap=0").json()
        eq(again["controls"][0]["overall"], rep["controls"][0]["overall"])


@test
def report_errors():
    with Env() as env:
        p = env.cli("quality", "report", "nope", check=False)
        eq(p.returncode, 1)
        p = env.cli("quality", "report", check=False)
        eq(p.returncode, 2)
        pid = env.project("empty", items=2)
        out = json.loads(env.cli("quality", "report", str(pid), "--json").stdout)
        eq(out["controls"], [])
        eq(out["tasks"]["total"], 2)


if __name__ == "__main__":
    main()
