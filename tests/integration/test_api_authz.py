"""The authorisation matrix: every route of the router (read from `medlabel serve --print-routes --json`, so a
new route cannot escape) x every kind of caller: anonymous, a user who is not a member, each project role,
the admin. Denials must be exact (401 anonymous, 403 wrong role or not admin, 404 not a member); allowed
calls must get past authorisation (no 401/403/404, no 5xx) and GETs must succeed with 200."""
import os

import lib
from apilib import Env, body, routes
from lib import eq, test

ROLES = ["viewer", "annotator", "reviewer", "manager"]


def setup(e):
    pid = e.project("matrix", items=3)
    actors = {"anonymous": (None, e.srv.client()), "admin": (1, e.srv.client(token=e.admin_token))}
    actors["outsider"] = e.user("outsider")
    for role in ROLES:
        uid, c = e.user("m-" + role)
        e.member(pid, uid, role)
        actors[role] = (uid, c)
    victim, _ = e.user("victim")
    e.member(pid, victim, "viewer")
    admin = actors["admin"][1]
    # a media item, and an annotation by the annotator (so every role that may see one can)
    boundary = "xyz"
    parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
             f"Content-Type: image/png\r\n\r\n").encode() + b"\x89PNG fake" + f"\r\n--{boundary}--\r\n".encode()
    r = admin.post(f"/api/v1/projects/{pid}/items/upload", parts, raw=True,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    eq(r.status, 201, r.body)
    item = r.json()["id"]
    ann_client = actors["annotator"][1]
    task = ann_client.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
    r = ann_client.post(f"/api/v1/projects/{pid}/tasks/{task}/annotations", {"body": body()})
    eq(r.status, 201, r.body)
    annotation = r.json()["id"]
    victim_token = e.cli("token", "create", "victim").stdout.strip()
    tokens = e.srv.client(token=victim_token).get("/api/v1/tokens").json()["tokens"]
    # a global ontology for the /ontologies routes (src/text)
    onto_csv = os.path.join(e.dir, "authz-onto.csv")
    with open(onto_csv, "w") as f:
        f.write("code,display,parent\nA,Alpha,\nB,Beta,A\n")
    loaded = e.cli("ontology", "load", onto_csv, "--name", "AUTHZ", "--version", "1").stdout
    ontology = int(loaded.split("loaded ontology ")[1].split(":")[0])
    # a DICOM item, through the import route, for the /frames route
    e.cli("dicom", "synth", os.path.join(e.dir, "ct"), "--kind", "ct", "--count", "1", "--rows", "8", "--cols", "8")
    dcm = open(os.path.join(e.dir, "ct", sorted(os.listdir(os.path.join(e.dir, "ct")))[0]), "rb").read()
    parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ct.dcm\"\r\n"
             f"Content-Type: application/dicom\r\n\r\n").encode() + dcm + f"\r\n--{boundary}--\r\n".encode()
    r = admin.post(f"/api/v1/projects/{pid}/import", parts, raw=True,
                   headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    eq(r.status, 200, r.body)
    items = admin.get(f"/api/v1/projects/{pid}/items?limit=100").json()["items"]
    dicom_item = [i for i in items if i["modality"] == "dicom-series"][0]["id"]
    ids = {"project": pid, "task": task, "item": item, "annotation": annotation, "user": victim,
           "token": tokens[0]["id"], "ontology": ontology, "frame": 1, "dicom_item": dicom_item}
    return actors, ids


# Object-level rules on top of the route's access: a user may revoke only their own tokens (the token in the
# matrix belongs to another user), so for non-admins that object does not exist; an annotator reads item
# content only through tasks they hold (the matrix's items, the uploaded image and the DICOM series, are not in
# tasks they hold).
def _not_for_annotators(actor):
    return 404 if actor in ("annotator", "outsider") else None


OBJECT_RULES = {("DELETE", "/api/v1/tokens/{token}"): lambda actor: None if actor == "admin" else 404,
                ("GET", "/api/v1/projects/{project}/items/{item}"): _not_for_annotators,
                ("GET", "/api/v1/projects/{project}/items/{item}/media"): _not_for_annotators,
                ("GET", "/api/v1/projects/{project}/items/{item}/history"): _not_for_annotators,
                ("GET", "/api/v1/projects/{project}/items/{item}/frames/{frame}"): _not_for_annotators}


def expected(route, actor):
    """None = allowed, else the exact denial status."""
    access = route["access"]
    rule = OBJECT_RULES.get((route["method"], route["path"]))
    if rule and actor != "anonymous":
        return rule(actor)
    if access == "public":
        return None
    if actor == "anonymous":
        return 401
    if actor == "admin" or access == "user":
        return None
    if access == "admin":
        return 403
    if actor == "outsider":
        return 404
    return None if actor in route["roles"] else 403


@test
def every_route_every_role():
    table = routes()
    assert len(table) >= 35, len(table)
    with Env() as e:
        actors, ids = setup(e)
        failures = []
        checked = 0
        for route in table:
            path = route["path"]
            if "/frames/" in path:
                path = path.replace("{item}", str(ids["dicom_item"]))
            for k, v in ids.items():
                path = path.replace("{" + k + "}", str(v))
            assert "{" not in path, path
            for actor, (_, client) in actors.items():
                if route["path"].endswith("/members/{user}") or "/annotators/{user}/" in route["path"]:
                    # so each DELETE finds a member to remove, each suspend / reinstate a member to act on
                    e.member(ids["project"], ids["user"], "viewer")
                kw = {}
                body_ = None
                if route["json_body"]:
                    body_ = {}
                elif route["multipart"]:
                    body_, kw = b"", {"raw": True, "headers": {"Content-Type": "application/json"}}
                r = client.request(route["method"], path, body_, **kw)
                want = expected(route, actor)
                checked += 1
                if want is not None:
                    if r.status != want:
                        failures.append(f"{route['method']} {route['path']} as {actor}: {r.status}, want {want}")
                    elif "error" not in r.json():
                        failures.append(f"{route['method']} {route['path']} as {actor}: no JSON error")
                elif r.status in (401, 403, 404) or r.status >= 500 or (route["method"] == "GET" and r.status != 200):
                    failures.append(f"{route['method']} {route['path']} as {actor}: {r.status} but allowed "
                                    f"{r.body[:120]!r}")
        assert not failures, "\n".join(failures)
        eq(checked, len(table) * len(actors))


@test
def route_table_is_well_formed():
    table = routes()
    seen = set()
    for r in table:
        key = (r["method"], r["path"])
        assert key not in seen, key
        seen.add(key)
        assert r["path"].startswith("/api/v1/"), r
        if r["access"] == "project":
            assert r["path"].startswith("/api/v1/projects/{project}"), r
            assert r["roles"], r
        if r["method"] != "GET":
            assert r["audited"], f"write route not audited: {key}"


if __name__ == "__main__":
    lib.main()
