"""32 clients at once on one project for ~10 s: 28 annotators lease and submit (and revise) annotations, 4
managers race to edit one shared annotation with If-Match. Afterwards: every acknowledged annotation is in
the database with its acknowledged version and body; no task was leased to more annotators than its
overlap; every stale If-Match got 409 and the shared annotation's version equals 1 + the successful edits."""
import http.client
import json
import os
import threading
import time

import lib
from apilib import Env, body, label_of
from lib import eq, test

SECONDS = float(os.environ.get("MEDLABEL_CONCURRENCY_SECONDS", "10"))
ANNOTATORS, MANAGERS, OVERLAP = 28, 4, 2


class Conn:
    """A keep-alive connection with a bearer token."""

    def __init__(self, port, token):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def req(self, method, path, obj=None, headers=None):
        h = dict(self.h, **(headers or {}))
        self.c.request(method, path, body=json.dumps(obj).encode() if obj is not None else None, headers=h)
        r = self.c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None), r.getheader("ETag")


@test
def thirty_two_clients_lose_nothing():
    with Env() as e:
        pid = e.project("busy", items=0, overlap=OVERLAP)
        admin = e.srv.client(token=e.admin_token)
        for i in range(1500):
            eq(admin.post(f"/api/v1/projects/{pid}/items", {"text": f"n{i}"}).status, 201)
        ann_tokens, mgr_tokens = [], []
        for i in range(ANNOTATORS):
            uid, c = e.user(f"a{i}")
            e.member(pid, uid, "annotator")
            ann_tokens.append((uid, c.token))
        for i in range(MANAGERS):
            uid, c = e.user(f"m{i}")
            e.member(pid, uid, "manager")
            mgr_tokens.append(c.token)
        # the shared annotation the managers fight over, made by annotator 0
        c0 = Conn(e.srv.port, ann_tokens[0][1])
        _, t, _ = c0.req("GET", f"/api/v1/projects/{pid}/next")
        st, shared, _ = c0.req("POST", f"/api/v1/projects/{pid}/tasks/{t['task']['id']}/annotations", {"body": body()})
        eq(st, 201)
        shared_id = shared["id"]

        deadline = time.time() + SECONDS
        acked = {}      # annotation id -> (version, body label)
        leases = {}     # task id -> set of users
        errors = []
        stale_ok = [0]
        edits = [0]
        lock = threading.Lock()

        def annotator(uid, token):
            try:
                c = Conn(e.srv.port, token)
                n = 0
                while time.time() < deadline:
                    st, r, _ = c.req("GET", f"/api/v1/projects/{pid}/next")
                    if st != 200:
                        errors.append(f"next: {st} {r}")
                        return
                    if r["task"] is None:
                        return
                    tid = r["task"]["id"]
                    with lock:
                        leases.setdefault(tid, set()).add(uid)
                    label = "yes" if n % 2 else "no"
                    st, a, etag = c.req("POST", f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body(label)})
                    if st != 201:
                        errors.append(f"create: {st} {a}")
                        return
                    with lock:
                        acked[a["id"]] = (1, label)
                    if n % 3 == 0:  # revise, then try the stale version again
                        st, a2, _ = c.req("PUT", f"/api/v1/projects/{pid}/annotations/{a['id']}",
                                          {"body": body("maybe")}, {"If-Match": etag})
                        if st != 200:
                            errors.append(f"update: {st} {a2}")
                            return
                        with lock:
                            acked[a["id"]] = (a2["version"], "maybe")
                        st, _, _ = c.req("PUT", f"/api/v1/projects/{pid}/annotations/{a['id']}",
                                         {"body": body("no")}, {"If-Match": etag})
                        if st != 409:
                            errors.append(f"stale If-Match got {st}")
                            return
                        with lock:
                            stale_ok[0] += 1
                    n += 1
            except Exception as ex:  # noqa: BLE001 - reported below
                errors.append(repr(ex))

        def manager(token):
            try:
                c = Conn(e.srv.port, token)
                url = f"/api/v1/projects/{pid}/annotations/{shared_id}"
                while time.time() < deadline:
                    st, a, etag = c.req("GET", url)
                    if st != 200:
                        errors.append(f"get shared: {st}")
                        return
                    st, r, _ = c.req("PUT", url, {"body": body("yes")}, {"If-Match": etag})
                    if st == 200:
                        with lock:
                            edits[0] += 1
                    elif st != 409:
                        errors.append(f"shared update: {st} {r}")
                        return
            except Exception as ex:  # noqa: BLE001
                errors.append(repr(ex))

        threads = [threading.Thread(target=annotator, args=a) for a in ann_tokens]
        threads += [threading.Thread(target=manager, args=(m,)) for m in mgr_tokens]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors, errors[:5]
        assert len(acked) > 100, len(acked)
        assert stale_ok[0] > 10
        # no task held by more annotators than its overlap, nobody twice
        over = {t: u for t, u in leases.items() if len(u) > OVERLAP}
        assert not over, over
        # every acknowledged annotation is there with its acknowledged version and body
        final = {}
        r = admin.get(f"/api/v1/projects/{pid}/export")
        for line in r.body.decode().splitlines():
            for a in json.loads(line)["annotations"]:
                final[a["id"]] = (a["version"], label_of(a["labels"]))
        for aid, v in acked.items():
            eq(final.get(aid), v, f"annotation {aid}")
        st, shared_now, _ = Conn(e.srv.port, e.admin_token).req("GET", f"/api/v1/projects/{pid}/annotations/{shared_id}")
        eq(shared_now["version"], 1 + edits[0])
        assert edits[0] > 0
        print(f"# {len(acked)} annotations acknowledged, {stale_ok[0]} stale If-Match refused, "
              f"{edits[0]} racing edits won", flush=True)


if __name__ == "__main__":
    lib.main()
