"""Defects found in review, end to end: object-level rules an annotator must not get around."""
import lib
from apilib import Env, body
from lib import eq, test


@test
def annotator_sees_no_task_or_annotation_they_never_held():
    """An annotator lists only their own tasks; reading another's task, its annotations (a finished gold task's
    annotations are the answer key) or their reviews by id must be a 404 too."""
    with Env() as e:
        pid = e.project("held", items=1)
        a_id, a = e.user("ann-a")
        b_id, b = e.user("ann-b")
        r_id, rev = e.user("rev")
        e.member(pid, a_id, "annotator")
        e.member(pid, b_id, "annotator")
        e.member(pid, r_id, "reviewer")
        task = a.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        r = a.post(f"/api/v1/projects/{pid}/tasks/{task}/annotations", {"body": body("no")})
        eq(r.status, 201, r.body)
        ann = r.json()["id"]
        r = rev.post(f"/api/v1/projects/{pid}/annotations/{ann}/reviews", {"decision": "accept"})
        eq(r.status, 201, r.body)
        # the author still reads everything
        eq(a.get(f"/api/v1/projects/{pid}/tasks/{task}").status, 200)
        eq(a.get(f"/api/v1/projects/{pid}/tasks/{task}/annotations").status, 200)
        eq(a.get(f"/api/v1/projects/{pid}/annotations/{ann}").status, 200)
        # the other annotator never held the task
        eq(b.get(f"/api/v1/projects/{pid}/tasks").json()["tasks"], [])
        for path in (f"/tasks/{task}", f"/tasks/{task}/annotations", f"/annotations/{ann}",
                     f"/annotations/{ann}/reviews"):
            r = b.get(f"/api/v1/projects/{pid}{path}")
            eq(r.status, 404, f"{path}: {r.body[:200]!r}")
            assert b"\"no\"" not in r.body, r.body


if __name__ == "__main__":
    lib.main()
