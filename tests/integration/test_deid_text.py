"""test_deid_text.py: `medlabel deid text` and `medlabel deid eval` driven for real: files, folders, JSONL,
stdin, spans, eval JSON on a generated BRAT gold set, and no PHI on stderr."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import Skip, main, run, test, tmpdir, SHARED_DATA  # noqa: E402

NOTE = ("Patient: Quistgaard, Harold J.   MRN: 00482917\nDOB: 06/22/1944\n"
        "Seen 02/11/2022 by Dr. Okonkwo. Call (978) 555-0143. SSN 031-64-2209.\n")
PHI = ["Quistgaard", "00482917", "06/22/1944", "Okonkwo", "555-0143", "031-64-2209"]


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


@test
def text_file_is_tagged():
    d = tmpdir()
    write(f"{d}/n.txt", NOTE)
    run("deid", "text", f"{d}/n.txt", f"{d}/out.txt")
    out = open(f"{d}/out.txt", encoding="utf-8").read()
    for v in PHI:
        assert v not in out, v
    assert "[PATIENT]" in out and "[DATE]" in out


@test
def folder_recursive_and_jsonl():
    d = tmpdir()
    os.makedirs(f"{d}/in/sub")
    write(f"{d}/in/a.txt", NOTE)
    write(f"{d}/in/sub/b.txt", NOTE)
    write(f"{d}/in/c.jsonl", json.dumps({"id": 7, "text": NOTE, "site": "x"}) + "\n")
    run("deid", "text", f"{d}/in", f"{d}/out", "--mode", "mask", "--spans")
    rec = json.loads(open(f"{d}/out/c.jsonl").read())
    assert rec["id"] == 7 and rec["site"] == "x"
    assert "Quistgaard" not in rec["text"] and rec["deid_spans"]
    b = json.loads(open(f"{d}/out/sub/b.txt").read())
    assert len(b["text"]) == len(NOTE) and b["spans"]


@test
def jsonl_threads_keep_order_and_report_the_bad_line():
    d = tmpdir()
    recs = [json.dumps({"n": i, "text": NOTE.replace("Okonkwo", "Okonkwo%d" % i)}) for i in range(700)]
    write(f"{d}/in.jsonl", "\n".join(recs) + "\n")
    run("deid", "text", f"{d}/in.jsonl", f"{d}/o1.jsonl", "--jobs", "1")
    run("deid", "text", f"{d}/in.jsonl", f"{d}/o4.jsonl", "--jobs", "4")
    a, b = open(f"{d}/o1.jsonl").read(), open(f"{d}/o4.jsonl").read()
    assert a == b
    assert [json.loads(x)["n"] for x in a.splitlines()] == list(range(700))
    recs[300] = '{"text": 5}'
    write(f"{d}/bad.jsonl", "\n".join(recs) + "\n")
    p = run("deid", "text", f"{d}/bad.jsonl", f"{d}/ob.jsonl", "--jobs", "4", check=False)
    assert p.returncode == 1 and "line 301" in p.stderr, p.stderr
    assert not os.path.exists(f"{d}/ob.jsonl")


@test
def stdin_surrogate_is_consistent():
    d = tmpdir()
    write(f"{d}/secret", "0123456789abcdef-secret\n")
    args = ("deid", "text", "-", "-", "--mode", "surrogate", "--secret-file", f"{d}/secret", "--patient-key", "p9")
    a = run(*args, input=NOTE).stdout
    b = run(*args, input=NOTE).stdout
    assert a == b and "Quistgaard" not in a


@test
def known_name_found():
    p = run("deid", "text", "-", "-", "--known-name", "Harold Zyxq", "--known-mrn", "77-11", "--spans",
            "--mode", "none", input="zyxq HAROLD came; ref 7711.\n")
    spans = json.loads(p.stdout)["spans"]
    assert len(spans) >= 3, spans


@test
def eval_json_on_generated_gold():
    d = tmpdir()
    text = "Seen by Dr. Okonkwo on 02/11/2022.\n"
    write(f"{d}/001.txt", text)
    write(f"{d}/001.ann", "T1\tDOCTOR 12 19\tOkonkwo\nT2\tDATE 23 33\t02/11/2022\n")
    p = run("deid", "eval", "--gold", d, "--json")
    j = json.loads(p.stdout)
    assert set(j) == {"token", "entity_exact", "entity_overlap"}
    o = j["token"]["overall"]
    assert set(o) == {"tp", "fp", "fn", "precision", "recall", "f1"}
    assert o["tp"] == 4 and o["fn"] == 0, o
    assert j["entity_exact"]["by_type"]["DATE"]["tp"] == 1


@test
def eval_bad_gold_is_a_clear_error():
    d = tmpdir()
    write(f"{d}/001.txt", "Seen by Dr. Okonkwo.\n")
    write(f"{d}/001.ann", "T1\tDOCTOR 12 19\tOkonkwo\nT2\tDOCTOR 12 99\tbad\n")
    p = run("deid", "eval", "--gold", d, check=False)
    assert p.returncode == 1 and "001.ann' line 2" in p.stderr and "outside" in p.stderr, p.stderr
    write(f"{d}/001.ann", "T1\tWIZARD 12 19\tOkonkwo\n")
    p = run("deid", "eval", "--gold", d, check=False)
    assert p.returncode == 1 and "unknown PHI type" in p.stderr and "Okonkwo" not in p.stderr, p.stderr
    write(f"{d}/p.json", '[{"full_text": "x", "spans": [{"entity_type": "PERSON"}]}]')
    p = run("deid", "eval", "--gold", f"{d}/p.json", check=False)
    assert p.returncode == 1 and "item 0 span 0" in p.stderr, p.stderr
    p = run("deid", "eval", check=False)
    assert p.returncode == 2


@test
def eval_presidio_json():
    d = tmpdir()
    items = [{"full_text": "My name is Harold Abernathy and my phone is 978-555-0143.",
              "spans": [{"entity_type": "PERSON", "entity_value": "Harold Abernathy", "start_position": 11,
                         "end_position": 27},
                        {"entity_type": "PHONE_NUMBER", "entity_value": "978-555-0143", "start_position": 44,
                         "end_position": 56}]},
             {"full_text": "Turkish food is great", "spans": [{"entity_type": "NRP", "entity_value": "Turkish",
                                                                 "start_position": 0, "end_position": 7}]}]
    with open(f"{d}/p.json", "w") as f:
        json.dump(items, f)
    j = json.loads(run("deid", "eval", "--gold", f"{d}/p.json", "--json").stdout)
    by = j["token"]["by_type"]
    assert by["PERSON"]["recall"] == 1.0 and by["PHONE_NUMBER"]["recall"] == 1.0, by
    assert "NRP" not in by  # not PHI in i2b2 terms: not scored
    bad = run("deid", "eval", "--gold", f"{d}/nothing.json", check=False)
    assert bad.returncode == 1 and "cannot open" in bad.stderr


@test
def no_phi_on_stderr():
    d = tmpdir()
    write(f"{d}/n.txt", NOTE)
    outs = [run("deid", "text", f"{d}/n.txt", f"{d}/o.txt", check=False),
            run("deid", "text", f"{d}/n.txt", f"{d}/o.txt", "--bogus", "Quistgaard", check=False),
            run("deid", "text", f"{d}/missing-Quistgaard.txt", f"{d}/o.txt", check=False)]
    write(f"{d}/bad.jsonl", '{"text": "Quistgaard 00482917"\n')
    outs.append(run("deid", "text", f"{d}/bad.jsonl", f"{d}/o.jsonl", check=False))
    with open(f"{d}/bad.txt", "wb") as f:
        f.write(NOTE.encode() + b"\xff")
    outs.append(run("deid", "text", f"{d}/bad.txt", f"{d}/o.txt", check=False))
    assert outs[1].returncode == 2 and outs[3].returncode == 1 and outs[4].returncode == 1
    for p in outs:
        for v in PHI:
            if v == "Quistgaard" and "missing-Quistgaard" in p.stderr:
                continue  # the user's own file name, echoed in the error
            assert v not in p.stderr, (v, p.stderr)
    assert "byte" in outs[4].stderr


@test
def dev_set_eval():
    gold = os.path.join(SHARED_DATA, "deid", "clinical-dev")
    if not os.path.isdir(gold):
        raise Skip("../shared/data absent")
    j = json.loads(run("deid", "eval", "--gold", gold, "--json").stdout)
    assert j["token"]["overall"]["recall"] >= 0.98 and j["token"]["overall"]["precision"] >= 0.90


@test
def jsonl_records_spliced_like_the_parsed_path():
    """Records without --spans take the splicing fast path; with --spans the parsed (jansson) path: the text
    must come out the same, other fields unchanged, and what jansson refuses is refused with the line."""
    d = tmpdir()
    recs = [
        '{"id": 1, "meta": {"a": [1, 2.5, -0, true, null, "x\\"y"]}, "text": "Dr. Okonkwo saw '
        'Ms. Quistgaard on 03/04/2021 \\u00e9\\ud83d\\ude00 tab\\t q\\"uote \\\\ back \\/ slash \\u0001"}',
        '  {"text":"Seen by Dr. Okonkwo\\nMRN: 00482917","text2":{"text":"not this one"}}  ',
        json.dumps({"n": 3, "text": NOTE, "site": "caf\u00e9"}, ensure_ascii=False),
        json.dumps({"text": NOTE.replace("Harold", "H\u00e9l\u00e8ne") * 3, "z": [{}, []]}),
    ]
    write(f"{d}/in.jsonl", "\n".join(recs) + "\n")
    run("deid", "text", f"{d}/in.jsonl", f"{d}/fast.jsonl", "--jobs", "1")
    run("deid", "text", f"{d}/in.jsonl", f"{d}/slow.jsonl", "--jobs", "1", "--spans")
    fast = [json.loads(x) for x in open(f"{d}/fast.jsonl", encoding="utf-8").read().splitlines()]
    slow = [json.loads(x) for x in open(f"{d}/slow.jsonl", encoding="utf-8").read().splitlines()]
    assert len(fast) == len(recs) == len(slow)
    for r, f, s in zip(recs, fast, slow):
        orig = json.loads(r)
        assert f["text"] == s["text"], (f["text"], s["text"])
        assert f["text"] != orig["text"] and "Okonkwo" not in f["text"]
        del s["deid_spans"]
        assert f == s
        assert {k: v for k, v in f.items() if k != "text"} == {k: v for k, v in orig.items() if k != "text"}
    # escapes, quotes, backslashes and non-ASCII at every offset within the eight-byte words the scanner
    # reads at once, in the note read and in the note written (escaped again)
    pad = [json.dumps({"i": k, "text": "a" * k + '"Dr. Okonkwo" \\ ' + "b" * (k % 9) + "\n\t\u00e9\u0001 "
                       + "c" * (17 - k) + "\"end\\"}) for k in range(18)]
    write(f"{d}/pad.jsonl", "\n".join(pad) + "\n")
    run("deid", "text", f"{d}/pad.jsonl", f"{d}/padfast.jsonl", "--jobs", "1")
    run("deid", "text", f"{d}/pad.jsonl", f"{d}/padslow.jsonl", "--jobs", "1", "--spans")
    fast = [json.loads(x) for x in open(f"{d}/padfast.jsonl", encoding="utf-8").read().splitlines()]
    slow = [json.loads(x) for x in open(f"{d}/padslow.jsonl", encoding="utf-8").read().splitlines()]
    assert len(fast) == len(pad) == len(slow)
    for r, f, s in zip(pad, fast, slow):
        assert f["text"] == s["text"] and "Okonkwo" not in f["text"], (r, f["text"], s["text"])
        assert f["text"].endswith('"end\\') and "\n\t\u00e9\u0001 " in f["text"]
    # a raw control character inside the string, at every offset: refused, with the line number
    for k in range(18):
        write(f"{d}/bad.jsonl", recs[1] + "\n" + '{"text": "' + "a" * k + "\x01" + "b" * 9 + '"}\n')
        p = run("deid", "text", f"{d}/bad.jsonl", f"{d}/ob.jsonl", "--jobs", "1", check=False)
        assert p.returncode == 1 and "line 2" in p.stderr, (k, p.stderr)
    # refused by both paths, with the line number
    for bad in ['{"text": "a\\u0000b"}', '{"n": 1e400, "text": "x"}', '{"text": "x"} 5', '{"text": "\\ud800"}',
                '{"text": "x", "text": 5}', '{"text": "x",}']:
        write(f"{d}/bad.jsonl", recs[1] + "\n" + bad + "\n")
        p = run("deid", "text", f"{d}/bad.jsonl", f"{d}/ob.jsonl", "--jobs", "1", check=False)
        assert p.returncode == 1 and "line 2" in p.stderr, (bad, p.stderr)


main()
