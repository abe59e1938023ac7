"""The ontology API against the real server: search ranking, parents and children, global versus project
ontologies (a project's ontology is invisible elsewhere), bad queries, and search latency over HTTP on a
generated 20,000-concept ontology."""
import os
import time
import urllib.parse

import lib
from apilib import Env
from lib import eq, test


def load(e, name, text, *extra):
    path = os.path.join(e.dir, name + ".obo")
    with open(path, "w") as f:
        f.write(text)
    out = e.cli("ontology", "load", path, "--name", name, "--version", "1", *extra).stdout
    return int(out.split("loaded ontology ")[1].split(":")[0])


HPO = """format-version: 1.2
ontology: hp

[Term]
id: HP:0000118
name: Phenotypic abnormality

[Term]
id: HP:0001250
name: Seizure
synonym: "Epileptic seizure" EXACT []
alt_id: HP:0002279
is_a: HP:0000118

[Term]
id: HP:0002133
name: Status epilepticus
is_a: HP:0001250

[Term]
id: HP:0100806
name: Sepsis
is_a: HP:0000118
"""


def synthetic(n):
    words = ["cardio", "neuro", "hepato", "nephro", "gastro", "dermato", "osteo", "pulmo"]
    ends = ["pathy", "itis", "osis", "algia", "megaly", "plasia"]
    out = ["format-version: 1.2", ""]
    for i in range(n):
        out += ["[Term]", f"id: SY:{i:07d}", f"name: {words[i % 8]}{ends[(i // 8) % 6]} form {i}",
                f"synonym: \"{words[(i + 3) % 8]}{ends[i % 6]} variant {i}\" EXACT []"]
        if i:
            out.append(f"is_a: SY:{(i - 1) // 4:07d}")
        out.append("")
    return "\n".join(out)


def q(s):
    return urllib.parse.quote(s)


@test
def search_parents_children_and_scopes():
    with Env() as e:
        pid = e.project("notes", items=1)
        other = e.project("other", items=0)
        hp = load(e, "HPO", HPO)
        private = load(e, "PRIV", "[Term]\nid: P:1\nname: Private thing\n", "--project", str(pid))
        uid, member = e.user("ann")
        e.member(pid, uid, "annotator")
        r = member.get(f"/api/v1/ontologies/{hp}/search?q=siezure")
        eq(r.status, 200, r.body)
        hits = r.json()["hits"]
        eq(hits[0]["code"], "HP:0001250")
        eq(hits[0]["match"], "fuzzy")
        r = member.get(f"/api/v1/ontologies/{hp}/search?q={q('epilep')}&limit=5")
        eq([h["code"] for h in r.json()["hits"]], ["HP:0001250", "HP:0002133"])
        eq(r.json()["hits"][0]["matched"], "Epileptic seizure")
        r = member.get(f"/api/v1/ontologies/{hp}/parents?code={q('HP:0002279')}")  # an alt_id
        eq(r.json(), {"code": "HP:0001250", "parents": [{"code": "HP:0000118", "display": "Phenotypic abnormality"}]})
        r = member.get(f"/api/v1/ontologies/{hp}/children?code={q('HP:0000118')}")
        eq([c["code"] for c in r.json()["children"]], ["HP:0001250", "HP:0100806"])
        r = member.get(f"/api/v1/ontologies/{hp}/children")
        eq(r.json()["children"], [{"code": "HP:0000118", "display": "Phenotypic abnormality"}])
        r = member.get(f"/api/v1/ontologies/{hp}/parents?code=NOPE")
        eq(r.status, 404, r.body)
        r = member.get(f"/api/v1/ontologies/{hp}/search?limit=0")
        eq(r.status, 400, r.body)
        r = member.get(f"/api/v1/ontologies/{hp}/search?q={q(chr(0xe9) * 600)}")
        eq(r.status, 413, r.body)  # longer than 512 bytes
        # the project's own ontology: visible in the project, not globally, not in another project
        eq([o["name"] for o in member.get("/api/v1/ontologies").json()["ontologies"]], ["HPO"])
        eq(sorted(o["name"] for o in member.get(f"/api/v1/projects/{pid}/ontologies").json()["ontologies"]),
           ["HPO", "PRIV"])
        r = member.get(f"/api/v1/projects/{pid}/ontologies/{private}/search?q=private")
        eq(r.json()["hits"][0]["code"], "P:1")
        eq(member.get(f"/api/v1/ontologies/{private}/search?q=private").status, 404)
        admin = e.srv.client(token=e.admin_token)
        eq(admin.get(f"/api/v1/projects/{other}/ontologies/{private}").status, 404)
        eq(member.get(f"/api/v1/projects/{other}/ontologies").status, 404)  # not a member


@test
def search_latency_over_http_on_20k_concepts():
    with Env() as e:
        oid = load(e, "SYN", synthetic(20000))
        c = e.srv.client(token=e.admin_token)
        eq(c.get(f"/api/v1/ontologies/{oid}").json()["concepts"], 20000)
        queries = ["cardiopathy", "neuroitis form 12", "hepatosis", "hepatoitis variant", "gastromegaly",
                   "dermatoplasia form 1999", "osteopathy", "pulmoitis", "kardiopathy", "neuroitsi", "form 7",
                   "variant 12345"]
        times = []
        for rep in range(3):
            for s in queries:
                t0 = time.monotonic()
                r = c.get(f"/api/v1/ontologies/{oid}/search?q={q(s)}")
                times.append(time.monotonic() - t0)
                eq(r.status, 200, r.body)
                assert r.json()["hits"], s
        times.sort()
        print(f"# HTTP search: median {times[len(times) // 2] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms "
              f"(first call loads and indexes the ontology)", flush=True)
        assert times[len(times) // 2] < 0.05, times  # generous: the 10 ms target is measured in bench/


SURVEY_SCHEMA = {"format": 1, "name": "symptoms", "modalities": ["survey"], "controls": [
    {"name": "symptom", "kind": "survey_code", "multiple": True, "labels": [
        {"value": "dyspnoea", "code": {"system": "http://snomed.info/sct", "code": "267036007", "display": "Dyspnea"}},
        {"value": "none"}]}]}


@test
def survey_codes_from_the_api_export_to_csv():
    """QuestionnaireResponses imported from FHIR, coded by an annotator through the API with survey_code
    results, exported one row per response x question with the schema's codes."""
    import csv
    import json
    with Env() as e:
        pid = e.project("trial", items=0, schema=SURVEY_SCHEMA)
        entries = []
        for k, (when, ans) in enumerate([("2024-03-01", "worse on stairs"), ("2024-01-01", "short of breath")]):
            entries.append({"resource": {"resourceType": "QuestionnaireResponse", "id": f"qr{k}",
                                         "subject": {"reference": "Patient/pt-7"}, "authored": when,
                                         "item": [{"linkId": "sym", "text": "Symptoms?", "answer": [{"valueString": ans}]},
                                                  {"linkId": "other", "text": "Other?", "answer": [{"valueString": "no"}]}]}})
        path = os.path.join(e.dir, "qr.fhir.json")
        with open(path, "w") as f:
            json.dump({"resourceType": "Bundle", "type": "collection", "entry": entries}, f)
        e.cli("import", str(pid), path)
        uid, ann = e.user("coder")
        e.member(pid, uid, "annotator")
        for _ in range(2):
            r = ann.get(f"/api/v1/projects/{pid}/next")
            eq(r.status, 200, r.body)
            task = r.json()["task"]["id"]
            item = ann.get(f"/api/v1/projects/{pid}/items/{r.json()['task']['item_id']}").json()
            items = item["meta"]["survey"]["items"]
            eq([q["linkId"] for q in items], ["sym", "other"])  # what the survey editor shows
            body = {"results": [{"id": "c1", "control": "symptom", "question": "sym", "choices": ["dyspnoea"]},
                                {"id": "c2", "control": "symptom", "question": "other", "choices": ["none"]}]}
            r = ann.post(f"/api/v1/projects/{pid}/tasks/{task}/annotations", {"body": body})
            eq(r.status, 201, r.body)
        out = os.path.join(e.dir, "survey.csv")
        e.cli("export", str(pid), "--format", "survey-csv", "--out", out)
        with open(out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))[1:]
        eq([(r[0], r[1], r[3], r[4], r[6], r[7]) for r in rows], [
            ("pt-7", "QuestionnaireResponse/qr1", "1", "sym", "short of breath", "dyspnoea=http://snomed.info/sct|267036007"),
            ("pt-7", "QuestionnaireResponse/qr1", "1", "other", "no", "none"),
            ("pt-7", "QuestionnaireResponse/qr0", "2", "sym", "worse on stairs", "dyspnoea=http://snomed.info/sct|267036007"),
            ("pt-7", "QuestionnaireResponse/qr0", "2", "other", "no", "none")])


if __name__ == "__main__":
    lib.main()
