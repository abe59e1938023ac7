"""Defects found in review, end to end: object-level rules an annotator must not get around."""
import json
import os
import sqlite3

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


def login(e, name, password):
    c = e.srv.client()
    r = c.post("/api/v1/login", {"name": name, "password": password})
    eq(r.status, 200, r.body)
    c.csrf = r.json()["csrf"]
    return c


@test
def a_new_password_logs_out_the_other_sessions():
    """Changing a password (oneself, by an admin, or from the CLI) must end the sessions opened with the old
    one: otherwise whoever stole it stays logged in for the session's 12 hours."""
    with Env() as e:
        e.user("carol", password="the first password")
        mine, thief = login(e, "carol", "the first password"), login(e, "carol", "the first password")
        eq(thief.get("/api/v1/me").status, 200)
        r = mine.post("/api/v1/me/password", {"old_password": "the first password",
                                              "new_password": "the second password"})
        eq(r.status, 200, r.body)
        eq(mine.get("/api/v1/me").status, 200)  # the session that changed it stays
        eq(thief.get("/api/v1/me").status, 401)
        # an administrator's reset ends every session of the user
        uid = mine.get("/api/v1/me").json()["id"]
        r = e.admin.patch(f"/api/v1/users/{uid}", {"password": "the third password"})
        eq(r.status, 200, r.body)
        eq(mine.get("/api/v1/me").status, 401)
        # and so does a reset from the command line
        again = login(e, "carol", "the third password")
        e.cli("user", "passwd", "carol", "--password-stdin", input="the fourth password\n")
        eq(again.get("/api/v1/me").status, 401)
        eq(login(e, "carol", "the fourth password").get("/api/v1/me").status, 200)


@test
def items_awaiting_deidentification_stay_out_of_reach():
    """An item that is not visible (awaiting de-identification review) is never leased; only the people who
    review its PHI spans (managers and reviewers) can list and read it; viewers and annotators never can."""
    with Env() as e:
        pid = e.project("hidden", items=0)
        admin = e.srv.client(token=e.admin_token)
        ids = []
        for text in ("raw note naming Jane Roe", "clean note"):
            r = admin.post(f"/api/v1/projects/{pid}/items", {"text": text, "meta": {"ward": "W1"}})
            eq(r.status, 201, r.body)
            ids.append(r.json()["id"])
        db = sqlite3.connect(os.path.join(e.data, "medlabel.db"), timeout=10)
        db.execute("UPDATE items SET visible = 0 WHERE id = ?", (ids[0],))
        db.commit()
        db.close()
        roles = {}
        for role in ("annotator", "viewer", "reviewer", "manager"):
            uid, c = e.user("u-" + role)
            e.member(pid, uid, role)
            roles[role] = c
        listed = lambda c: [i["id"] for i in c.get(f"/api/v1/projects/{pid}/items").json()["items"]]
        eq(listed(roles["viewer"]), [ids[1]])
        eq(sorted(listed(roles["reviewer"])), sorted(ids))
        eq(sorted(listed(roles["manager"])), sorted(ids))
        for role in ("annotator", "viewer"):
            eq(roles[role].get(f"/api/v1/projects/{pid}/items/{ids[0]}").status, 404)
        for role in ("reviewer", "manager"):
            eq(roles[role].get(f"/api/v1/projects/{pid}/items/{ids[0]}").status, 200)
        ann = roles["annotator"]
        task = ann.get(f"/api/v1/projects/{pid}/next").json()["task"]
        eq(task["item_id"], ids[1])
        eq(ann.post(f"/api/v1/projects/{pid}/tasks/{task['id']}/annotations", {"body": body()}).status, 201)
        eq(ann.get(f"/api/v1/projects/{pid}/next").json()["task"], None)


@test
def annotators_cannot_tell_gold_tasks_from_the_task_list():
    """Gold tasks look like any other to annotators (quality control): /next and /tasks/{id} hide the flag,
    and so must the listing of their own tasks."""
    with Env() as e:
        pid = e.project("gold", items=2)
        admin = e.srv.client(token=e.admin_token)
        tasks = admin.get(f"/api/v1/projects/{pid}/tasks").json()["tasks"]
        path = os.path.join(e.dir, "gold.json")
        with open(path, "w") as f:
            json.dump(body("no"), f)
        for t in tasks:
            e.cli("quality", "gold", str(pid), str(t["id"]), "--labels", path)
        uid, ann = e.user("trainee")
        e.member(pid, uid, "annotator")
        t = ann.get(f"/api/v1/projects/{pid}/next").json()["task"]
        assert "gold" not in t, t
        listed = ann.get(f"/api/v1/projects/{pid}/tasks").json()["tasks"]
        eq([x["id"] for x in listed], [t["id"]])
        for x in listed:
            assert "gold" not in x, f"gold flag shown to an annotator: {x}"
        # managers still see it
        assert all(x["gold"] for x in admin.get(f"/api/v1/projects/{pid}/tasks").json()["tasks"])


@test
def a_gold_task_never_shows_its_answers_to_the_annotator_taking_it():
    """A gold task is served to every trainee, whatever its state. Once one annotation of it was accepted
    (the task is done) the next trainee taking it must still label blind: not see the reference labels or
    the others' answers."""
    with Env() as e:
        pid = e.project("gold-blind", items=1)
        admin = e.srv.client(token=e.admin_token)
        r = admin.patch(f"/api/v1/projects/{pid}", {"settings": {"qualification_threshold": 0.75,
                                                                "qualification_min_answers": 3}})
        eq(r.status, 200, r.body)
        task = admin.get(f"/api/v1/projects/{pid}/tasks").json()["tasks"][0]["id"]
        path = os.path.join(e.dir, "gold.json")
        with open(path, "w") as f:
            json.dump(body("maybe"), f)
        e.cli("quality", "gold", str(pid), str(task), "--labels", path)
        (aid, a), (bid, b), (rid, rev) = e.user("first"), e.user("second"), e.user("checker")
        for uid, role in ((aid, "annotator"), (bid, "annotator"), (rid, "reviewer")):
            e.member(pid, uid, role)
        eq(a.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"], task)
        r = a.post(f"/api/v1/projects/{pid}/tasks/{task}/annotations", {"body": body("no")})
        eq(r.status, 201, r.body)
        eq(rev.post(f"/api/v1/projects/{pid}/annotations/{r.json()['id']}/reviews", {"decision": "accept"}).status, 201)
        eq(admin.get(f"/api/v1/projects/{pid}/tasks/{task}").json()["state"], "done")
        eq(b.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"], task)
        r = b.get(f"/api/v1/projects/{pid}/tasks/{task}/annotations")
        eq(r.status, 200, r.body)
        eq(r.json()["annotations"], [])
        eq(r.json()["blind"], True)


def upload(client, pid, data, media_type, modality="image", name="f.bin"):
    boundary = "rvw"
    parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"modality\"\r\n\r\n{modality}\r\n"
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
             f"Content-Type: {media_type}\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    r = client.post(f"/api/v1/projects/{pid}/items/upload", parts, raw=True,
                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    eq(r.status, 201, r.body)
    return r.json()["id"]


@test
def uploaded_media_never_runs_as_a_page_or_script_of_the_site():
    """A manager uploading an 'image' declared text/html (or JavaScript, or SVG) must not get the server to
    serve it as a page or script of its own origin: the CSP allows scripts from 'self', so that would be
    stored cross-site scripting against every other user, administrators included."""
    with Env() as e:
        pid = e.project("media", items=0)
        admin = e.srv.client(token=e.admin_token)
        for media_type, data in (("text/html", b"<script src='x.js'></script>"),
                                 ("text/javascript", b"fetch('/api/v1/users')"),
                                 ("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>")):
            item = upload(admin, pid, data, media_type)
            r = admin.get(f"/api/v1/projects/{pid}/items/{item}/media")
            eq(r.status, 200, r.body)
            eq(r.body, data)
            eq(r.header("Content-Type"), "application/octet-stream", media_type)
            eq(r.header("Content-Disposition"), "attachment", media_type)
            assert any(k.lower() == "content-security-policy" and "sandbox" in v for k, v in r.headers), r.headers
        png = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
        item = upload(admin, pid, png, "image/png")
        r = admin.get(f"/api/v1/projects/{pid}/items/{item}/media")
        eq(r.header("Content-Type"), "image/png")
        eq(r.header("Content-Disposition"), None)


if __name__ == "__main__":
    lib.main()
