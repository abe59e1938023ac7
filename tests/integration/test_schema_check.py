"""`medlabel schema check`: OK for the documented examples, the error with its JSON pointer and exit 1 for
bad schemas and annotations, exit 2 for usage errors."""
import atexit
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lib import ROOT, main, run, test  # noqa: E402
from lib import tmpdir as _tmpdir  # noqa: E402

EX = os.path.join(ROOT, "docs", "examples")


_dirs = []
atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in _dirs])


def tmpdir():
    d = _tmpdir()
    _dirs.append(d)
    return d


def write(d, name, obj):
    path = os.path.join(d, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False))
    return path


@test
def examples_are_ok():
    for base in ("lung-nodule-ct", "phenotype-notes", "survey-symptoms"):
        p = run("schema", "check", os.path.join(EX, base + ".json"))
        assert p.stdout == "OK\n", p.stdout
        args = ["schema", "check", os.path.join(EX, base + ".json"), "--annotation",
                os.path.join(EX, base + ".annotation.json")]
        if os.path.exists(os.path.join(EX, base + ".txt")):
            args += ["--text", os.path.join(EX, base + ".txt")]
        if base == "lung-nodule-ct":
            args += ["--size", "512x512", "--frames", "120"]
        p = run(*args)
        assert p.stdout == "OK\n", p.stdout


@test
def invalid_schema_prints_pointer_and_exits_1():
    d = tmpdir()
    path = write(d, "s.json", {"format": 1, "name": "t", "controls": [
        {"name": "a", "kind": "classification", "labels": [{"value": "x", "hotkey": "n"}, {"value": "y", "hotkey": "m"}]},
        {"name": "b", "kind": "span", "labels": [{"value": "z", "hotkey": "N"}]}]})
    p = run("schema", "check", path, check=False)
    assert p.returncode == 1, p
    assert p.stdout == ""
    assert p.stderr == (f"medlabel schema check: '{path}': /controls/1/labels/0/hotkey: duplicate hotkey 'n', "
                        "already used by /controls/0/labels/0\n"), p.stderr


@test
def malformed_schema_reports_byte_offset():
    d = tmpdir()
    path = write(d, "s.json", '{"format": 1,\n "name": }')
    p = run("schema", "check", path, check=False)
    assert p.returncode == 1
    assert "malformed JSON in schema at byte 23 (line 2, column 10)" in p.stderr, p.stderr


@test
def annotation_checked_against_item_text_without_echoing_it():
    d = tmpdir()
    note = write(d, "note.txt", "Patient Zoë Durand reports dyspnée.")
    ann = write(d, "a.json", {"results": [
        {"id": "m", "control": "mention", "label": "Phenotype", "start": 27, "end": 34, "text": "dyspnée"},
        {"id": "r", "control": "relevant", "choices": ["yes"]}]})
    schema = os.path.join(EX, "phenotype-notes.json")
    p = run("schema", "check", schema, "--annotation", ann, "--text", note)
    assert p.stdout == "OK\n"
    bad = write(d, "b.json", {"results": [
        {"id": "m", "control": "mention", "label": "Phenotype", "start": 8, "end": 11, "text": "Zoe"},
        {"id": "r", "control": "relevant", "choices": ["yes"]}]})
    p = run("schema", "check", schema, "--annotation", bad, "--text", note, check=False)
    assert p.returncode == 1
    assert p.stderr.endswith("/results/0/text: span text does not match the item text at [8, 11)\n"), p.stderr
    assert "Zo" not in p.stderr and "Durand" not in p.stderr


@test
def keypoint_outside_image():
    d = tmpdir()
    schema = write(d, "s.json", {"format": 1, "name": "k", "modalities": ["image"], "controls": [
        {"name": "lm", "kind": "keypoints", "points": ["apex"], "labels": [{"value": "heart"}]}]})
    ann = write(d, "a.json", {"results": [{"id": "1", "control": "lm", "label": "heart",
                                           "keypoints": [{"name": "apex", "x": 300, "y": 10}]}]})
    p = run("schema", "check", schema, "--annotation", ann, "--size", "256x256", check=False)
    assert p.returncode == 1
    assert p.stderr.endswith("/results/0/keypoints/0: keypoint 'apex' (300, 10) is outside the image (256x256)\n"), p.stderr


@test
def frames_and_duration_describe_the_item():
    d = tmpdir()
    schema = write(d, "s.json", {"format": 1, "name": "av", "modalities": ["video"], "controls": [
        {"name": "speech", "kind": "audio_segment", "transcription": "optional", "labels": [{"value": "nurse"}]},
        {"name": "tool", "kind": "video_track", "labels": [{"value": "scope"}]}]})
    ann = write(d, "a.json", {"results": [
        {"id": "s", "control": "speech", "label": "nurse", "start": 1.5, "end": 4},
        {"id": "t", "control": "tool", "label": "scope", "keyframes": [{"frame": 0, "x": 0, "y": 0, "w": 5, "h": 5},
                                                                      {"frame": 24, "x": 3, "y": 3, "w": 5, "h": 5}]}]})
    p = run("schema", "check", schema, "--annotation", ann, "--duration", "10", "--frames", "25", "--size", "64x48")
    assert p.stdout == "OK\n", p.stdout
    p = run("schema", "check", schema, "--annotation", ann, "--duration", "3.5", check=False)
    assert p.returncode == 1
    assert p.stderr.endswith("/results/0/end: segment end 4 s is past the end of the recording (3.5 s)\n"), p.stderr
    p = run("schema", "check", schema, "--annotation", ann, "--frames", "24", check=False)
    assert p.returncode == 1
    assert p.stderr.endswith("/results/1/keyframes/1/frame: frame 24 is past the last frame of the item (24 frames)\n"), p.stderr


@test
def usage_errors_exit_2():
    for args in ([], ["a.json", "b.json"], ["a.json", "--size", "12"], ["a.json", "--frames", "3"], ["a.json", "--bogus"]):
        p = run("schema", "check", *args, check=False)
        assert p.returncode == 2, (args, p.returncode, p.stderr)


@test
def missing_file_exits_1():
    p = run("schema", "check", "/nonexistent/schema.json", check=False)
    assert p.returncode == 1
    assert "/nonexistent/schema.json" in p.stderr


if __name__ == "__main__":
    main()
