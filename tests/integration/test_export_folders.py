"""Folder formats (NIfTI, DICOM SEG, YOLO, VOC, BRAT) cannot stream: the CLI asks for --out (exit 2) and
creates the folder it names; the HTTP export refuses them with a 4xx before any byte is sent."""
import os

import lib
from apilib import Env
from lib import eq, test


@test
def folder_formats_need_a_folder():
    with Env() as e:
        pid = e.project("folders", items=2)
        for fmt in ("brat", "nifti-labels", "dicom-seg", "yolo", "voc"):
            p = e.cli("export", str(pid), "--format", fmt, check=False)
            eq(p.returncode, 2, p.stderr)
            assert "writes a folder" in p.stderr, p.stderr
            r = e.srv.client(token=e.admin_token).get(f"/api/v1/projects/{pid}/export?format={fmt}")
            eq(r.status, 400, r.body)
            assert "writes a folder" in r.json()["error"]["message"], r.body
        out = os.path.join(e.dir, "new", "deeper", "index.jsonl")
        e.cli("export", str(pid), "--format", "brat", "--out", out)
        assert os.path.exists(out) and os.path.exists(out + ".manifest.json")


if __name__ == "__main__":
    lib.main()
