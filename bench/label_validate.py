#!/usr/bin/python3
"""label_validate.py: how long `medlabel schema check --annotation` takes on large annotation bodies, beside
the time Python's json.loads needs just to parse the same bytes (the least any consumer of the body pays).

Two generated bodies, each close to the 16 MiB limit of an annotation body:
  text:    a 800,000-code-point note (Latin and CJK), 60,000 HPO-coded spans with attributes checked
           against the note, 30,000 relations between them
  imaging: a 600-slice 3D object (one RLE mask part per slice, 512x512) plus 8,000 boxes, each with a
           required per-region class
Each is validated 5 times by the real binary (whole process, reading the files included); the medians of
wall time and of CPU time (user + system; steadier on a shared machine) are reported. Usage: bench/label_validate.py [RUNS]   (builds first with `make all`).
"""
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.path.join(ROOT, "build", "medlabel")
OUT = os.path.join(ROOT, "build", "bench", "label")
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5


def write(name, text):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def text_case():
    schema = {"format": 1, "name": "bench-text", "modalities": ["text"], "controls": [
        {"name": "mention", "kind": "span", "labels": [{"value": "Phenotype", "hotkey": "p"}, {"value": "Disease", "hotkey": "d"}],
         "attributes": [{"name": "negated", "type": "boolean", "hotkey": "x"},
                        {"name": "experiencer", "type": "choice", "values": ["patient", "family"]}],
         "codings": [{"system": "HPO", "version": "2024-04-26"}]},
        {"name": "rel", "kind": "relation", "between": ["mention"], "labels": [{"value": "same_as", "directed": False}]}]}
    unit = "fièvre 发热 "  # 10 code points
    n = 60000
    note = unit * (n + 20000)
    results = []
    for i in range(n):
        r = {"id": f"m{i}", "control": "mention", "label": "Phenotype" if i % 3 else "Disease",
             "start": 10 * i + 7, "end": 10 * i + 9, "text": "发热",
             "codes": [{"system": "HPO", "version": "2024-04-26", "code": f"HP:{i % 9000 + 1000:07d}"}]}
        if i % 4 == 0:
            r["attributes"] = {"negated": True, "experiencer": "family"}
        results.append(r)
    for i in range(0, n - 1, 2):
        results.append({"id": f"r{i}", "control": "rel", "label": "same_as", "from": f"m{i}", "to": f"m{i + 1}"})
    body = json.dumps({"format": 1, "results": results}, ensure_ascii=False, separators=(",", ":"))
    return schema, body, note, ["--text"], len(results)


def imaging_case():
    schema = {"format": 1, "name": "bench-ct", "modalities": ["dicom-series"], "controls": [
        {"name": "nodule", "kind": "object3d", "labels": [{"value": "nodule", "mask_value": 1}]},
        {"name": "finding", "kind": "box", "labels": [{"value": "opacity"}, {"value": "nodule"}]},
        {"name": "type", "kind": "classification", "target": "finding", "required": True,
         "labels": [{"value": "solid"}, {"value": "part-solid"}, {"value": "ground-glass"}]}]}
    h = w = 512
    parts = []
    for z in range(600):
        # a disc of radius 40..80 around the centre, as row runs: background, then one run per row
        rad = 40 + (z % 40)
        counts, pos = [], 0
        for y in range(h):
            dy = y - 256
            if dy * dy >= rad * rad:
                continue
            half = int((rad * rad - dy * dy) ** 0.5)
            start = y * w + 256 - half
            counts += [start - pos, 2 * half]
            pos = start + 2 * half
        counts.append(h * w - pos)
        parts.append({"frame": z, "rle": {"size": [h, w], "counts": counts}})
    results = [{"id": "n1", "control": "nodule", "label": "nodule", "parts": parts}]
    for i in range(8000):
        results.append({"id": f"b{i}", "control": "finding", "label": "opacity", "frame": i % 600,
                        "x": (i * 7) % 480, "y": (i * 13) % 480, "w": 20, "h": 24})
        results.append({"id": f"t{i}", "control": "type", "region": f"b{i}", "choices": ["solid"]})
    body = json.dumps({"format": 1, "results": results}, separators=(",", ":"))
    return schema, body, None, ["--size", "512x512", "--frames", "600"], len(results)


def median_time(fn, children):
    """Median wall and CPU seconds of fn() over RUNS runs; CPU is the children's (a subprocess) or ours."""
    walls, cpus = [], []
    for _ in range(RUNS):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t0)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF)
        cpus.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main():
    subprocess.run(["make", "-C", ROOT, "-j2", "all"], check=True, stdout=subprocess.DEVNULL)
    os.makedirs(OUT, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"# label_validate: {RUNS} runs each, load average {load:.1f}")
    print("| body | results | MB | medlabel schema check: wall / CPU | results/s (CPU) | MB/s (CPU) | python json.loads: wall / CPU |")
    print("|---|---|---|---|---|---|---|")
    for name, make in (("text", text_case), ("imaging", imaging_case)):
        schema, body, note, extra, nresults = make()
        sp = write(f"{name}.schema.json", json.dumps(schema))
        bp = write(f"{name}.body.json", body)
        args = [BIN, "schema", "check", sp, "--annotation", bp]
        if note is not None:
            args += [extra[0], write(f"{name}.note.txt", note)]
        else:
            args += extra
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode != 0 or p.stdout != "OK\n":
            sys.exit(f"{name}: medlabel refused the body: {p.stderr.strip()}")
        mb = len(body.encode("utf-8")) / 1e6
        ours_wall, ours_cpu = median_time(lambda: subprocess.run(args, check=True, stdout=subprocess.DEVNULL), True)
        with open(bp, encoding="utf-8") as f:
            raw = f.read()
        peer_wall, peer_cpu = median_time(lambda: json.loads(raw), False)
        print(f"| {name} | {nresults:,} | {mb:.1f} | {ours_wall:.3f} s / {ours_cpu:.3f} s | {nresults / ours_cpu:,.0f} "
              f"| {mb / ours_cpu:.0f} | {peer_wall:.3f} s / {peer_cpu:.3f} s |")


if __name__ == "__main__":
    main()
