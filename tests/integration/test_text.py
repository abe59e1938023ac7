"""Clinical text end to end with the real binary: FHIR and CSV import, ontologies, the tagger, and the
text exports (BRAT round trip, CoNLL, spaCy, FHIR Bundle, survey CSV). Fixtures are generated here."""
import base64
import glob
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import main, run, test, tmpdir  # noqa: E402

SECRET_NAME = "Zyxwvuts"
SECRET_GIVEN = "Qwertyuiop"
SECRET_BIRTH = "1931-07-19"


def b64(s):
    return base64.b64encode(s.encode("utf-8")).decode("ascii")


def setup(schema=None):
    d = tmpdir()
    data = os.path.join(d, "data")
    run("init", data)
    run("project", "create", "p", data=data)
    if schema:
        path = os.path.join(d, "schema.json")
        with open(path, "w") as f:
            json.dump(schema, f)
        run("schema", "set", "p", path, data=data)
    return d, data


def db_rows(data, sql, args=()):
    con = sqlite3.connect(os.path.join(data, "medlabel.db"))
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def db_bytes(data):
    out = b""
    for p in glob.glob(os.path.join(data, "medlabel.db*")):
        with open(p, "rb") as f:
            out += f.read()
    return out


SCHEMA = {"format": 1, "name": "notes", "modalities": ["text", "survey"], "controls": [
    {"name": "ents", "kind": "span", "labels": [{"value": "Finding"}, {"value": "Sign"}, {"value": "Place"}],
     "attributes": [{"name": "negated", "type": "boolean"},
                    {"name": "experiencer", "type": "choice", "values": ["patient", "family"]},
                    {"name": "certainty", "type": "choice", "values": ["certain", "uncertain"]},
                    {"name": "temporality", "type": "choice", "values": ["current", "historical"]}],
     "codings": [{"system": "DEMO"}]},
    {"name": "rel", "kind": "relation", "between": ["ents"], "labels": [{"value": "part_of"}]},
    {"name": "symptom", "kind": "survey_code", "multiple": True, "labels": [
        {"value": "dyspnoea", "code": {"system": "http://snomed.info/sct", "code": "267036007", "display": "Dyspnea"}},
        {"value": "none"}]}]}


def bundle():
    entries = [
        {"fullUrl": "urn:uuid:aaaa-1", "resource": {"resourceType": "Patient", "id": "pat1",
         "name": [{"family": SECRET_NAME, "given": [SECRET_GIVEN]}], "birthDate": SECRET_BIRTH,
         "telecom": [{"value": "555-0100"}]}},
        {"resource": {"resourceType": "DocumentReference", "id": "doc1", "subject": {"reference": "urn:uuid:aaaa-1"},
         "context": {"encounter": [{"reference": "Encounter/e1"}]},
         "content": [{"attachment": {"contentType": "text/plain; charset=utf-8",
                                     "data": b64("Patient denies fever. Mother had breast cancer.")}}]}},
        {"resource": {"resourceType": "DiagnosticReport", "id": "dr1", "subject": {"reference": "Patient/pat2"},
         "presentedForm": [{"contentType": "text/plain", "data": b64("المريض ينفي الحمى")}],
         "conclusion": "ok"}},
        {"resource": {"resourceType": "Observation", "id": "obs1", "subject": {"reference": "Patient/pat1"},
         "encounter": {"reference": "Encounter/e1"},
         "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5", "display": "Body temperature"}]},
         "valueQuantity": {"value": 38.4, "unit": "Cel"}}},
        {"resource": {"resourceType": "Condition", "id": "cond1", "subject": {"reference": "Patient/pat1"},
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]}}},
        {"resource": {"resourceType": "QuestionnaireResponse", "id": "qr-late", "subject": {"reference": "Patient/pat1"},
         "authored": "2024-06-01T10:00:00Z",
         "item": [{"linkId": "sym", "text": "Symptoms?", "answer": [{"valueString": "worse on stairs"}]}]}},
        {"resource": {"resourceType": "QuestionnaireResponse", "id": "qr-early", "subject": {"reference": "Patient/pat1"},
         "authored": "2024-01-01T10:00:00Z",
         "item": [{"linkId": "sym", "text": "Symptoms?", "answer": [{"valueString": "short of breath"}]},
                  {"linkId": "other", "text": "Other?", "answer": [{"valueString": "none"}]}]}},
        {"resource": {"resourceType": "DocumentReference", "id": "bad-b64", "subject": {"reference": "Patient/pat1"},
         "content": [{"attachment": {"contentType": "text/plain", "data": "not*base64"}}]}},
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


@test
def fhir_bundle_import_keeps_types_ids_and_no_demographics():
    d, data = setup(SCHEMA)
    path = os.path.join(d, "export.fhir.json")
    with open(path, "w") as f:
        json.dump(bundle(), f, indent=1)  # a pretty-printed document, not NDJSON
    p = run("import", "p", path, data=data)
    assert "imported 4 items" in p.stdout, p.stdout
    assert "entry 7: DocumentReference/bad-b64: content[0]: attachment data: invalid base64" in p.stderr, p.stderr
    rows = db_rows(data, "select external_ref, patient_key, modality, source, meta from items order by id")
    refs = [r[0] for r in rows]
    # surveys come last, grouped by patient and in authored order whatever the Bundle order
    assert refs == ["DocumentReference/doc1", "DiagnosticReport/dr1", "QuestionnaireResponse/qr-early",
                    "QuestionnaireResponse/qr-late"], refs
    meta = json.loads(rows[0][4])
    assert rows[0][1] == "pat1"
    assert meta["fhir"]["observations"][0]["code"]["code"] == "8310-5"
    assert meta["fhir"]["conditions"][0]["code"]["code"] == "38341003"
    survey = json.loads(rows[2][4])["survey"]
    assert survey["sequence"] == 1 and survey["of"] == 2
    blob = db_bytes(data)
    for secret in (SECRET_NAME, SECRET_GIVEN, SECRET_BIRTH, "555-0100"):
        assert secret.encode() not in blob, secret
    out = run("export", "p", "--format", "jsonl", data=data).stdout
    for secret in (SECRET_NAME, SECRET_GIVEN, SECRET_BIRTH):
        assert secret not in out
    assert "notbase64" not in p.stderr and "Mother" not in p.stderr


@test
def fhir_ndjson_bad_lines_reported_good_ones_imported():
    d, data = setup()
    lines = []
    for i in range(50):
        lines.append(json.dumps({"resourceType": "DocumentReference", "id": f"n{i}",
                                 "subject": {"reference": f"Patient/p{i % 7}"},
                                 "content": [{"attachment": {"contentType": "text/plain", "data": b64(f"note {i}")}}]}))
    lines[10] = '{"resourceType": "DocumentReference", "id": "nosubj", "content": []}'
    lines[20] = '{"resourceType": "Mystery", "id": "m1"}'
    lines[30] = '{"truncated": '
    lines[40] = json.dumps({"resourceType": "DocumentReference", "id": "pdf", "subject": {"reference": "Patient/x"},
                            "content": [{"attachment": {"contentType": "application/pdf", "data": b64("%PDF")}}]})
    path = os.path.join(d, "DocumentReference.fhir.ndjson")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    p = run("import", "p", path, data=data)
    assert "imported 46 items" in p.stdout, p.stdout
    assert "line 11: DocumentReference/nosubj: missing subject" in p.stderr, p.stderr
    assert "line 21: Mystery/m1: unsupported resourceType" in p.stderr
    assert "line 31: invalid JSON" in p.stderr
    assert "line 41: DocumentReference/pdf: content[0]: unsupported contentType 'application/pdf'" in p.stderr
    assert db_rows(data, "select count(*) from items")[0][0] == 46


@test
def csv_import_with_mapping():
    d, data = setup()
    path = os.path.join(d, "notes.csv")
    with open(path, "wb") as f:
        f.write(b"\xef\xbb\xbfpid,note_text,visit_date\r\n"
                b"P1,\"Line one\r\nline \"\"two\"\"\",2024-01-02\r\n"
                b"P2,\"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 e\xcc\x81\",2024-01-03\r\n"
                b"P3,bad \"quote,2024-01-04\r\n"
                b"P4,fine,2024-01-05\r\n")
    p = run("import", "p", path, "--format-opt", "text=note_text,patient=pid,meta.visit=visit_date", data=data)
    assert "imported 3 items" in p.stdout, (p.stdout, p.stderr)
    assert "line 5 column 8: quote inside an unquoted field" in p.stderr, p.stderr
    rows = db_rows(data, "select text, patient_key, meta from items order by id")
    assert rows[0] == ("Line one\r\nline \"two\"", "P1", '{"visit":"2024-01-02"}'), rows[0]
    assert rows[1][0] == "مرحبا e\u0301"
    p = run("import", "p", path, data=data, check=False)
    assert p.returncode == 1 and "column mapping" in p.stderr


def synthetic_obo(n):
    out = ["format-version: 1.2", "ontology: demo", ""]
    words = ["cardio", "neuro", "hepato", "nephro", "gastro", "dermato"]
    ends = ["pathy", "itis", "osis", "algia", "megaly"]
    for i in range(n):
        out += ["[Term]", f"id: DM:{i:07d}", f"name: {words[i % 6]}{ends[i % 5]} type {i}",
                f"synonym: \"variant {words[(i + 1) % 6]}{ends[i % 5]} {i}\" EXACT []"]
        if i:
            out.append(f"is_a: DM:{(i - 1) // 3:07d}")
        out.append("")
    out += ["[Term]", "id: DM:9000001", "name: Fever", "synonym: \"Pyrexia\" EXACT []", "",
            "[Term]", "id: DM:9000002", "name: Breast cancer", ""]
    return "\n".join(out)


@test
def ontology_load_list_search_show():
    d, data = setup()
    path = os.path.join(d, "demo.obo")
    with open(path, "w") as f:
        f.write(synthetic_obo(3000))
    p = run("ontology", "load", path, "--name", "DEMO", "--version", "1", data=data)
    assert "loaded ontology 1: DEMO version 1 (3002 concepts)" in p.stdout, p.stdout
    p = run("ontology", "load", path, "--name", "DEMO", "--version", "1", data=data, check=False)
    assert p.returncode == 1 and "already loaded" in p.stderr
    lst = [json.loads(x) for x in run("ontology", "list", "--json", data=data).stdout.splitlines()]
    assert lst[0]["name"] == "DEMO" and lst[0]["concepts"] == 3002 and len(lst[0]["hash"]) == 64
    hits = json.loads(run("ontology", "search", "DEMO", "pyrexia", data=data).stdout)
    assert hits[0]["code"] == "DM:9000001" and hits[0]["match"] == "exact", hits
    hits = json.loads(run("ontology", "search", "DEMO", "cardiopaty type 120", data=data).stdout)
    assert [h["code"] for h in hits[:2]] == ["DM:0000120", "DM:0001200"], hits[:2]  # a typo, then shorter first
    assert hits[0]["match"] == "fuzzy"
    c = json.loads(run("ontology", "show", "DEMO", "DM:0000004", data=data).stdout)
    assert c["parents"] == [{"code": "DM:0000001", "display": "neuroitis type 1"}], c
    assert [x["code"] for x in c["children"]] == ["DM:0000013", "DM:0000014", "DM:0000015"]
    bad = os.path.join(d, "bad.obo")
    with open(bad, "w") as f:
        f.write("format-version: 1.2\n\n[Term]\nid: X:1\nsynonym: unquoted EXACT []\n")
    p = run("ontology", "load", bad, data=data, check=False)
    assert p.returncode == 1 and "line 5" in p.stderr, p.stderr


@test
def tagger_stores_predictions_not_labels():
    d, data = setup(SCHEMA)
    onto = os.path.join(d, "demo.csv")
    with open(onto, "w") as f:
        f.write("code,display,synonyms\nF1,Fever,Pyrexia|الحمى|发热\nB1,Breast cancer,乳腺癌\n")
    run("ontology", "load", onto, "--name", "DEMO", "--version", "7", data=data)
    notes = os.path.join(d, "notes.jsonl")
    with open(notes, "w") as f:
        for t in ["Patient denies fever. Mother had breast cancer.", "المريض ينفي الحمى", "患者无发热，母亲有乳腺癌。"]:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    run("import", "p", notes, data=data)
    p = run("tag", "p", "--ontology", "DEMO", data=data)
    assert "tagged 3 items" in p.stdout and "(5 spans" in p.stdout, p.stdout
    preds = db_rows(data, "select model, model_version, body from predictions order by id")
    assert all(m == "medlabel-dict" and v == "1.0+DEMO@7" for m, v, _ in preds)
    b0 = json.loads(preds[0][2])["results"]
    assert b0[0]["text"] == "fever" and b0[0]["attributes"] == {"negated": True}
    assert b0[1]["attributes"] == {"experiencer": "family"}
    assert b0[1]["codes"] == [{"system": "DEMO", "code": "B1", "version": "7", "display": "Breast cancer"}]
    b1 = json.loads(preds[1][2])["results"]
    assert (b1[0]["start"], b1[0]["end"], b1[0]["attributes"]) == (12, 17, {"negated": True}), b1
    assert db_rows(data, "select count(*) from annotations")[0][0] == 0  # never validated labels
    # file mode
    note = os.path.join(d, "n.txt")
    with open(note, "w") as f:
        f.write("No pyrexia.")
    out = json.loads(run("tag", "--file", note, "--ontology", onto, data=data).stdout)
    assert out["results"][0]["codes"][0]["code"] == "F1" and out["results"][0]["attributes"] == {"negated": True}


@test
def tagger_fills_required_attributes_and_skips_tagged_items():
    schema = {"format": 1, "name": "req", "modalities": ["text"], "controls": [
        {"name": "ents", "kind": "span", "labels": [{"value": "Phenotype"}],
         "attributes": [{"name": "negated", "type": "boolean", "required": True},
                        {"name": "certainty", "type": "choice", "values": ["certain", "uncertain"], "required": True,
                         "default": "certain"},
                        {"name": "experiencer", "type": "choice", "values": ["patient", "family"], "required": True}],
         "codings": [{"system": "DEMO", "version": "7"}]}]}
    d, data = setup(schema)
    onto = os.path.join(d, "demo.csv")
    with open(onto, "w") as f:
        f.write("code,display\nF1,Fever\nB1,Breast cancer\n")
    run("ontology", "load", onto, "--name", "DEMO", "--version", "7", data=data)
    notes = os.path.join(d, "n.jsonl")
    with open(notes, "w") as f:
        f.write(json.dumps({"text": "Possible fever. Mother had breast cancer."}) + "\n")
    run("import", "p", notes, data=data)
    p = run("tag", "p", "--ontology", "DEMO", data=data)
    assert "tagged 1 items" in p.stdout and "0 not stored" in p.stdout, (p.stdout, p.stderr)
    res = json.loads(db_rows(data, "select body from predictions")[0][0])["results"]
    assert res[0]["attributes"] == {"certainty": "uncertain", "negated": False, "experiencer": "patient"}, res[0]
    assert res[1]["attributes"] == {"experiencer": "family", "negated": False, "certainty": "certain"}, res[1]
    p = run("tag", "p", "--ontology", "DEMO", data=data)
    assert "tagged 0 items" in p.stdout and "1 skipped" in p.stdout, p.stdout
    # a version the schema does not accept: nothing stored, a clear reason
    run("ontology", "load", onto, "--name", "DEMO", "--version", "8", data=data)
    p = run("tag", "p", "--ontology", "DEMO@8", data=data)
    assert "1 not stored" in p.stdout and "version" in p.stderr, (p.stdout, p.stderr)


BRAT_TXT = "Mother had breast cancer. Pt denies fever\nand chills 😀.\nالمريض ينفي الْحمى. 患者无发热。Cafe\u0301 ok."
BRAT_ANN = ("T1\tFinding 11 24\tbreast cancer\n"
            "A1\tFamily T1\n"
            "#1\tAnnotatorNotes T1\t{\"system\":\"DEMO\",\"code\":\"B1\",\"version\":\"7\"}\n"
            "T2\tFinding 36 41;42 52\tfever and chills\n"
            "A2\tNegated T2\n"
            "T3\tSign 42 52\tand chills\n"
            "R1\tpart_of Arg1:T3 Arg2:T2\t\n"
            "T4\tFinding 68 74\tالْحمى\n"
            "T5\tFinding 79 81\t发热\n"
            "T6\tPlace 82 87\tCafe\u0301\n")


def parse_ann(text):
    spans, attrs = {}, set()
    for line in text.splitlines():
        f = line.split("\t")
        if line.startswith("T"):
            label, offs = f[1].split(" ", 1)
            frags = [tuple(map(int, x.split())) for x in offs.split(";")]
            spans[f[0]] = (label, frags[0][0], frags[-1][1], f[2])
        elif line.startswith("A"):
            name, target = f[1].split(" ")[:2]
            attrs.add((name, spans[target][1:3]))
    return sorted(spans.values()), attrs


@test
def brat_round_trip_and_text_exports():
    d, data = setup(SCHEMA)
    src = os.path.join(d, "src")
    os.makedirs(src)
    with open(os.path.join(src, "doc1.txt"), "w", encoding="utf-8") as f:
        f.write(BRAT_TXT)
    with open(os.path.join(src, "doc1.ann"), "w", encoding="utf-8") as f:
        f.write(BRAT_ANN)
    p = run("import", "p", os.path.join(src, "doc1.ann"), "--format-opt", "control=ents,relations=rel", data=data)
    assert "imported 1 items" in p.stdout, (p.stdout, p.stderr)
    out = os.path.join(d, "brat")
    os.makedirs(out)
    run("export", "p", "--format", "brat", "--out", os.path.join(out, "index.txt"), data=data)
    with open(os.path.join(out, "item-1.txt"), encoding="utf-8") as f:
        assert f.read() == BRAT_TXT  # RTL, combining marks, emoji survive
    with open(os.path.join(out, "item-1.ann"), encoding="utf-8") as f:
        got = f.read()
    assert parse_ann(got) == parse_ann(BRAT_ANN), (parse_ann(got), parse_ann(BRAT_ANN))
    assert "R1\tpart_of Arg1:T3 Arg2:T2" in got
    assert os.path.exists(os.path.join(out, "annotation.conf"))
    # spaCy: code-point offsets, as Python counts them
    sp = json.loads(run("export", "p", "--format", "spacy", "--out", os.path.join(d, "s.jsonl"), data=data).stdout or
                    open(os.path.join(d, "s.jsonl"), encoding="utf-8").readline())
    for e in sp["ents"]:
        assert sp["text"][e["start"]:e["end"]] in BRAT_TXT
    assert [sp["text"][e["start"]:e["end"]] for e in sp["ents"]][3] == "الْحمى"
    # CoNLL: every tagged token lies inside a span with that label
    run("export", "p", "--format", "conll", "--out", os.path.join(d, "c.conll"), data=data)
    with open(os.path.join(d, "c.conll"), encoding="utf-8") as f:
        conll = f.read()
    assert "breast _ _ B-Finding\ncancer _ _ I-Finding\n" in conll
    assert "发 _ _ B-Finding\n热 _ _ I-Finding\n" in conll
    # FHIR: the coded span becomes a FamilyMemberHistory pointing back at the item
    run("export", "p", "--format", "fhir", "--out", os.path.join(d, "b.json"), data=data)
    with open(os.path.join(d, "b.json")) as f:
        b = json.load(f)
    res = [e["resource"] for e in b["entry"]]
    assert len(res) == 1 and res[0]["resourceType"] == "FamilyMemberHistory", res
    assert res[0]["condition"][0]["code"]["coding"][0]["code"] == "B1"


@test
def survey_csv_rows_per_response_and_question():
    d, data = setup(SCHEMA)
    path = os.path.join(d, "b.fhir.json")
    with open(path, "w") as f:
        json.dump(bundle(), f)
    run("import", "p", path, data=data)
    run("export", "p", "--format", "survey-csv", "--out", os.path.join(d, "s.csv"), data=data)
    import csv
    with open(os.path.join(d, "s.csv"), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["patient", "response", "authored", "sequence", "question_id", "question", "answer", "codes"]
    body = rows[1:]
    assert [(r[0], r[1], r[3], r[4], r[6]) for r in body] == [
        ("pat1", "QuestionnaireResponse/qr-early", "1", "sym", "short of breath"),
        ("pat1", "QuestionnaireResponse/qr-early", "1", "other", "none"),
        ("pat1", "QuestionnaireResponse/qr-late", "2", "sym", "worse on stairs")], body


if __name__ == "__main__":
    main()
