"""De-identification on import (src/deid/import.c, wired into io_import_files and POST items): notes with
planted PHI go into a project whose settings require de-identification, through the CLI import, the HTTP
import and POST items; the database files, the API and the export must hold none of the planted strings,
surrogates must be consistent within a patient, date intervals kept; review mode hides items from
annotators until `medlabel deid apply` releases them."""
import datetime
import glob
import json
import os
import re

import lib
from apilib import Env
from lib import eq, test

SCHEMA = {
    "format": 1, "name": "deid", "modalities": ["text"],
    "controls": [{"name": "phi", "kind": "span",
                  "labels": [{"value": v} for v in ("PATIENT", "DOCTOR", "DATE", "PHONE", "MEDICALRECORD",
                                                    "EMAIL", "SSN", "IDNUM")]}],
}

PATIENTS = [("Harriet", "Quenneville", "MR-7731942"), ("Osvaldo", "Brankovich", "MR-5509217"),
            ("Philippa", "Ashcombe", "MR-3318840")]
DOCTORS = ["Dr. Ingrid Velasquez-Monroe", "Dr. Tobias Wexford"]


def notes():
    """(record, planted PHI strings, original admission and discharge dates) per note, 4 notes per patient."""
    out = []
    for p, (first, last, mrn) in enumerate(PATIENTS):
        for k in range(4):
            adm = datetime.date(2021, 1 + p * 3, 3 + k * 5)
            dis = adm + datetime.timedelta(days=2 + k)
            phone = f"(617) 555-{1200 + p * 10 + k:04d}"
            email = f"{first.lower()}.{last.lower()}@example.org"
            doc = DOCTORS[k % 2]
            text = (f"Patient {first} {last} was seen today. MRN: {mrn}.\n"
                    f"Admitted {adm:%m/%d/%Y}, discharged {dis:%m/%d/%Y}.\n"
                    f"Seen by {doc} for chest pain; troponin 0.02 ng/mL, BP 128/82, 2/6 murmur.\n"
                    f"Call {phone} or write to {email}.\n")
            rec = {"text": text, "patient_key": f"pk-{p}", "meta": {"known_names": [f"{first} {last}"],
                                                                   "known_mrns": [mrn], "ward": "cardiology"}}
            # dates as the pair: a lone shifted date may equal another note's original date, the pair may not
            # (its interval differs from note to note)
            planted = [first, last, mrn, f"Admitted {adm:%m/%d/%Y}, discharged {dis:%m/%d/%Y}", phone, email,
                       doc.split()[-1]]
            out.append((rec, planted, adm, dis))
    return out


def write_jsonl(path, recs):
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


def upload(client, pid, path):
    boundary = "deidflowboundary"
    data = open(path, "rb").read()
    parts = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{os.path.basename(path)}\"\r\n"
             f"Content-Type: application/x-ndjson\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(f"/api/v1/projects/{pid}/import", parts, raw=True,
                       headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})


def stored_bytes(data_dir):
    """Every byte SQLite wrote (database, WAL, journal)."""
    blob = b""
    for f in glob.glob(os.path.join(data_dir, "**", "*"), recursive=True):
        if os.path.isfile(f) and not f.endswith(".secret"):
            blob += open(f, "rb").read()
    return blob


def project(e, name, deid):
    c = e.srv.client(token=e.admin_token)
    r = c.post("/api/v1/projects", {"name": name})
    eq(r.status, 201, r.body)
    pid = r.json()["id"]
    eq(c.put(f"/api/v1/projects/{pid}/schema", {"schema": SCHEMA}).status, 200)
    r = c.patch(f"/api/v1/projects/{pid}", {"settings": {"deid": deid}})
    eq(r.status, 200, r.body)
    return c, pid


def all_items(c, pid):
    r = c.get(f"/api/v1/projects/{pid}/items?limit=1000")
    eq(r.status, 200, r.body)
    out = []
    for it in r.json()["items"]:
        g = c.get(f"/api/v1/projects/{pid}/items/{it['id']}")
        eq(g.status, 200, g.body)
        out.append(g.json())
    return out


def item_text(it):
    return it.get("text") or it.get("content", {}).get("text") or ""


@test
def surrogate_import_cli_http_and_post_keeps_no_phi():
    with Env() as e:
        c, pid = project(e, "deid-sur", {"text": "surrogate"})
        ns = notes()
        # bad settings are refused with the field named
        r = c.patch(f"/api/v1/projects/{pid}", {"settings": {"deid": {"text": "shred"}}})
        eq(r.status, 400, r.body)
        assert "/settings/deid" in r.body.decode(), r.body
        # four notes per patient: one third each by CLI import, HTTP import, POST items
        cli_recs = [n[0] for i, n in enumerate(ns) if i % 3 == 0]
        http_recs = [n[0] for i, n in enumerate(ns) if i % 3 == 1]
        post_recs = [n[0] for i, n in enumerate(ns) if i % 3 == 2]
        path = os.path.join(e.dir, "cli.jsonl")
        write_jsonl(path, cli_recs)
        e.cli("import", pid, path)
        path2 = os.path.join(e.dir, "upload.jsonl")
        write_jsonl(path2, http_recs)
        r = upload(c, pid, path2)
        eq(r.status, 200, r.body)
        eq(r.json()["imported"], len(http_recs))
        for rec in post_recs:
            r = c.post(f"/api/v1/projects/{pid}/items", rec)
            eq(r.status, 201, r.body)
        items = all_items(c, pid)
        eq(len(items), len(ns))
        planted = sorted({s for n in ns for s in n[1]}, key=len, reverse=True)
        # nothing planted in the database files, the API answers or the export
        export = e.cli("export", pid, "--format", "jsonl").stdout
        blob = stored_bytes(e.data)
        api = json.dumps(items)
        for s in planted:
            assert s.encode() not in blob, f"planted PHI #{planted.index(s)} found in the database files"
            assert s not in api, f"planted PHI #{planted.index(s)} found in the API"
            assert s not in export, f"planted PHI #{planted.index(s)} found in the export"
        # clinical content survives; metadata keeps its other fields and records the engine, not the identifiers
        by_text = {}
        for it in items:
            t = item_text(it)
            assert "troponin 0.02 ng/mL, BP 128/82, 2/6 murmur" in t, "clinical text was changed"
            meta = it["meta"]
            eq(meta.get("ward"), "cardiology")
            assert "known_names" not in meta and "known_mrns" not in meta, meta
            eq(meta["deid"]["mode"], "surrogate")
            assert meta["deid"]["engine"].startswith("medlabel-deid "), meta
            by_text[t] = it
        # surrogates consistent within a patient, different between patients
        sur = {}
        for it in items:
            m = re.match(r"Patient (.+?) was seen today", item_text(it))
            assert m, "template lost"
            sur.setdefault(it["patient_key"], set()).add(m.group(1))
        for k, v in sur.items():
            eq(len(v), 1, f"patient {k} got {len(v)} different surrogate names")
        eq(len({next(iter(v)) for v in sur.values()}), len(PATIENTS))
        # dates shifted by one offset per patient, intervals kept
        orig = {}
        for rec, _, adm, dis in ns:
            orig.setdefault(rec["patient_key"], []).append((adm, dis))
        shifts = {}
        for it in items:
            m = re.search(r"Admitted (\d\d/\d\d/\d{4}), discharged (\d\d/\d\d/\d{4})", item_text(it))
            assert m, "date format not kept"
            a = datetime.datetime.strptime(m.group(1), "%m/%d/%Y").date()
            d = datetime.datetime.strptime(m.group(2), "%m/%d/%Y").date()
            cands = [(oa, od) for oa, od in orig[it["patient_key"]] if (od - oa) == (d - a)]
            assert cands, "interval between admission and discharge changed"
            shifts.setdefault(it["patient_key"], set()).add(min((a - oa).days for oa, _ in cands if True))
        for k, v in shifts.items():
            assert all(x != 0 for x in v), "dates were not shifted"
        # content hash is the stored text's
        import hashlib
        for it in items:
            if "content_hash" in it:
                eq(it["content_hash"], hashlib.blake2b(item_text(it).encode(), digest_size=32).hexdigest())


@test
def review_mode_hides_items_until_applied():
    with Env() as e:
        c, pid = project(e, "deid-review", {"text": "tag", "review": True})
        ns = notes()[:3]
        path = os.path.join(e.dir, "rev.jsonl")
        write_jsonl(path, [n[0] for n in ns])
        e.cli("import", pid, path)
        uid, ann = e.user("annie")
        e.member(pid, uid, "annotator")
        # the annotator gets no task and cannot read the hidden items; the manager sees them with proposals
        r = ann.get(f"/api/v1/projects/{pid}/next")
        eq(r.status, 200, r.body)
        eq(r.json()["task"], None)
        items = c.get(f"/api/v1/projects/{pid}/items?limit=100").json()["items"]
        eq(len(items), 3)
        for it in items:
            eq(it["visible"], False)
            eq(ann.get(f"/api/v1/projects/{pid}/items/{it['id']}").status, 404)
        # the reviewer corrects one item: only the patient's surname is PHI in their reviewed version
        tasks = c.get(f"/api/v1/projects/{pid}/tasks?limit=100").json()["tasks"]
        first = min(tasks, key=lambda t: t["item_id"])
        it0 = c.get(f"/api/v1/projects/{pid}/items/{first['item_id']}").json()
        t0 = item_text(it0)
        eq(it0["meta"]["deid"]["status"], "pending-review")
        last, mrn = PATIENTS[0][1], PATIENTS[0][2]

        def reviewed(text):
            """The reviewer's spans: the surname and the MRN (quoted, as the UI does), not the first name."""
            res = []
            for k, (v, label) in enumerate(((last, "PATIENT"), (mrn, "MEDICALRECORD"))):
                a = text.index(v)
                res.append({"id": f"r{k}", "control": "phi", "label": label, "start": a, "end": a + len(v),
                            "text": v})
            return {"format": 1, "results": res}
        body = reviewed(t0)
        eq(ann.post(f"/api/v1/projects/{pid}/items/{first['item_id']}/deid", {"body": body}).status, 403)
        bad = {"format": 1, "results": [dict(body["results"][0], end=10 ** 6)]}
        r = c.post(f"/api/v1/projects/{pid}/items/{first['item_id']}/deid", {"body": bad})
        eq(r.status, 400, r.body)
        assert last not in r.body.decode(), "an error quoted PHI"
        r = c.post(f"/api/v1/projects/{pid}/items/{first['item_id']}/deid", {"body": body})
        eq(r.status, 200, r.body)
        eq(c.post(f"/api/v1/projects/{pid}/items/{first['item_id']}/deid", {"body": body}).status, 409)
        # a reviewer's stored decision (an adjudication) on the second item is what `deid apply` uses;
        # without --accept-proposals the third, unreviewed one stays hidden
        second = sorted(tasks, key=lambda t: t["item_id"])[1]
        t1 = item_text(c.get(f"/api/v1/projects/{pid}/items/{second['item_id']}").json())
        r = c.post(f"/api/v1/projects/{pid}/tasks/{second['id']}/adjudication", {"body": reviewed(t1)})
        eq(r.status, 201, r.body)
        out = e.cli("deid", "apply", pid).stdout
        assert "released 1 items; 1 still await review" in out, out
        it1 = c.get(f"/api/v1/projects/{pid}/items/{second['item_id']}").json()
        assert last not in item_text(it1) and mrn not in item_text(it1), "reviewed spans not replaced"
        assert PATIENTS[0][0] in item_text(it1), "only the reviewed spans are replaced"
        eq(it1["meta"]["deid"]["status"], "released")
        eq(it1["meta"]["deid"]["spans"], 2)
        it0 = c.get(f"/api/v1/projects/{pid}/items/{first['item_id']}").json()
        eq(it0["visible"], True)
        eq(it0["meta"]["deid"]["status"], "released")
        assert "known_names" not in it0["meta"], it0["meta"]
        assert last not in item_text(it0) and "[PATIENT]" in item_text(it0), "reviewed span not replaced"
        assert PATIENTS[0][0] in item_text(it0), "only the reviewed spans are replaced"
        out = e.cli("deid", "apply", pid, "--accept-proposals").stdout
        assert "released 1 items; 0 still await review" in out, out
        # the export holds neither the reviewed PHI (the adjudication quoted it: its new version quotes the
        # de-identified text) nor the proposals' PHI
        export = e.cli("export", pid, "--format", "jsonl").stdout
        assert last not in export and mrn not in export, "reviewed PHI in the export"
        recs = [json.loads(l) for l in export.splitlines() if l.strip()]
        assert any("[PATIENT]" in json.dumps(x) for x in recs), export[:300]
        for it in all_items(c, pid)[2:]:  # the third item: the proposal as is
            eq(it["meta"]["deid"]["status"], "released")
            for phi in ns[0][1][:4]:
                assert phi not in item_text(it), "proposal not applied"
        r = ann.get(f"/api/v1/projects/{pid}/next")
        eq(r.status, 200, r.body)
        assert r.json()["task"] is not None, "released items are leased"
        leased = r.json()["task"]["item_id"]
        g = ann.get(f"/api/v1/projects/{pid}/items/{leased}")
        eq(g.status, 200, g.body)
        assert "[PATIENT]" in item_text(g.json()), "the annotator sees the de-identified text"
        # a project without review mode refuses deid apply
        eq(e.cli("deid", "apply", "999", check=False).returncode != 0, True)


if __name__ == "__main__":
    lib.main()
