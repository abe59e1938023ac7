"""Shared by the imaging integration tests: a generated DICOM phantom series (pydicom), a project with a
mask schema, the series imported with `medlabel import --format dicom`, labels attached as gold
annotations through the CLI, and exports read back."""
import json
import os
import random

import lib

try:
    import numpy as np
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
except ImportError:  # the suite is run with /usr/bin/python3, which has them (Debian packages)
    np = pydicom = None

CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"

SCHEMA = {
    "format": 1, "name": "imaging-test", "modalities": ["dicom-series", "image"],
    "controls": [
        {"name": "organs", "kind": "mask", "overlap": True,
         "labels": [{"value": "liver", "mask_value": 1}, {"value": "spleen", "mask_value": 2}]},
        {"name": "nodule", "kind": "object3d", "labels": [{"value": "nodule", "mask_value": 3}]},
        {"name": "lesion", "kind": "box", "labels": [{"value": "mass"}, {"value": "cyst & <fluid>"}]},
        {"name": "outline", "kind": "polygon", "labels": [{"value": "kidney"}]},
        {"name": "spine", "kind": "keypoints", "labels": [{"value": "spine"}],
         "points": ["c7", "t12", "l5"], "skeleton": [["c7", "t12"], ["t12", "l5"]]},
    ],
}


def need_oracles():
    if pydicom is None:
        raise lib.Skip("pydicom/numpy not importable (run with /usr/bin/python3)")


def unit(v):
    v = np.asarray(v, dtype=float)
    return v / np.linalg.norm(v)


class Phantom:
    """An oblique, anisotropic series: rows x cols pixels, n slices, written in shuffled file order with
    instance numbers running against the slice position (so neither file nor instance order is the
    spatial order)."""

    def __init__(self, folder, rows=12, cols=10, n=7, spacing=(0.7, 0.9), step=2.5, seed=7):
        self.rows, self.cols, self.n, self.spacing, self.step = rows, cols, n, spacing, step
        # rotate about an oblique axis: neither axial, sagittal nor coronal
        a, b = np.radians(25.0), np.radians(-35.0)
        rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
        rz = np.array([[np.cos(b), -np.sin(b), 0], [np.sin(b), np.cos(b), 0], [0, 0, 1]])
        rot = rz @ rx
        self.rowdir = unit(rot @ [1, 0, 0])   # direction of increasing column index
        self.coldir = unit(rot @ [0, 1, 0])   # direction of increasing row index
        self.normal = np.cross(self.rowdir, self.coldir)
        self.origin = np.array([-40.25, 17.5, 102.0])
        self.study = generate_uid()
        self.series = generate_uid()
        self.for_uid = generate_uid()
        self.sops = [generate_uid() for _ in range(n)]  # index = spatial slice (increasing along normal)
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        order = list(range(n))
        random.Random(seed).shuffle(order)
        for fileno, k in enumerate(order):
            self._write(k, os.path.join(folder, f"f{fileno:03d}.dcm"))

    def ipp(self, k):
        return self.origin + k * self.step * self.normal

    def world(self, k, r, c):
        """Patient (LPS, mm) of pixel row r, column c on spatial slice k."""
        return self.ipp(k) + c * self.spacing[1] * self.rowdir + r * self.spacing[0] * self.coldir

    def _write(self, k, path):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = CT_IMAGE
        meta.MediaStorageSOPInstanceUID = self.sops[k]
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = CT_IMAGE
        ds.SOPInstanceUID = self.sops[k]
        ds.StudyInstanceUID = self.study
        ds.SeriesInstanceUID = self.series
        ds.FrameOfReferenceUID = self.for_uid
        ds.Modality = "CT"
        ds.PatientName = "Phantom^Oblique"
        ds.PatientID = "PH-001"
        ds.StudyDate = "20260101"
        ds.StudyTime = "101010"
        ds.InstanceNumber = self.n - k  # runs against the position
        ds.ImagePositionPatient = [f"{v:.6f}" for v in self.ipp(k)]
        ds.ImageOrientationPatient = [f"{v:.8f}" for v in list(self.rowdir) + list(self.coldir)]
        ds.PixelSpacing = [str(self.spacing[0]), str(self.spacing[1])]
        ds.SliceThickness = str(self.step)
        ds.Rows, ds.Columns = self.rows, self.cols
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        ds.RescaleSlope, ds.RescaleIntercept = "1", "-1024"
        # an asymmetric ramp: value encodes (k, r, c)
        arr = np.zeros((self.rows, self.cols), dtype=np.int16)
        for r in range(self.rows):
            for c in range(self.cols):
                arr[r, c] = 1000 + 100 * k + 10 * r + c
        ds.PixelData = arr.tobytes()
        ds.is_little_endian, ds.is_implicit_VR = True, False
        ds.save_as(path, write_like_original=False)


def rle(mask):
    """Row-major RLE as docs/SCHEMA.md defines it (background first)."""
    flat = mask.reshape(-1)
    counts, cur, run = [], 0, 0
    for v in flat:
        v = 1 if v else 0
        if v != cur:
            counts.append(run)
            cur, run = v, 0
        run += 1
    counts.append(run)
    return counts


class Project:
    def __init__(self, name="img", schema=SCHEMA):
        self.dir = lib.tmpdir()
        self.data = os.path.join(self.dir, "data")
        lib.run("init", self.data)
        self.name = name
        self.cli("project", "create", name)
        p = os.path.join(self.dir, "schema.json")
        with open(p, "w") as f:
            json.dump(schema, f)
        self.cli("schema", "set", name, p)

    def cli(self, *args, check=True):
        return lib.run(*args, data=self.data, check=check)

    def items(self):
        out = self.cli("export", self.name, "--format", "jsonl").stdout
        return [json.loads(l) for l in out.splitlines() if l.strip() and "manifest" not in json.loads(l)]

    def label(self, task_id, results):
        p = os.path.join(self.dir, f"labels-{task_id}.json")
        with open(p, "w") as f:
            json.dump({"format": 1, "results": results}, f)
        self.cli("quality", "gold", self.name, str(task_id), "--labels", p)

    def export(self, fmt, sub, *extra, check=True):
        out = os.path.join(self.dir, sub)
        os.makedirs(out, exist_ok=True)
        index = os.path.join(out, "index.jsonl")
        p = self.cli("export", self.name, "--format", fmt, "--out", index, *extra, check=check)
        return out, index, p
