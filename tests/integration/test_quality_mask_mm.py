"""The quality report measures mask distances in millimetres when the item knows its pixel spacing: two
annotators' masks on a DICOM frame two columns apart give an HD95 of two column spacings (0.7 mm each in
the generated series), reported with units "mm"."""
import json
import os

import lib
from apilib import Env
from lib import eq, test

SCHEMA = {"format": 1, "name": "seg", "modalities": ["dicom-series"],
          "controls": [{"name": "seg", "kind": "mask", "labels": [{"value": "lesion", "mask_value": 1}]}]}


def square_rle(h, w, x0, y0, size):
    """Row-major RLE of a size×size square at (x0, y0), background first."""
    bits = [0] * (h * w)
    for y in range(y0, y0 + size):
        for x in range(x0, x0 + size):
            bits[y * w + x] = 1
    counts, prev, run = [], 0, 0
    for b in bits:
        if b != prev:
            counts.append(run)
            run, prev = 0, b
        run += 1
    counts.append(run)
    return {"size": [h, w], "counts": counts}


@test
def hd95_is_in_millimetres_for_dicom_items():
    with Env() as e:
        admin = e.srv.client(token=e.admin_token)
        pid = e.project("mm", items=0, schema=SCHEMA, overlap=2)
        d = os.path.join(e.dir, "ct")
        e.cli("dicom", "synth", d, "--kind", "ct", "--count", "3", "--rows", "16", "--cols", "16", "--patients", "1")
        e.cli("import", str(pid), "--format", "dicom", d)
        for name, x0 in (("a1", 3), ("a2", 5)):
            uid, c = e.user(name)
            e.member(pid, uid, "annotator")
            task = c.get(f"/api/v1/projects/{pid}/next").json()["task"]
            body = {"results": [{"id": "m", "control": "seg", "label": "lesion", "frame": 0,
                                 "rle": square_rle(16, 16, x0, 4, 6)}]}
            r = c.post(f"/api/v1/projects/{pid}/tasks/{task['id']}/annotations", {"body": body})
            eq(r.status, 201, r.body)
        rep = json.loads(e.cli("quality", "report", str(pid), "--json").stdout)
        ctl = [c for c in rep["controls"] if c["control"] == "seg"][0]
        eq(ctl["units"], "mm")
        pair = ctl["per_pair"][0]
        assert abs(pair["mean_hd95"] - 2 * 0.7) < 1e-6, pair
        assert 0 < pair["mean_dice"] < 1, pair


if __name__ == "__main__":
    lib.main()
