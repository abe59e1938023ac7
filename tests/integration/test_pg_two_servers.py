"""User story 5: a deployment grown on SQLite moves to PostgreSQL with `medlabel db copy` and runs two
servers on that database. A populated SQLite deployment is copied; its export read through PostgreSQL is
byte-identical to the SQLite one; then two `medlabel serve` processes share the PostgreSQL database (and
the data folder) while 16 annotators submit through both for a few seconds: no task slot is leased to
more annotators than its overlap, every acknowledged annotation is in the export, and `audit verify`
passes on the one chain both servers appended to. Skipped when PostgreSQL's binaries are absent."""
import http.client
import json
import os
import threading
import time

import lib
import pglib
from apilib import Env, body, label_of
from lib import eq, test

SECONDS = float(os.environ.get("MEDLABEL_PG_SECONDS", "4"))
ANNOTATORS, OVERLAP, ITEMS = 16, 2, 400


class Conn:
    """A keep-alive connection with a bearer token."""

    def __init__(self, port, token):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def req(self, method, path, obj=None):
        self.c.request(method, path, body=json.dumps(obj).encode() if obj is not None else None, headers=self.h)
        r = self.c.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)


def export(data, pid, out, db=None):
    args = (["--db", db] if db else []) + ["export", str(pid), "--out", out]
    lib.run(*args, data=data)
    with open(out, "rb") as f:
        return f.read()


def annotations_in(jsonl):
    """The annotators' annotations of an export (consensus ones are made by the server)."""
    found = {}
    for line in jsonl.decode().splitlines():
        for a in json.loads(line)["annotations"]:
            if a["kind"] == "human":
                found[a["id"]] = label_of(a["labels"])
    return found


@test
def sqlite_copied_to_postgres_serves_from_two_servers():
    cluster = pglib.Cluster()  # skips here when PostgreSQL is absent
    with Env() as e:
        pid = e.project("moving", items=0, overlap=OVERLAP)
        admin = e.srv.client(token=e.admin_token)
        for i in range(ITEMS):
            eq(admin.post(f"/api/v1/projects/{pid}/items", {"text": f"note {i} — ü", "meta": {"n": i}}).status, 201)
        tokens = []
        for i in range(ANNOTATORS):
            uid, c = e.user(f"a{i}")
            e.member(pid, uid, "annotator")
            tokens.append((uid, c.token))
        # some work done on SQLite before the move
        before = {}
        for uid, tok in tokens[:4]:
            c = Conn(e.srv.port, tok)
            for _ in range(5):
                st, r = c.req("GET", f"/api/v1/projects/{pid}/next")
                eq(st, 200)
                tid = r["task"]["id"]
                st, a = c.req("POST", f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body("yes")})
                eq(st, 201, a)
                before[a["id"]] = "yes"
    data = e.data
    sqlite_export = export(data, pid, os.path.join(e.dir, "sqlite.jsonl"))
    eq(annotations_in(sqlite_export), before)

    with cluster:
        url = cluster.database("medlabel")
        p = lib.run("db", "copy", f"sqlite:{data}/medlabel.db", url, data=data)
        assert "copied" in p.stdout, p.stdout
        # a second copy is refused: the destination is no longer empty
        p = lib.run("db", "copy", f"sqlite:{data}/medlabel.db", url, data=data, check=False)
        assert p.returncode != 0 and "not empty" in p.stderr, p.stderr
        eq(export(data, pid, os.path.join(e.dir, "pg.jsonl"), db=url), sqlite_export)
        lib.run("--db", url, "audit", "verify", data=data)

        env = dict(os.environ, MEDLABEL_DB=url)
        with lib.Server(data, env=env) as s1, lib.Server(data, env=env) as s2:
            servers = [s1, s2]
            deadline = time.time() + SECONDS
            acked, leases, errors = {}, {}, []
            lock = threading.Lock()

            def annotator(k, uid, token):
                try:
                    # each annotator alternates between the two servers, as behind a load balancer
                    conns = [Conn(servers[(k + j) % 2].port, token) for j in range(2)]
                    n = 0
                    while time.time() < deadline:
                        c = conns[n % 2]
                        st, r = c.req("GET", f"/api/v1/projects/{pid}/next")
                        if st != 200:
                            errors.append(f"next: {st} {r}")
                            return
                        if r["task"] is None:
                            return
                        tid = r["task"]["id"]
                        with lock:
                            leases.setdefault(tid, set()).add(uid)
                        label = "no" if n % 2 else "maybe"
                        st, a = c.req("POST", f"/api/v1/projects/{pid}/tasks/{tid}/annotations", {"body": body(label)})
                        if st != 201:
                            errors.append(f"create: {st} {a}")
                            return
                        with lock:
                            acked[a["id"]] = label
                        n += 1
                except Exception as ex:  # noqa: BLE001 - reported below
                    errors.append(repr(ex))

            threads = [threading.Thread(target=annotator, args=(k, uid, tok)) for k, (uid, tok) in enumerate(tokens)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert not errors, errors[:5]
            assert len(acked) > 50, len(acked)
        # no slot leased twice: no task handed to more annotators than its overlap
        over = {t: u for t, u in leases.items() if len(u) > OVERLAP}
        assert not over, over
        # no acknowledged annotation lost, the ones from before the move included
        final = annotations_in(export(data, pid, os.path.join(e.dir, "after.jsonl"), db=url))
        for aid, label in list(before.items()) + list(acked.items()):
            eq(final.get(aid), label, f"annotation {aid}")
        eq(len(final), len(before) + len(acked))
        # one audit chain, appended by both servers, verifies
        p = lib.run("--db", url, "audit", "verify", data=data)
        print(f"# {len(acked)} annotations through two servers on PostgreSQL; audit: {p.stdout.strip()}", flush=True)


if __name__ == "__main__":
    lib.main()
