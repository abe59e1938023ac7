"""CLI integration tests for the store and the core commands: init, project, schema, import, export,
snapshots, splits, exit codes, crash safety. Runs the real binary in temporary folders."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from lib import BIN, eq, main, run, test, tmpdir  # noqa: E402


def fresh(name="p"):
    d = tmpdir()
    data = os.path.join(d, "data")
    run("init", data)
    pid = run("project", "create", name, data=data).stdout.strip()
    return d, data, pid


def schema_doc(version, extra_label=False):
    labels = [{"value": "yes", "hotkey": "y"}, {"value": "no", "hotkey": "n"}]
    if extra_label:
        labels.append({"value": "unsure", "hotkey": "u"})
    return json.dumps({"format": 1, "name": "test", "version": str(version), "modalities": ["text"],
                       "controls": [{"name": "dx", "kind": "classification", "labels": labels}]})


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def export_records(data, project, *args):
    out = run("export", project, *args, data=data).stdout
    lines = out.splitlines()
    recs = [json.loads(l) for l in lines]
    assert "manifest" in recs[-1], "the last record of a stdout export is the manifest"
    return recs[:-1], recs[-1]["manifest"], out


SAMPLES = [
    "Patient 张伟 seen for chest pain; 血压 140/90.",
    "المريض يعاني من ضيق في التنفس",
    "emoji 😀🫀🧠 and flags 🇫🇷",
    "combining: e\u0301 a\u0308 n\u0303 (NFD kept as is) and Å vs A\u030a",
    "quotes \" backslash \\ tab\t newline\n cr\r nul-free control \u0001 end",
    "",
    "a" * 3000,
]


@test
def round_trip_100k_items_preserves_text_and_metadata():
    d, data, pid = fresh()
    n = 100_000
    recs = []
    for i in range(n):
        recs.append({
            "text": SAMPLES[i % len(SAMPLES)] + " #" + str(i),
            "meta": {"i": i, "ward": "ICU-" + str(i % 7), "score": (i % 100) / 8, "tags": ["a", "ü"], "nested": {"x": None}},
            "patient_key": "pt-%d" % (i % 9973),
            "external_ref": "DocumentReference/%d" % i,
        })
    src = os.path.join(d, "in.jsonl")
    write_jsonl(src, recs)
    t0 = time.time()
    r = run("import", pid, src, data=data)
    assert "imported 100000 items" in r.stdout, r.stdout
    out = os.path.join(d, "out.jsonl")
    run("export", pid, "--format", "jsonl", "--out", out, data=data)
    elapsed = time.time() - t0
    got = []
    with open(out, encoding="utf-8") as f:
        for line in f:
            got.append(json.loads(line))
    eq(len(got), n)
    for want, have in zip(recs, got):
        if want["text"] != have["text"] or want["meta"] != have["meta"] or \
                want["patient_key"] != have["patient_key"] or want["external_ref"] != have["external_ref"]:
            raise AssertionError("record %s differs: %r vs %r" % (have["id"], want, have))
    man = json.load(open(out + ".manifest.json"))
    eq(man["counts"]["items"], n)
    eq(man["format"], "jsonl")
    assert elapsed < 60, "import + export of 100k took %.1fs" % elapsed
    # the manifest's hash is the hash of the file
    import hashlib
    eq(man["output"]["blake2b"], hashlib.blake2b(open(out, "rb").read(), digest_size=32).hexdigest())


@test
def metadata_bytes_are_kept_verbatim():
    d, data, pid = fresh()
    src = os.path.join(d, "m.jsonl")
    raw = '{"meta": {"b":1.10,"a":"\\u00e9","big":12345678901234567890,"e":1E+2} , "text":"x"}\n'
    with open(src, "w") as f:
        f.write(raw)
    run("import", pid, src, data=data)
    _, _, out = export_records(data, pid)
    assert '"meta":{"b":1.10,"a":"\\u00e9","big":12345678901234567890,"e":1E+2}' in out, out


@test
def plain_text_files_import_as_one_item_each():
    d, data, pid = fresh()
    a, b = os.path.join(d, "a.txt"), os.path.join(d, "b.txt")
    open(a, "wb").write("\ufeffDischarge summary\nline two ü\n".encode("utf-8"))
    open(b, "wb").write(b"second note")
    run("import", pid, a, b, data=data)
    recs, _, _ = export_records(data, pid)
    eq([r["text"] for r in recs], ["Discharge summary\nline two ü\n", "second note"])
    eq(recs[0]["meta"], {"file": "a.txt"})


def expect_fail(data, args, code, *needles):
    p = run(*args, data=data, check=False)
    eq(p.returncode, code, "for %r: stderr %r" % (args, p.stderr))
    for n in needles:
        assert n in p.stderr, "%r not in %r" % (n, p.stderr)
    return p


@test
def bad_input_names_file_and_line_and_exits_1():
    d, data, pid = fresh()
    cases = [
        ('{"text":"ok"}\n{"text": 5}\n', "line 2: 'text' must be a string"),
        ('{"text":"ok"}\n\n{"meta":{}}\n', "line 3: no 'text' field"),
        ('{"text":"ok"}\n{"text":"x",}\n', "line 2: expected a key at byte 13"),
        ('{"text":"a"}\n{"text":"b"}\n{"text":"c","meta":[1]}\n', "line 3: 'meta' must be an object"),
        ('{"text":"unterminated}\n', "line 1: unterminated string"),
        ('{"text":"x"} trailing\n', "line 1: unexpected data after the object at byte 14"),
        ('{"text":"x","text":"y"}\n', "line 1: duplicate key 'text'"),
        ('{"text":"\\ud800"}\n', "line 1: unpaired surrogate"),
        ('{"text":"a\\u0000b"}\n', "line 1: U+0000 is not allowed"),
        ('[1,2]\n', "line 1: expected a JSON object"),
        ('{"text":"x","source":"lab"}\n', "line 1: 'source' must be one of"),
    ]
    for i, (content, msg) in enumerate(cases):
        path = os.path.join(d, "bad%d.jsonl" % i)
        open(path, "w").write(content)
        expect_fail(data, ["import", pid, path], 1, "'%s': %s" % (path, msg))
    path = os.path.join(d, "badutf8.jsonl")
    open(path, "wb").write(b'{"text":"ok"}\n{"text":"caf\xc3"}\n')
    expect_fail(data, ["import", pid, path], 1, "'%s': line 2: invalid UTF-8 at byte 13" % path)
    path = os.path.join(d, "bad.txt")
    open(path, "wb").write(b"abc\xff")
    expect_fail(data, ["import", pid, path], 1, "'%s': invalid UTF-8 at byte 4" % path)
    expect_fail(data, ["import", pid, os.path.join(d, "missing.jsonl")], 1, "missing.jsonl")
    # nothing from the failed batches was kept
    recs, _, _ = export_records(data, pid)
    eq(len(recs), 0)
    # no PHI in errors: the text of the bad line is not echoed
    path = os.path.join(d, "phi.jsonl")
    open(path, "w").write('{"text": "John Smith", "meta": "MRN 1234"}\n')
    p = expect_fail(data, ["import", pid, path], 1)
    assert "John" not in p.stderr and "1234" not in p.stderr, p.stderr


@test
def usage_errors_exit_2_and_help_exits_0():
    d, data, pid = fresh()
    src = os.path.join(d, "a.jsonl")
    write_jsonl(src, [{"text": "x"}])
    for args in (["import"], ["import", pid], ["import", pid, src, "--bogus"], ["import", pid, src, "--format", "nope"],
                 ["import", pid, os.path.join(d, "a.weird")], ["import", pid, src, "--batch", "0"],
                 ["export"], ["export", pid, "--format", "nope"], ["export", pid, "--split", "train=0.5"],
                 ["export", pid, "--split", "a=0.5,a=0.5"], ["export", pid, "--split", "train=x"],
                 ["export", pid, "--group-by", "patient"], ["export", pid, "--state", "finished"],
                 ["export", pid, "--split", "a=1", "--group-by", "ward"],
                 ["project", "create"], ["project", "show"], ["project", "list", "x"], ["schema", "set", pid],
                 ["init", "a", "b"], ["nosuchcommand"], ["--nosuchoption"]):
        p = run(*args, data=data, check=False)
        eq(p.returncode, 2, "for %r: %r" % (args, p.stderr))
        assert p.stderr.strip(), "usage errors say what is wrong: %r" % (args,)
    for args in (["--help"], ["init", "--help"], ["import", "--help"], ["export", "--help"], ["project", "create", "--help"],
                 ["project", "list", "--help"], ["project", "show", "--help"], ["schema", "set", "--help"],
                 ["schema", "show", "--help"], ["formats", "--help"], ["project", "--help"]):
        p = run(*args, data=data, check=False)
        eq(p.returncode, 0, "for %r" % (args,))
        assert "usage" in (p.stdout + p.stderr).lower()


@test
def projects_by_id_or_name_and_schemas():
    d, data, pid = fresh("cardiology")
    eq(pid, "1")
    eq(run("project", "create", "radiology", "--description", "CT", data=data).stdout.strip(), "2")
    expect_fail(data, ["project", "create", "radiology"], 1, "already exists")
    out = run("project", "list", data=data).stdout
    eq(out, "1\tcardiology\n2\tradiology\n")
    for ref in ("2", "radiology"):
        show = run("project", "show", ref, data=data).stdout
        assert "name:          radiology" in show and "description:   CT" in show, show
    expect_fail(data, ["project", "show", "nope"], 1, "no project 'nope'")
    schema = os.path.join(d, "schema.json")
    open(schema, "w").write('{"labels": [\n  {"name": "x",}\n]}')
    expect_fail(data, ["schema", "set", "cardiology", schema], 1, "'%s': malformed JSON" % schema, "line 2")
    # validated by the label module: the error names the field
    bad = json.loads(schema_doc(1))
    bad["controls"][0]["labels"][1]["hotkey"] = "y"
    open(schema, "w").write(json.dumps(bad))
    expect_fail(data, ["schema", "set", "cardiology", schema], 1, "duplicate hotkey", "/controls/0/labels/1/hotkey")
    open(schema, "w").write(schema_doc(1))
    eq(run("schema", "set", "cardiology", schema, data=data).stdout.strip(), "schema version 1")
    open(schema, "w").write(schema_doc(2, True))
    eq(run("schema", "set", "1", schema, data=data).stdout.strip(), "schema version 2")
    eq(json.loads(run("schema", "show", "cardiology", "--version", "1", data=data).stdout)["version"], "1")
    eq(json.loads(run("schema", "show", "cardiology", data=data).stdout)["version"], "2")
    assert "schema:        version 2" in run("project", "show", "1", data=data).stdout


@test
def missing_data_folder_and_newer_database_are_clear_errors():
    d = tmpdir()
    expect_fail(os.path.join(d, "nothing"), ["project", "list"], 1, "no data folder", "medlabel init")
    data = os.path.join(d, "data")
    run("init", data)
    db = sqlite3.connect(os.path.join(data, "medlabel.db"))
    db.execute("INSERT OR REPLACE INTO migrations VALUES (99, 0, '9.9.9')")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    expect_fail(data, ["project", "list"], 1, "schema version 99 (written by medlabel 9.9.9)", "knows versions up to")


@test
def snapshot_re_exports_identical_bytes_after_edits():
    d, data, pid = fresh()
    src = os.path.join(d, "a.jsonl")
    write_jsonl(src, [{"text": "note %d ü" % i, "patient_key": "p%d" % (i % 5)} for i in range(50)])
    run("import", pid, src, data=data)
    schema = os.path.join(d, "s.json")
    open(schema, "w").write(schema_doc(1))
    run("schema", "set", pid, schema, data=data)
    first = os.path.join(d, "v1.jsonl")
    run("export", pid, "--snapshot", "v1.0", "--split", "train=0.8,val=0.1,test=0.1", "--group-by", "patient",
        "--out", first, data=data)
    # later edits: more items, a new schema version
    run("import", pid, src, data=data)
    open(schema, "w").write(schema_doc(2, True))
    run("schema", "set", pid, schema, data=data)
    again = os.path.join(d, "v1-again.jsonl")
    run("export", pid, "--snapshot", "v1.0", "--out", again, data=data)
    eq(open(first, "rb").read(), open(again, "rb").read())
    eq(open(first + ".manifest.json", "rb").read(), open(again + ".manifest.json", "rb").read())
    man = json.load(open(first + ".manifest.json"))
    eq(man["snapshot"]["name"], "v1.0")
    eq(man["schema"]["version"], 1)
    eq(man["counts"]["items"], 50)
    # on stdout too, manifest record included
    a = run("export", pid, "--snapshot", "v1.0", data=data).stdout
    b = run("export", pid, "--snapshot", "v1.0", data=data).stdout
    eq(a, b)
    # the live export sees the edits
    recs, man2, _ = export_records(data, pid)
    eq(len(recs), 100)
    eq(man2["schema"]["version"], 2)
    # a snapshot's split cannot be changed afterwards
    expect_fail(data, ["export", pid, "--snapshot", "v1.0", "--split", "a=0.5,b=0.5"], 2, "fixed")


@test
def splits_are_deterministic_and_keep_patients_together():
    d, data, pid = fresh()
    src = os.path.join(d, "a.jsonl")
    write_jsonl(src, [{"text": "n%d" % i, "patient_key": "patient-%d" % (i % 300)} for i in range(3000)])
    run("import", pid, src, data=data)
    args = ("--split", "train=0.8,val=0.1,test=0.1", "--group-by", "patient")
    recs, man, _ = export_records(data, pid, *args)
    recs2, _, _ = export_records(data, pid, *args)
    eq([r["split"] for r in recs], [r["split"] for r in recs2])
    where = {}
    for r in recs:
        where.setdefault(r["patient_key"], set()).add(r["split"])
    assert all(len(s) == 1 for s in where.values()), "a patient is in two splits"
    counts = {p["name"]: p["items"] for p in man["split"]["parts"]}
    eq(sum(counts.values()), 3000)
    assert 0.65 < counts["train"] / 3000 < 0.92 and counts["val"] > 0 and counts["test"] > 0, counts
    # another seed gives another (still patient-grouped) split
    recs3, _, _ = export_records(data, pid, *args, "--split-seed", "other")
    assert [r["split"] for r in recs3] != [r["split"] for r in recs]


@test
def crash_mid_import_leaves_no_half_imported_item():
    d, data, pid = fresh()
    src = os.path.join(d, "big.jsonl")
    with open(src, "w") as f:
        for i in range(400_000):
            f.write('{"text":"crash test note %d with some words to make it longer than a few bytes","meta":{"i":%d}}\n' % (i, i))
    proc = subprocess.Popen([BIN, "--data", data, "import", pid, src, "--batch", "1000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db_path = os.path.join(data, "medlabel.db")
    deadline = time.time() + 30
    seen = 0
    while time.time() < deadline:
        try:
            db = sqlite3.connect(db_path, timeout=5)
            seen = db.execute("SELECT count(*) FROM items").fetchone()[0]
            db.close()
        except sqlite3.OperationalError:
            pass
        if seen >= 20_000:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert seen >= 20_000, "the import did not get going"
    db = sqlite3.connect(db_path)
    items = db.execute("SELECT count(*) FROM items").fetchone()[0]
    tasks = db.execute("SELECT count(*) FROM tasks").fetchone()[0]
    orphans = db.execute("SELECT count(*) FROM items i LEFT JOIN tasks t ON t.id = i.id WHERE t.id IS NULL").fetchone()[0]
    eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
    db.close()
    assert items < 400_000, "the importer finished before it was killed"
    eq(items % 1000, 0, "only whole batches")
    eq(items, tasks)
    eq(orphans, 0)
    # the store is usable afterwards: items are whole and in order
    recs, man, _ = export_records(data, pid)
    eq(len(recs), items)
    for k, r in enumerate(recs):
        if r["meta"]["i"] != k or not r["text"].startswith("crash test note %d " % k):
            raise AssertionError("item %d is damaged" % k)
    small = os.path.join(d, "small.jsonl")
    write_jsonl(small, [{"text": "after the crash"}])
    run("import", pid, small, data=data)


@test
def two_importers_at_once_both_complete():
    d, data, pid = fresh()
    files = []
    for k in range(2):
        path = os.path.join(d, "f%d.jsonl" % k)
        write_jsonl(path, [{"text": "proc %d item %d" % (k, i)} for i in range(20_000)])
        files.append(path)
    procs = [subprocess.Popen([BIN, "--data", data, "import", pid, f, "--batch", "500"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for f in files]
    for p in procs:
        out, err = p.communicate(timeout=120)
        eq(p.returncode, 0, err)
    recs, man, _ = export_records(data, pid)
    eq(len(recs), 40_000)
    eq(len({r["text"] for r in recs}), 40_000)


main()
