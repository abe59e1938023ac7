"""The HTTP API end to end: first run, sessions and CSRF, tokens, users, projects, items, tasks, leasing,
annotations with If-Match, blind labeling, reviews, comments, export, media ranges, static files, headers."""
import os
import struct

import lib
from apilib import SCHEMA, Env, body
from lib import eq, test

ENV = None


def env():
    global ENV
    if ENV is None:
        ENV = Env().__enter__()
    return ENV


@test
def first_run_prints_admin_password_once_and_creates_demo():
    e = env()
    log = e.srv.read_log()
    assert log.count("one-time password") == 1
    r = e.admin.get("/api/v1/projects")
    eq(r.status, 200)
    demo = [p for p in r.json()["projects"] if p["name"] == "demo"]
    assert demo, r.body
    pid = demo[0]["id"]
    r = e.admin.get(f"/api/v1/projects/{pid}")
    assert r.json()["counts"]["items"] >= 6, r.body
    schema = e.admin.get(f"/api/v1/projects/{pid}/schema").json()
    eq(schema["version"], 1)
    # the demo schema is one the label module accepts
    eq(e.admin.put(f"/api/v1/projects/{pid}/schema", {"schema": schema["schema"]}).status, 200)
    items = e.admin.get(f"/api/v1/projects/{pid}/items").json()["items"]
    png = [i for i in items if i["modality"] == "image"]
    assert png and png[0]["media_type"] == "image/png"
    m = e.admin.get(f"/api/v1/projects/{pid}/items/{png[0]['id']}/media")
    eq(m.status, 200)
    assert m.body.startswith(b"\x89PNG\r\n\x1a\n")
    w, h = struct.unpack(">II", m.body[16:24])
    eq((w, h), (128, 128))
    # a second start on the same data prints no password again
    srv2 = lib.Server(e.data)
    e.srv.__exit__(None, None, None)
    with srv2:
        assert "one-time password" not in srv2.read_log()
        c = srv2.client()
        eq(c.post("/api/v1/login", {"name": "admin", "password": e.admin_password}).status, 200)
    e.srv = lib.Server(e.data)
    e.srv.__enter__()
    e.admin.port = e.srv.port


@test
def security_headers_on_every_response():
    e = env()
    for r in (e.admin.get("/api/v1/me"), e.srv.client().get("/api/v1/me"), e.srv.client().get("/nope")):
        csp = r.header("Content-Security-Policy")
        assert csp and "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        eq(r.header("X-Content-Type-Options"), "nosniff")
        assert r.header("Referrer-Policy")
        assert r.header("Strict-Transport-Security") is None  # plain HTTP


@test
def login_cookie_is_httponly_strict_and_csrf_guards_writes():
    e = env()
    c = e.srv.client()
    r = c.post("/api/v1/login", {"name": "admin", "password": e.admin_password})
    cookie = r.header("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie, cookie
    csrf = r.json()["csrf"]
    # a write without the CSRF header is refused, with it accepted
    r = c.post("/api/v1/tokens", {"name": "x"})
    eq(r.status, 403)
    eq(r.json()["error"]["field"], "X-CSRF-Token")
    c.csrf = csrf
    eq(c.post("/api/v1/tokens", {"name": "x"}).status, 201)
    # logout ends the session
    eq(c.post("/api/v1/logout").status, 200)
    eq(c.get("/api/v1/me").status, 401)


@test
def wrong_password_is_401_and_throttled_after_five():
    e = env()
    e.user("throttled", "a very good password")
    c = e.srv.client()
    for _ in range(5):
        eq(c.post("/api/v1/login", {"name": "throttled", "password": "wrong password!"}).status, 401)
    r = c.post("/api/v1/login", {"name": "throttled", "password": "a very good password"})
    eq(r.status, 429)
    assert "error" in r.json()


@test
def logins_from_one_address_are_throttled_across_accounts():
    e = Env().__enter__()
    try:
        c = e.srv.client()
        for i in range(20):  # unknown names: the address counter still grows
            eq(c.post("/api/v1/login", {"name": f"ghost{i}", "password": "not a real password"}).status, 401)
        r = c.post("/api/v1/login", {"name": "admin", "password": e.admin_password})
        eq(r.status, 429)
        assert "address" in r.json()["error"]["message"]
    finally:
        e.__exit__(None, None, None)


@test
def password_change_is_throttled_like_login():
    """A stolen session must not brute-force the current password through POST /me/password: wrong
    guesses count against the account (and the address) exactly as failed logins do."""
    e = Env().__enter__()
    try:
        uid, c = e.user("victim", "the real password 1")
        for _ in range(5):
            r = c.post("/api/v1/me/password", {"old_password": "a wrong guess!!", "new_password": "attacker chose this"})
            eq(r.status, 403)
            eq(r.json()["error"]["field"], "/old_password")
        # the sixth try is refused before the password is checked, even with the right one
        r = c.post("/api/v1/me/password", {"old_password": "the real password 1", "new_password": "attacker chose this"})
        eq(r.status, 429)
        assert "too many" in r.json()["error"]["message"]
        # the same counter guards the login of that account
        eq(e.srv.client().post("/api/v1/login", {"name": "victim", "password": "the real password 1"}).status, 429)
        # other accounts from this address are not yet blocked (20 failures per address)
        uid2, c2 = e.user("bystander", "bystander password")
        r = c2.post("/api/v1/me/password", {"old_password": "bystander password", "new_password": "a new good password"})
        eq(r.status, 200)
        # each failure is audited like any write
        recs = e.admin.get("/api/v1/audit?action=me.password").json()["records"]
        eq(sorted(x["status"] for x in recs if x["user_id"] == uid), [403] * 5 + [429])
    finally:
        e.__exit__(None, None, None)


@test
def passwords_need_twelve_characters():
    e = env()
    r = e.admin.post("/api/v1/users", {"name": "shorty", "password": "elevenchars"})
    eq(r.status, 400)
    eq(r.json()["error"]["field"], "/password")


@test
def tokens_are_listed_with_last_use_and_revocable():
    e = env()
    uid, c = e.user("tokuser")
    eq(c.get("/api/v1/me").json()["id"], uid)
    toks = c.get("/api/v1/tokens").json()["tokens"]
    eq(len(toks), 1)
    assert toks[0]["last_used_at"] is not None
    assert "token" not in toks[0] and "hash" not in str(toks[0])
    eq(c.delete(f"/api/v1/tokens/{toks[0]['id']}").status, 200)
    eq(c.get("/api/v1/me").status, 401)


@test
def disabling_a_user_stops_sessions_and_tokens_at_once():
    e = env()
    uid, tc = e.user("tobedisabled", "disable me please")
    sc = e.srv.client()
    eq(sc.post("/api/v1/login", {"name": "tobedisabled", "password": "disable me please"}).status, 200)
    eq(tc.get("/api/v1/me").status, 200)
    eq(sc.get("/api/v1/me").status, 200)
    eq(e.admin.patch(f"/api/v1/users/{uid}", {"disabled": True}).status, 200)
    eq(tc.get("/api/v1/me").status, 401)
    eq(sc.get("/api/v1/me").status, 401)
    eq(e.srv.client().post("/api/v1/login", {"name": "tobedisabled", "password": "disable me please"}).status, 401)


@test
def non_members_get_404_for_everything_in_a_project():
    e = env()
    pid = e.project("secret-project")
    _, c = e.user("outsider")
    eq(c.get(f"/api/v1/projects/{pid}").status, 404)
    eq(c.get(f"/api/v1/projects/{pid}/tasks").status, 404)
    eq(c.get(f"/api/v1/projects/999999").status, 404)
    names = [p["name"] for p in c.get("/api/v1/projects").json()["projects"]]
    assert "secret-project" not in names


@test
def lease_annotate_update_with_if_match_review_flow():
    e = env()
    pid = e.project("flow", items=2, overlap=2)
    a1, c1 = e.user("ann1")
    a2, c2 = e.user("ann2")
    rv, cr = e.user("rev1")
    e.member(pid, a1, "annotator")
    e.member(pid, a2, "annotator")
    e.member(pid, rv, "reviewer")
    t1 = c1.get(f"/api/v1/projects/{pid}/next").json()["task"]
    t2 = c2.get(f"/api/v1/projects/{pid}/next").json()["task"]
    eq(t1["id"], t2["id"])  # overlap 2: both get the first task
    # the same annotator asking again gets the same lease
    eq(c1.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"], t1["id"])
    tid = t1["id"]
    # annotating a task one did not lease is refused
    other = [t for t in e.admin.get(f"/api/v1/projects/{pid}/tasks").json()["tasks"] if t["id"] != tid][0]
    eq(c1.post(f"/api/v1/projects/{pid}/tasks/{other['id']}/annotations", {"body": body()}).status, 409)
    r = c1.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body("yes"), "seconds_spent": 3.5})
    eq(r.status, 201)
    ann1 = r.json()
    eq(r.header("ETag"), '"1"')
    eq(c1.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body()}).status, 409)
    # annotators read the content of items they hold only
    held = e.admin.get(f"/api/v1/projects/{pid}/tasks/{tid}").json()["item_id"]
    eq(c1.get(f"/api/v1/projects/{pid}/items/{held}").status, 200)
    eq(c1.get(f"/api/v1/projects/{pid}/items/{other['item_id']}").status, 404)
    eq(c1.get(f"/api/v1/projects/{pid}/tasks/{other['id']}/comments").status, 404)
    # blind: annotator 2 sees nothing of annotator 1's work
    r = c2.get(f"/api/v1/projects/{pid}/tasks/{tid}/annotations")
    eq(r.json()["annotations"], [])
    eq(c2.get(f"/api/v1/projects/{pid}/annotations/{ann1['id']}").status, 404)
    r = c2.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body("no")})
    eq(r.status, 201)
    ann2 = r.json()
    # update with If-Match: current version ok, stale 409, missing 428
    url = f"/api/v1/projects/{pid}/annotations/{ann1['id']}"
    r = c1.put(url, {"body": body("no")}, headers={"If-Match": '"1"'})
    eq(r.status, 200)
    eq(r.json()["version"], 2)
    eq(c1.put(url, {"body": body("yes")}, headers={"If-Match": '"1"'}).status, 409)
    eq(c1.put(url, {"body": body("yes")}).status, 428)
    # another annotator cannot edit it (cannot even see it)
    eq(c2.put(url, {"body": body("yes")}, headers={"If-Match": '"2"'}).status, 404)
    # reviewer sees both once submitted
    task = e.admin.get(f"/api/v1/projects/{pid}/tasks/{tid}").json()
    eq(task["state"], "submitted")
    seen = cr.get(f"/api/v1/projects/{pid}/tasks/{tid}/annotations").json()
    eq(sorted(a["id"] for a in seen["annotations"]), sorted([ann1["id"], ann2["id"]]))
    # reject: the task returns to the annotator, who revises it; accept ends it
    r = cr.post(f"/api/v1/projects/{pid}/annotations/{ann2['id']}/reviews", {"decision": "reject", "comment": "re-check"})
    eq(r.status, 201)
    eq(e.admin.get(f"/api/v1/projects/{pid}/tasks/{tid}").json()["state"], "in-progress")
    # the returned task comes first in its annotator's queue
    eq(c2.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"], tid)
    r = c2.put(f"/api/v1/projects/{pid}/annotations/{ann2['id']}", {"body": body("yes")}, headers={"If-Match": '"1"'})
    eq(r.status, 200)
    eq(e.admin.get(f"/api/v1/projects/{pid}/tasks/{tid}").json()["state"], "submitted")
    eq(cr.post(f"/api/v1/projects/{pid}/annotations/{ann2['id']}/reviews", {"decision": "maybe"}).status, 400)
    r = cr.post(f"/api/v1/projects/{pid}/annotations/{ann2['id']}/reviews", {"decision": "accept"})
    eq(r.status, 201)
    # overlap 2: one accepted annotation of two leaves the task in review; accepting the other ends it
    eq(r.json()["task_state"], "in-review")
    eq(e.admin.get(f"/api/v1/projects/{pid}/tasks/{tid}").json()["state"], "in-review")
    r = cr.post(f"/api/v1/projects/{pid}/annotations/{ann1['id']}/reviews", {"decision": "accept"})
    eq(r.json()["task_state"], "done")
    eq(e.admin.get(f"/api/v1/projects/{pid}/tasks/{tid}").json()["state"], "done")
    # after review, annotators see each other's work
    eq(len(c2.get(f"/api/v1/projects/{pid}/tasks/{tid}/annotations").json()["annotations"]), 2)
    reviews = c2.get(f"/api/v1/projects/{pid}/annotations/{ann2['id']}/reviews").json()["reviews"]
    eq([x["decision"] for x in reviews], ["reject", "accept"])
    # comments
    eq(c1.post(f"/api/v1/projects/{pid}/tasks/{tid}/comments", {"body": "unclear abbreviation"}).status, 201)
    eq(cr.get(f"/api/v1/projects/{pid}/tasks/{tid}/comments").json()["comments"][0]["body"], "unclear abbreviation")


@test
def schemas_and_annotation_bodies_are_validated_with_pointers():
    e = env()
    pid = e.project("validated", items=1)
    c = e.srv.client(token=e.admin_token)
    bad = {"format": 1, "name": "x", "controls": [{"name": "c", "kind": "blob", "labels": [{"value": "a"}]}]}
    r = c.put(f"/api/v1/projects/{pid}/schema", {"schema": bad})
    eq(r.status, 400)
    eq(r.json()["error"]["field"], "/schema/controls/0/kind")
    eq(c.get(f"/api/v1/projects/{pid}/schema").json()["version"], 1)
    uid, a = e.user("validator")
    e.member(pid, uid, "annotator")
    tid = a.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
    wrong = {"format": 1, "results": [{"id": "r1", "control": "label", "choices": ["purple"]}]}
    r = a.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": wrong})
    eq(r.status, 400)
    assert r.json()["error"]["field"].startswith("/body/results/0/"), r.body
    r = a.post(f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body("maybe")})
    eq(r.status, 201)
    eq(r.json()["schema_version"], 1)


@test
def skip_predictions_schema_check_and_patient_filter():
    e = env()
    pid = e.project("skipping", items=3)
    uid, a = e.user("skipper")
    e.member(pid, uid, "annotator")
    t1 = a.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
    eq(a.post(f"/api/v1/projects/{pid}/tasks/{t1}/skip").status, 200)
    eq(a.post(f"/api/v1/projects/{pid}/tasks/{t1}/skip").status, 409)
    t2 = a.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
    assert t2 != t1, (t1, t2)
    eq(a.get(f"/api/v1/projects/{pid}/tasks/{t2}/predictions").json(), {"predictions": []})
    eq(a.post("/api/v1/schemas/validate", {"schema": SCHEMA}).status, 200)
    r = a.post("/api/v1/schemas/validate", {"schema": {"format": 1, "name": "x", "controls": [{"kind": 3}]}})
    eq(r.status, 400)
    assert r.json()["error"]["field"].startswith("/schema/controls/0"), r.body
    c = e.srv.client(token=e.admin_token)
    for k in ("p-a", "p-b", "p-a"):
        eq(c.post(f"/api/v1/projects/{pid}/items", {"text": "t", "patient_key": k}).status, 201)
    got = c.get(f"/api/v1/projects/{pid}/items?patient=p-a").json()["items"]
    eq([i["patient_key"] for i in got], ["p-a", "p-a"])


@test
def task_list_filters_and_keyset_pagination():
    e = env()
    pid = e.project("paging", items=7)
    c = e.srv.client(token=e.admin_token)
    seen, after = [], 0
    while True:
        r = c.get(f"/api/v1/projects/{pid}/tasks?limit=3&after={after}").json()
        seen += [t["id"] for t in r["tasks"]]
        if r["next_after"] is None:
            break
        after = r["next_after"]
    eq(len(seen), 7)
    eq(seen, sorted(seen))
    eq(len(c.get(f"/api/v1/projects/{pid}/tasks?state=open").json()["tasks"]), 7)
    eq(len(c.get(f"/api/v1/projects/{pid}/tasks?state=done").json()["tasks"]), 0)
    # assignee filter, and annotators see only their own tasks
    uid, a = e.user("pager")
    e.member(pid, uid, "annotator")
    tid = a.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
    eq([t["id"] for t in c.get(f"/api/v1/projects/{pid}/tasks?assignee={uid}").json()["tasks"]], [tid])
    eq([t["id"] for t in a.get(f"/api/v1/projects/{pid}/tasks").json()["tasks"]], [tid])
    eq(a.get(f"/api/v1/projects/{pid}/tasks?assignee=1").status, 403)
    eq(c.get(f"/api/v1/projects/{pid}/tasks?state=bogus").status, 400)
    eq(c.get(f"/api/v1/projects/{pid}/tasks?limit=0").status, 400)


@test
def items_by_json_and_multipart_with_media_ranges_and_etags():
    e = env()
    pid = e.project("media", items=1)
    c = e.srv.client(token=e.admin_token)
    blob = bytes(range(256)) * 40
    boundary = "----medlabeltest"
    parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\n\r\n{{\"view\":\"PA\"}}\r\n"
             f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
             f"Content-Type: image/png\r\n\r\n").encode() + blob + f"\r\n--{boundary}--\r\n".encode()
    r = c.post(f"/api/v1/projects/{pid}/items/upload", parts, raw=True,
               headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    eq(r.status, 201, r.body)
    iid = r.json()["id"]
    url = f"/api/v1/projects/{pid}/items/{iid}/media"
    full = c.get(url)
    eq(full.status, 200)
    eq(full.body, blob)
    etag = full.header("ETag")
    eq(full.header("Accept-Ranges"), "bytes")
    part = c.get(url, headers={"Range": "bytes=100-199"})
    eq(part.status, 206)
    eq(part.body, blob[100:200])
    eq(part.header("Content-Range"), f"bytes 100-199/{len(blob)}")
    eq(c.get(url, headers={"Range": "bytes=-10"}).body, blob[-10:])
    eq(c.get(url, headers={"Range": f"bytes={len(blob)}-"}).status, 416)
    eq(c.get(url, headers={"If-None-Match": etag}).status, 304)
    item = c.get(f"/api/v1/projects/{pid}/items/{iid}").json()
    eq(item["meta"], {"view": "PA"})
    eq(item["modality"], "image")
    # text item content round-trips, including non-ASCII
    r = c.post(f"/api/v1/projects/{pid}/items", {"text": "Zöe’s note — 日本語", "patient_key": "p-1"})
    eq(r.status, 201)
    eq(c.get(f"/api/v1/projects/{pid}/items/{r.json()['id']}").json()["text"], "Zöe’s note — 日本語")


@test
def upload_over_the_limit_is_413():
    e = Env(extra_args=["--max-upload", "4096"]).__enter__()
    try:
        pid = e.project("small", items=0)
        c = e.srv.client(token=e.admin_token)
        boundary = "b0undary"
        parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n"
                 f"Content-Type: image/png\r\n\r\n").encode() + b"x" * 10000 + f"\r\n--{boundary}--\r\n".encode()
        r = c.post(f"/api/v1/projects/{pid}/items/upload", parts, raw=True,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        eq(r.status, 413)
        eq(e.srv.client(token=e.admin_token).get("/api/v1/health").status, 200)
        tmp = os.path.join(e.data, "tmp")
        eq(os.listdir(tmp) if os.path.isdir(tmp) else [], [])
    finally:
        e.__exit__(None, None, None)


@test
def export_streams_jsonl_with_annotations():
    e = env()
    pid = e.project("export", items=4)
    aid, c = e.user("exporter-ann")
    e.member(pid, aid, "annotator")
    t = c.get(f"/api/v1/projects/{pid}/next").json()["task"]
    eq(c.post(f"/api/v1/projects/{pid}/tasks/{t['id']}/annotations", {"body": body("no")}).status, 201)
    r = e.srv.client(token=e.admin_token).get(f"/api/v1/projects/{pid}/export?format=jsonl")
    eq(r.status, 200)
    assert r.header("Content-Length") is None  # streamed, not built in memory
    lines = [__import__("json").loads(x) for x in r.body.decode().splitlines()]
    eq(len(lines), 4)
    eq([ln["text"] for ln in lines], [f"note {i} with ünïcode" for i in range(4)])
    annotated = [ln for ln in lines if ln["annotations"]]
    eq(len(annotated), 1)
    eq(annotated[0]["annotations"][0]["labels"], body("no"))
    eq(annotated[0]["task"]["id"], t["id"])
    eq(e.srv.client(token=e.admin_token).get(f"/api/v1/projects/{pid}/export?format=nosuch").status, 415)


@test
def abandoned_exports_end_and_free_their_slot():
    import http.client
    e = env()
    pid = e.project("big-export", items=0)
    c = e.srv.client(token=e.admin_token)
    for i in range(400):
        eq(c.post(f"/api/v1/projects/{pid}/items", {"text": "y" * 3000 + str(i)}).status, 201)
    for _ in range(6):  # more than the 4 concurrent export slots: each abandoned one must give its slot back
        conn = http.client.HTTPConnection("127.0.0.1", e.srv.port, timeout=10)
        conn.request("GET", f"/api/v1/projects/{pid}/export", headers={"Authorization": "Bearer " + e.admin_token})
        r = conn.getresponse()
        eq(r.status, 200)
        r.read(1000)
        conn.close()
    import time
    time.sleep(0.5)
    r = c.get(f"/api/v1/projects/{pid}/export")
    eq(r.status, 200)
    eq(len(r.body.decode().splitlines()), 400)


@test
def static_files_with_mime_types_and_etags():
    d = lib.tmpdir()
    web = os.path.join(d, "web")
    os.makedirs(os.path.join(web, "static"))
    with open(os.path.join(web, "index.html"), "w") as f:
        f.write("<!doctype html><title>medlabel</title>")
    with open(os.path.join(web, "static", "app.js"), "w") as f:
        f.write("console.log(1);")
    os.makedirs(os.path.join(d, "data"))
    with lib.Server(os.path.join(d, "data"), extra_args=["--web", web]) as srv:
        c = srv.client()
        r = c.get("/")
        eq(r.status, 200)
        assert r.header("Content-Type").startswith("text/html")
        assert b"medlabel" in r.body
        r = c.get("/static/app.js")
        assert r.header("Content-Type").startswith("text/javascript")
        eq(c.get("/static/app.js", headers={"If-None-Match": r.header("ETag")}).status, 304)
        eq(c.get("/static/missing.js").status, 404)
        for bad in ("/static/../index.html", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/.hidden", "/static//x"):
            s = c.get(bad).status
            assert s in (400, 404), (bad, s)


if __name__ == "__main__":
    try:
        lib.main()
    finally:
        if ENV:
            ENV.__exit__(None, None, None)
