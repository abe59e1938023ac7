"""Gold tasks and qualification through the real API: trainees get only the gold set and are promoted when
their accuracy reaches the threshold; gold tasks are mixed into a qualified annotator's queue at the
project's rate and look like any other task to them; gold accuracy shows in the quality report."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import test, main, eq  # noqa: E402
from apilib import Env, body  # noqa: E402


def tasks_of(env, pid):
    admin = env.srv.client(token=env.admin_token)
    r = admin.get(f"/api/v1/projects/{pid}/tasks")
    assert r.status == 200, r.body
    j = r.json()
    return j["tasks"] if isinstance(j, dict) else j


def make_gold(env, pid, tid, label):
    path = os.path.join(env.dir, f"gold-{pid}-{tid}.json")
    with open(path, "w") as f:
        json.dump(body(label), f)
    env.cli("quality", "gold", str(pid), str(tid), "--labels", path)


@test
def trainees_get_the_gold_set_and_are_promoted():
    with Env() as env:
        pid = env.project("qual", items=8, overlap=1)
        admin = env.srv.client(token=env.admin_token)
        r = admin.patch(f"/api/v1/projects/{pid}", {"settings": {"qualification_threshold": 0.75,
                                                                  "qualification_min_answers": 3}})
        eq(r.status, 200, r.body)
        tids = sorted(t["id"] for t in tasks_of(env, pid))
        gold = {tids[1]: "yes", tids[3]: "no", tids[5]: "maybe", tids[6]: "yes"}
        for t, lab in gold.items():
            make_gold(env, pid, t, lab)
        aid, a = env.user("alice")
        bid, b = env.user("bob")
        env.member(pid, aid, "annotator")
        env.member(pid, bid, "annotator")

        # Alice, in training, is served only the gold tasks; the flag is not shown to her.
        served = []
        for i in range(4):
            r = a.get(f"/api/v1/projects/{pid}/next")
            eq(r.status, 200, r.body)
            t = r.json()["task"]
            if "gold" in t:
                raise AssertionError(f"gold flag shown to an annotator: {t}")
            served.append(t["id"])
            ans = "maybe" if i == 0 else gold[t["id"]]  # first answer wrong, then right
            eq(a.post(f"/api/v1/projects/{pid}/tasks/{t['id']}/annotations", {"body": body(ans)}).status, 201)
            if i == 2:  # 2 of 3 right: below 0.75, still training
                q = json.loads(env.cli("quality", "qualify", str(pid), "--json").stdout)
                st = {x["name"]: x for x in q["annotators"]}
                eq(st["alice"]["state"], "training")
        eq(sorted(served), sorted(gold))
        # 3 of 4 right = 0.75: promoted on submission; now she gets regular tasks.
        q = json.loads(env.cli("quality", "qualify", str(pid), "--json").stdout)
        st = {x["name"]: x for x in q["annotators"]}
        eq(st["alice"]["state"], "qualified")
        eq(st["alice"]["answers"], 4)
        if abs(st["alice"]["accuracy"] - 0.75) > 1e-12:
            raise AssertionError(st)
        t = a.get(f"/api/v1/projects/{pid}/next").json()["task"]
        if t["id"] in gold:
            raise AssertionError("a regular task was expected")

        # Bob answers the gold set wrongly: afterwards he gets nothing and stays in training.
        for _ in range(4):
            t = b.get(f"/api/v1/projects/{pid}/next").json()["task"]
            eq(b.post(f"/api/v1/projects/{pid}/tasks/{t['id']}/annotations",
                      {"body": body("maybe" if gold[t["id"]] != "maybe" else "no")}).status, 201)
        eq(b.get(f"/api/v1/projects/{pid}/next").json()["task"], None)
        q = json.loads(env.cli("quality", "qualify", str(pid), "--json").stdout)
        st = {x["name"]: x for x in q["annotators"]}
        eq(st["bob"]["state"], "training")
        eq(st["bob"]["accuracy"], 0)

        # The report tracks accuracy against gold.
        rep = admin.get(f"/api/v1/projects/{pid}/quality?bootstrap=0").json()
        acc = {x["annotator"]: x for x in rep["gold_accuracy"]}
        if abs(acc["alice"]["accuracy"] - 0.75) > 1e-12 or acc["bob"]["accuracy"] != 0:
            raise AssertionError(acc)
        eq(rep["tasks"]["gold"], 4)


@test
def gold_tasks_are_mixed_in_at_the_rate():
    with Env() as env:
        pid = env.project("mix", items=12, overlap=1)
        admin = env.srv.client(token=env.admin_token)
        eq(admin.patch(f"/api/v1/projects/{pid}", {"settings": {"gold_rate": 0.5}}).status, 200)
        tids = sorted(t["id"] for t in tasks_of(env, pid))
        gold = set(tids[-3:])  # the last tasks: without mixing, an id-ordered queue would serve them last
        for t in gold:
            make_gold(env, pid, t, "yes")
        uid, c = env.user("carol")
        env.member(pid, uid, "annotator")
        kinds = []
        for _ in range(6):
            t = c.get(f"/api/v1/projects/{pid}/next").json()["task"]
            kinds.append(t["id"] in gold)
            eq(c.post(f"/api/v1/projects/{pid}/tasks/{t['id']}/annotations", {"body": body("yes")}).status, 201)
        eq(kinds, [True, False, True, False, True, False])
        # A manager sees the flag.
        eq(admin.get(f"/api/v1/projects/{pid}/tasks/{tids[-1]}").json().get("gold"), True)
        # Gold tasks are for everyone: a second annotator meets them too, although overlap is 1.
        uid2, d = env.user("dave")
        env.member(pid, uid2, "annotator")
        t = d.get(f"/api/v1/projects/{pid}/next").json()["task"]
        if t["id"] not in gold:
            raise AssertionError("dave's first task should be gold")


@test
def gold_tasks_return_for_revalidation_and_suspension():
    with Env() as env:
        pid = env.project("reval", items=6, overlap=1)
        admin = env.srv.client(token=env.admin_token)
        eq(admin.patch(f"/api/v1/projects/{pid}", {"settings": {"gold_rate": 0.5, "gold_repeat_every": 1}}).status, 200)
        tids = sorted(t["id"] for t in tasks_of(env, pid))
        gold = tids[-1]
        make_gold(env, pid, gold, "yes")
        uid, e = env.user("erin")
        env.member(pid, uid, "annotator")
        served = []
        for i in range(5):
            t = e.get(f"/api/v1/projects/{pid}/next").json()["task"]
            served.append(t["id"] == gold)
            ans = "yes" if i == 0 else "no"
            eq(e.post(f"/api/v1/projects/{pid}/tasks/{t['id']}/annotations", {"body": body(ans)}).status, 201)
        # The one gold task comes back whenever gold is due and another submission followed it.
        eq(served, [True, False, True, False, True])
        rep = json.loads(env.cli("quality", "qualify", str(pid), "--json").stdout)
        st = {x["name"]: x for x in rep["annotators"]}
        eq(st["erin"]["answers"], 1)  # the latest answer to the gold task counts: "no", wrong
        eq(st["erin"]["accuracy"], 0)

        # A manager suspends her: no more tasks, until reinstated; both decisions are audited.
        r = admin.post(f"/api/v1/projects/{pid}/annotators/{uid}/suspend")
        eq(r.status, 200, r.body)
        eq(r.json()["state"], "suspended")
        eq(e.get(f"/api/v1/projects/{pid}/next").status, 403)
        eq(e.post(f"/api/v1/projects/{pid}/annotators/{uid}/reinstate").status, 403)
        eq(admin.post(f"/api/v1/projects/{pid}/annotators/{uid}/reinstate").json()["state"], "qualified")
        eq(e.get(f"/api/v1/projects/{pid}/next").status, 200)
        # The CLI does the same, by user name, and writes an audit record.
        p = env.cli("quality", "suspend", str(pid), "erin")
        if "suspended" not in p.stdout:
            raise AssertionError(p.stdout)
        eq(e.get(f"/api/v1/projects/{pid}/next").status, 403)
        env.cli("quality", "reinstate", str(pid), "erin")
        eq(e.get(f"/api/v1/projects/{pid}/next").status, 200)
        recs = admin.get(f"/api/v1/projects/{pid}/audit").json()["records"]
        done = [x["action"] for x in recs if x["status"] in (0, 200)]  # the CLI records status 0
        for a in ("annotator.suspend", "annotator.reinstate"):
            eq(done.count(a), 2, recs)
        refused = [x for x in recs if x["action"] == "annotator.reinstate" and x["status"] == 403]
        eq(len(refused), 1, recs)  # erin's own attempt
        # Not a member, no such user, bad usage.
        oid, _ = env.user("outsider")
        eq(admin.post(f"/api/v1/projects/{pid}/annotators/{oid}/suspend").status, 404)
        eq(env.cli("quality", "suspend", str(pid), "outsider", check=False).returncode, 1)
        eq(env.cli("quality", "suspend", str(pid), "nobody", check=False).returncode, 1)
        eq(env.cli("quality", "suspend", str(pid), check=False).returncode, 2)


@test
def review_ends_a_task_only_when_every_annotation_is_accepted():
    with Env() as env:
        pid = env.project("rev", items=1, overlap=2)
        a1, c1 = env.user("ann1")
        a2, c2 = env.user("ann2")
        rv, cr = env.user("rev1")
        env.member(pid, a1, "annotator")
        env.member(pid, a2, "annotator")
        env.member(pid, rv, "reviewer")
        tid = c1.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        eq(c2.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"], tid)
        ann1 = c1.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body("yes")}).json()
        ann2 = c2.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body("yes")}).json()
        state = lambda: env.srv.client(token=env.admin_token).get(f"/api/v1/projects/{pid}/tasks/{tid}").json()["state"]
        review = lambda a, d: cr.post(f"/api/v1/projects/{pid}/annotations/{a['id']}/reviews", {"decision": d})
        eq(review(ann1, "accept").json()["task_state"], "in-review")
        # ann1 changes after its accept: that accept no longer covers it
        eq(c1.put(f"/api/v1/projects/{pid}/annotations/{ann1['id']}", {"body": body("no")},
                  headers={"If-Match": '"1"'}).status, 200)
        eq(review(ann2, "accept").json()["task_state"], "in-review")
        eq(state(), "in-review")
        eq(review(ann1, "accept").json()["task_state"], "done")
        eq(state(), "done")


@test
def a_revised_gold_answer_counts_at_once():
    with Env() as env:
        pid = env.project("fix", items=3, overlap=1)
        admin = env.srv.client(token=env.admin_token)
        eq(admin.patch(f"/api/v1/projects/{pid}", {"settings": {"qualification_threshold": 1,
                                                                 "qualification_min_answers": 1}}).status, 200)
        tids = sorted(t["id"] for t in tasks_of(env, pid))
        make_gold(env, pid, tids[0], "yes")
        uid, f = env.user("frank")
        env.member(pid, uid, "annotator")
        t = f.get(f"/api/v1/projects/{pid}/next").json()["task"]
        eq(t["id"], tids[0])
        ann = f.post(f"/api/v1/projects/{pid}/tasks/{t['id']}/annotations", {"body": body("no")}).json()
        eq(f.get(f"/api/v1/projects/{pid}/next").json()["task"], None)  # wrong: still in training
        eq(f.put(f"/api/v1/projects/{pid}/annotations/{ann['id']}", {"body": body("yes")},
                 headers={"If-Match": '"1"'}).status, 200)
        t = f.get(f"/api/v1/projects/{pid}/next").json()["task"]  # promoted by the revision
        if t is None or t["id"] == tids[0]:
            raise AssertionError(f"a regular task was expected, got {t}")


MASK_SCHEMA = {
    "format": 1, "name": "seg", "modalities": ["image"],
    "controls": [{"name": "organs", "kind": "mask",
                  "labels": [{"value": "liver", "mask_value": 1}, {"value": "spleen", "mask_value": 2}]}],
}


def rows_rle(r0, r1, h=4, w=6):
    """Row-major RLE of rows [r0, r1) of an h x w mask."""
    return {"size": [h, w], "counts": [r0 * w, (r1 - r0) * w, (h - r1) * w]}


@test
def masks_get_a_staple_consensus_and_dice_in_the_report():
    with Env() as env:
        pid = env.project("masks", items=0, overlap=3, schema=MASK_SCHEMA)
        admin = env.srv.client(token=env.admin_token)
        boundary = "----medlabelqa"
        parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ct.png\"\r\n"
                 f"Content-Type: image/png\r\n\r\n").encode() + bytes(64) + f"\r\n--{boundary}--\r\n".encode()
        r = admin.post(f"/api/v1/projects/{pid}/items/upload", parts, raw=True,
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        eq(r.status, 201, r.body)
        rows = {"ann1": (0, 2), "ann2": (0, 2), "ann3": (1, 3)}
        tid = None
        for name, (r0, r1) in rows.items():
            uid, c = env.user(name)
            env.member(pid, uid, "annotator")
            t = c.get(f"/api/v1/projects/{pid}/next").json()["task"]
            tid = t["id"]
            b = {"format": 1, "results": [{"id": "m1", "control": "organs", "label": "liver", "rle": rows_rle(r0, r1)}]}
            r = c.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": b})
            eq(r.status, 201, r.body)
        anns = admin.get(f"/api/v1/projects/{pid}/tasks/{tid}/annotations").json()["annotations"]
        cons = [a for a in anns if a.get("kind") == "consensus"]
        eq(len(cons), 1, anns)
        res = cons[0]["body"]["results"]
        eq(len(res), 1, res)
        eq(res[0]["label"], "liver")
        # STAPLE trusts the two who agree: rows 0-1 are in, row 2 (ann3 alone) is out.
        eq(res[0]["rle"], rows_rle(0, 2))
        rep = admin.get(f"/api/v1/projects/{pid}/quality?bootstrap=0").json()
        ctl = [c for c in rep["controls"] if c["control"] == "organs"][0]
        eq(ctl["kind"], "mask")
        dice = {(p["a"], p["b"]): p["mean_dice"] for p in ctl["per_pair"]}
        eq(dice[("ann1", "ann2")], 1.0)
        eq(dice[("ann1", "ann3")], 0.5)  # 6 shared pixels of 12 + 12
        eq(dice[("ann2", "ann3")], 0.5)


@test
def gold_command_errors():
    with Env() as env:
        pid = env.project("err", items=1)
        eq(env.cli("quality", "gold", str(pid), "99", "--labels", "x.json", check=False).returncode, 1)
        eq(env.cli("quality", "gold", str(pid), check=False).returncode, 2)
        bad = os.path.join(env.dir, "bad.json")
        with open(bad, "w") as f:
            f.write('{"nope": 1}')
        tid = tasks_of(env, pid)[0]["id"]
        p = env.cli("quality", "gold", str(pid), str(tid), "--labels", bad, check=False)
        eq(p.returncode, 1)
        if "results" not in p.stderr:
            raise AssertionError(p.stderr)


@test
def schema_change_marks_affected_labels_for_revalidation():
    import copy
    from apilib import SCHEMA
    with Env() as env:
        pid = env.project("reval", items=3, overlap=1)
        uid, c = env.user("erin")
        env.member(pid, uid, "annotator")
        given = {}
        for lab in ("yes", "no", "maybe"):
            t = c.get(f"/api/v1/projects/{pid}/next").json()["task"]
            eq(c.post(f"/api/v1/projects/{pid}/tasks/{t['id']}/annotations", {"body": body(lab)}).status, 201)
            given[t["id"]] = lab
        admin = env.srv.client(token=env.admin_token)
        new = copy.deepcopy(SCHEMA)
        new["controls"][0]["labels"] = [l for l in new["controls"][0]["labels"] if l["value"] != "maybe"]
        r = admin.put(f"/api/v1/projects/{pid}/schema", {"schema": new})
        eq(r.status, 200, r.body)
        for tid, lab in given.items():
            anns = admin.get(f"/api/v1/projects/{pid}/tasks/{tid}/annotations").json()["annotations"]
            eq(len(anns), 1)
            if lab == "maybe":  # uses the removed label: a new version, not validated
                eq((anns[0]["version"], anns[0]["validated"]), (2, False), json.dumps(anns[0]))
            else:
                eq((anns[0]["version"], anns[0]["validated"]), (1, True), json.dumps(anns[0]))
        # Running it again marks nothing more.
        out = env.cli("quality", "revalidate", str(pid)).stdout
        if "0 marked" not in out:
            raise AssertionError(out)


@test
def overlap_for_a_sampled_share_of_tasks():
    with Env() as env:
        pid = env.project("sample", items=20, overlap=1)
        out = env.cli("quality", "sample", str(pid), "--percent", "25", "--overlap", "3", "--seed", "9").stdout
        if "on 5 of 20" not in out:
            raise AssertionError(out)
        overl = sorted(t["overlap"] for t in tasks_of(env, pid))
        eq(overl, [1] * 15 + [3] * 5)
        picked = sorted(t["id"] for t in tasks_of(env, pid) if t["overlap"] == 3)
        # The same seed on a fresh project of the same shape picks the same positions.
        pid2 = env.project("sample2", items=20, overlap=1)
        env.cli("quality", "sample", str(pid2), "--percent", "25", "--overlap", "3", "--seed", "9")
        t2 = sorted(tasks_of(env, pid2), key=lambda t: t["id"])
        t1 = sorted(tasks_of(env, pid), key=lambda t: t["id"])
        eq([t["overlap"] for t in t1], [t["overlap"] for t in t2])
        eq(len(picked), 5)
        eq(env.cli("quality", "sample", str(pid), "--percent", "101", "--overlap", "2", check=False).returncode, 2)


if __name__ == "__main__":
    main()
