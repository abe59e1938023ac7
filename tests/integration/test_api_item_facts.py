"""Annotations are checked against what the item tells, not only against the schema: a DICOM item's
size and frame count (boxes outside the image, slices that do not exist) and a survey's question ids."""
import os

import lib
from apilib import Env
from lib import eq, test

BOX_SCHEMA = {"format": 1, "name": "ct", "modalities": ["dicom-series"],
              "controls": [{"name": "lesion", "kind": "box", "labels": [{"value": "nodule"}]}]}


def dicom_project(e):
    admin = e.srv.client(token=e.admin_token)
    pid = e.project("facts-ct", items=0, schema=BOX_SCHEMA)
    d = os.path.join(e.dir, "ct")
    e.cli("dicom", "synth", d, "--kind", "ct", "--count", "9", "--rows", "32", "--cols", "48", "--patients", "1")
    e.cli("import", str(pid), "--format", "dicom", d)
    task = admin.get(f"/api/v1/projects/{pid}/next").json()["task"]
    return admin, pid, task


def post_box(admin, pid, task, **box):
    result = {"id": "b1", "control": "lesion", "label": "nodule", "x": 1, "y": 1, "w": 4, "h": 4}
    result.update(box)
    return admin.post(f"/api/v1/projects/{pid}/tasks/{task['id']}/annotations", {"body": {"results": [result]}})


@test
def a_box_must_lie_inside_the_dicom_image():
    with Env() as e:
        admin, pid, task = dicom_project(e)
        r = post_box(admin, pid, task, x=40, w=20)  # 60 > 48 columns
        eq(r.status, 400, r.body)
        assert r.json()["error"]["field"].startswith("/body/results/0"), r.body
        r = post_box(admin, pid, task, frame=3)  # 3 slices per series: frames 0..2
        eq(r.status, 400, r.body)
        assert "frame" in r.json()["error"]["field"], r.body
        r = post_box(admin, pid, task, x=40, w=8, frame=2)
        eq(r.status, 201, r.body)


if __name__ == "__main__":
    lib.main()
