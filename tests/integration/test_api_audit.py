"""The audit trail: audited requests append chained records; `medlabel audit verify` names the first bad record
after a change, a deletion, an insertion or a reordering in a copy of the database; export streams JSONL;
GET /audit filters; no PHI reaches the audit trail or the server log."""
import hashlib
import json
import os
import shutil
import sqlite3
import time

import lib
from apilib import Env, body
from lib import eq, test

STATE = {}


def populated():
    """A data folder whose audit trail has a few dozen records, and the server that wrote it (stopped)."""
    if STATE:
        return STATE
    e = Env().__enter__()
    pid = e.project("audited", items=3)
    uid, c = e.user("auditee")
    vid, viewer = e.user("auditviewer")
    e.member(pid, uid, "annotator")
    e.member(pid, vid, "viewer")
    t = c.get(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
    eq(c.post(f"/api/v1/projects/{pid}/tasks/{t}/annotations", {"body": body()}).status, 201)
    r = e.admin.post(f"/api/v1/projects/{pid}/items", {"text": "PHI-SENTINEL Jane Roe born 1970-01-02"})
    eq(r.status, 201)
    held = e.admin.get(f"/api/v1/projects/{pid}/tasks/{t}").json()["item_id"]
    STATE.update(e=e, pid=pid, uid=uid, viewer=viewer, c=c, read_item=held, since=lib_time_ms())
    eq(c.get(f"/api/v1/projects/{pid}/items/{held}").status, 200)  # an audited content read
    eq(c.get(f"/api/v1/projects/{pid}/items/{held}").status, 200)
    eq(e.admin.get(f"/api/v1/projects/{pid}/items/{r.json()['id']}").status, 200)  # the admin reads the PHI item
    return STATE


def lib_time_ms():
    time.sleep(0.01)
    return int(time.time() * 1000)


def copy_db(e, name, secret=True):
    """A copy of the deployment's database (and, unless told otherwise, of its secret, which keys the chain)."""
    d = os.path.join(e.dir, name)
    os.makedirs(d)
    src = sqlite3.connect(os.path.join(e.data, "medlabel.db"))
    dst = sqlite3.connect(os.path.join(d, "medlabel.db"))
    src.backup(dst)
    src.close()
    if secret:
        shutil.copy(os.path.join(e.data, "deployment.secret"), d)
    return d, dst


COLS = "seq, at, user_id, role, action, object, client, status, prev_hash"


def unkeyed_hash(row, version="ml-audit-1"):
    """The unkeyed BLAKE2b-512 chain hash anyone can compute (src/auth/audit.c, canonical form)."""
    seq, at, uid, role, action, obj, client, status, prev = row
    out = b""
    for tag, v in (("v", version), ("s", seq), ("t", at), ("u", uid), ("r", role), ("a", action), ("o", obj),
                   ("c", client), ("x", status), ("p", prev)):
        v = str(v).encode()
        out += f"{tag}{len(v)}:".encode() + v
    return hashlib.blake2b(out, digest_size=64).hexdigest()


def rechain_unkeyed(db, start, scheme, change=None, end=None):
    """What someone with write access but without the secret can do: rewrite records from `start` on and
    recompute their chain with plain BLAKE2b, claiming `scheme` for them."""
    prev = db.execute("SELECT hash FROM audit WHERE seq = ?", (start - 1,)).fetchone()
    prev = prev[0] if prev else ""
    if change:
        db.execute(change, (start,))
    rows = db.execute(f"SELECT {COLS} FROM audit WHERE seq >= ? AND seq <= ? ORDER BY seq",
                      (start, end or 2 ** 62)).fetchall()
    for row in rows:
        row = row[:-1] + (prev,)
        h = unkeyed_hash(row, "ml-audit-2" if scheme == 2 else "ml-audit-1")
        db.execute("UPDATE audit SET prev_hash = ?, hash = ?, scheme = ? WHERE seq = ?", (prev, h, scheme, row[0]))
        prev = h


def verify(data):
    return lib.run("audit", "verify", data=data, check=False)


@test
def intact_trail_verifies():
    s = populated()
    p = verify(s["e"].data)
    eq(p.returncode, 0, p.stderr)
    n = int(p.stdout.split(":")[1].split()[0])
    assert n >= 10, p.stdout


def tampered(kind, k):
    s = populated()
    d, db = copy_db(s["e"], f"{kind}-{k}")
    cols = "at, user_id, role, action, object, client, status, prev_hash, hash"
    if kind == "change":
        db.execute("UPDATE audit SET status = status + 1 WHERE seq = ?", (k,))
    elif kind == "change-object":
        db.execute("UPDATE audit SET object = 'projects/999' WHERE seq = ?", (k,))
    elif kind == "delete":
        db.execute("DELETE FROM audit WHERE seq = ?", (k,))
    elif kind == "delete-renumber":
        db.execute("DELETE FROM audit WHERE seq = ?", (k,))
        db.execute("UPDATE audit SET seq = -(seq - 1) WHERE seq > ?", (k,))
        db.execute("UPDATE audit SET seq = -seq WHERE seq < 0")
    elif kind == "insert":
        # make room at k, then insert a copy of record 1 there (a plausible but forged record)
        db.execute("UPDATE audit SET seq = -(seq + 1) WHERE seq >= ?", (k,))
        db.execute("UPDATE audit SET seq = -seq WHERE seq < 0")
        db.execute(f"INSERT INTO audit(seq, {cols}) SELECT ?, {cols} FROM audit WHERE seq = 1", (k,))
    elif kind == "reorder":
        a = db.execute(f"SELECT {cols} FROM audit WHERE seq = ?", (k,)).fetchone()
        b = db.execute(f"SELECT {cols} FROM audit WHERE seq = ?", (k + 1,)).fetchone()
        sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
        db.execute(f"UPDATE audit SET {sets} WHERE seq = ?", (*b, k))
        db.execute(f"UPDATE audit SET {sets} WHERE seq = ?", (*a, k + 1))
    db.commit()
    db.close()
    p = verify(d)
    eq(p.returncode, 1, f"{kind} at {k} not detected: {p.stdout}")
    assert f"first bad record: {k}:" in p.stderr, (kind, k, p.stderr)
    return p.stderr


@test
def a_changed_record_is_named():
    for k in (1, 5, 9):
        assert "changed" in tampered("change", k)
    tampered("change-object", 3)


@test
def a_deleted_record_is_named():
    assert "missing" in tampered("delete", 4)
    tampered("delete-renumber", 6)


@test
def an_inserted_record_is_named():
    tampered("insert", 2)
    tampered("insert", 7)


@test
def reordered_records_are_named():
    tampered("reorder", 3)
    tampered("reorder", 8)


@test
def a_chain_rewritten_without_the_secret_is_named():
    """The chain is keyed from the deployment secret: changing a record and recomputing the chain after it,
    as plain BLAKE2b (claimed keyed, or downgraded to the older unkeyed scheme), is caught at that record."""
    s = populated()
    for scheme in (2, 1):
        d, db = copy_db(s["e"], f"rechained-{scheme}")
        rechain_unkeyed(db, 4, scheme, change="UPDATE audit SET status = 200 WHERE seq = ?")
        db.commit()
        db.close()
        p = verify(d)
        eq(p.returncode, 1, p.stdout)
        assert "first bad record: 4:" in p.stderr, p.stderr
    # a copy of the database without the secret cannot be checked past its first keyed record, and says why
    d, db = copy_db(s["e"], "no-secret", secret=False)
    db.close()
    p = verify(d)
    eq(p.returncode, 1)
    assert "first bad record: 1:" in p.stderr and "secret" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(d, "deployment.secret"))  # verifying never creates one


@test
def an_older_unkeyed_trail_still_verifies_and_is_sealed():
    """A database from before schema 6 (records chained with unkeyed BLAKE2b, no scheme column) migrates
    and verifies; records appended after it are keyed and seal the older ones."""
    s = populated()
    d, db = copy_db(s["e"], "older")
    n = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    rechain_unkeyed(db, 1, 1)
    db.execute("ALTER TABLE audit DROP COLUMN scheme")
    db.execute("DELETE FROM migrations WHERE version >= 6")
    db.execute("PRAGMA user_version = 5")
    db.commit()
    db.close()
    p = verify(d)
    eq(p.returncode, 0, p.stderr)
    assert f"{n} records (1 to {n}) use the unkeyed chain" in p.stdout and "no keyed record" in p.stdout, p.stdout
    # a CLI write appends a keyed record after them
    lib.run("user", "add", "sealer", "--password-stdin", data=d, input="a password for the sealer\n")
    p = verify(d)
    eq(p.returncode, 0, p.stderr)
    assert f"{n} records (1 to {n}) use the unkeyed chain" in p.stdout and "seal them" in p.stdout, p.stdout
    total = n + 1
    # now a change to an old record, even with the old records rechained (no key needed for them), breaks
    # the link of the first keyed record, which cannot be recomputed without the key
    d2 = d + "-tampered"
    shutil.copytree(d, d2)
    db = sqlite3.connect(os.path.join(d2, "medlabel.db"))
    rechain_unkeyed(db, 2, 1, change="UPDATE audit SET user_id = 77 WHERE seq = ?", end=n)
    db.commit()
    db.close()
    p = verify(d2)
    eq(p.returncode, 1, p.stdout)
    assert f"first bad record: {n + 1}:" in p.stderr, p.stderr
    # the limit of what a key inside the deployment can prove: rewriting the whole trail in the old scheme
    # verifies, but the count of unkeyed records, which only ever stays the same, has grown
    db = sqlite3.connect(os.path.join(d, "medlabel.db"))
    rechain_unkeyed(db, 2, 1, change="UPDATE audit SET user_id = 77 WHERE seq = ?")
    db.commit()
    db.close()
    p = verify(d)
    assert f"{total} records (1 to {total}) use the unkeyed chain" in p.stdout, p.stdout


@test
def export_since_streams_jsonl():
    s = populated()
    e = s["e"]
    p = lib.run("audit", "export", data=e.data)
    allrecs = [json.loads(x) for x in p.stdout.splitlines()]
    eq([r["seq"] for r in allrecs], list(range(1, len(allrecs) + 1)))
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s["since"] / 1000)) + ".%03dZ" % (s["since"] % 1000)
    p = lib.run("audit", "export", "--since", since, data=e.data)
    recent = [json.loads(x) for x in p.stdout.splitlines()]
    assert 2 <= len(recent) < len(allrecs), (len(recent), len(allrecs))
    assert all(r["action"] for r in recent)
    eq(lib.run("audit", "export", "--since", "yesterday", data=e.data, check=False).returncode, 2)


@test
def audit_api_filters_and_project_scope():
    s = populated()
    e, pid = s["e"], s["pid"]
    c = e.srv.client(token=e.admin_token)
    recs = c.get("/api/v1/audit?limit=1000").json()["records"]
    actions = {r["action"] for r in recs}
    assert {"item.create", "annotation.create", "task.lease", "item.read", "session.login"} <= actions, actions
    mine = c.get(f"/api/v1/audit?user={s['uid']}").json()["records"]
    assert mine and all(r["user_id"] == s["uid"] for r in mine)
    reads = c.get(f"/api/v1/audit?action=item.read&user={s['uid']}").json()["records"]
    eq(len(reads), 2)
    eq(reads[0]["object"], f"projects/{pid}/items/{s['read_item']}")
    eq(reads[0]["role"], "annotator")
    eq(reads[0]["status"], 200)
    paged = c.get("/api/v1/audit?limit=2").json()
    eq(len(paged["records"]), 2)
    nxt = c.get(f"/api/v1/audit?limit=2&after={paged['next_after']}").json()["records"]
    eq(nxt[0]["seq"], paged["records"][1]["seq"] + 1)
    # a project viewer sees only that project's records
    proj = s["viewer"].get(f"/api/v1/projects/{pid}/audit?limit=1000").json()["records"]
    assert proj and all(r["object"].startswith(f"projects/{pid}/") or r["object"] == f"projects/{pid}"
                        for r in proj)
    eq(s["viewer"].get(f"/api/v1/projects/{pid}/audit?object=users").status, 400)
    eq(s["c"].get(f"/api/v1/projects/{pid}/audit").status, 403)  # annotators do not read the trail
    eq(s["viewer"].get("/api/v1/audit").status, 403)


@test
def failed_and_refused_requests_are_audited_too():
    s = populated()
    e, pid = s["e"], s["pid"]
    eq(s["viewer"].post(f"/api/v1/projects/{pid}/items", {"text": "x"}).status, 403)
    recs = e.srv.client(token=e.admin_token).get("/api/v1/audit?action=item.create").json()["records"]
    assert any(r["status"] == 403 for r in recs), recs


@test
def no_phi_in_audit_trail_or_server_log():
    s = populated()
    e = s["e"]
    db = sqlite3.connect(os.path.join(e.data, "medlabel.db"))
    dump = "\n".join(str(row) for row in db.execute("SELECT * FROM audit"))
    db.close()
    log = e.srv.read_log()
    for secret in ("PHI-SENTINEL", "Jane Roe", "auditee", "note 0", "ünïcode"):
        assert secret not in dump, secret
        assert secret not in log, secret


if __name__ == "__main__":
    try:
        lib.main()
    finally:
        if STATE:
            STATE["e"].__exit__(None, None, None)
