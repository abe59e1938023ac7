"""Orientation: masks drawn on known voxels of a generated oblique, anisotropic DICOM series land on exactly
those voxels in patient space after the NIfTI label-map and DICOM SEG exports, read back with nibabel and
pydicom; the SEG is not flipped along the slice axis and keeps its segments separate. Run with
/usr/bin/python3 (pydicom, nibabel, numpy)."""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import test  # noqa: E402
import imaging_common as ic  # noqa: E402

try:
    import nibabel as nib
except ImportError:
    nib = None

SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"
_cache = {}


def blake(path):
    with open(path, "rb") as f:
        return hashlib.blake2b(f.read(), digest_size=32).hexdigest()


def setup():
    """One imported phantom with labels on known pixels; returns (phantom, project, item, truth) where
    truth maps a label name to the set of world points (rounded, mm) it covers."""
    if "s" in _cache:
        return _cache["s"]
    ic.need_oracles()
    if nib is None:
        raise lib.Skip("nibabel not importable (run with /usr/bin/python3)")
    np = ic.np
    pr = ic.Project()
    ph = ic.Phantom(os.path.join(pr.dir, "phantom"))
    pr.cli("import", pr.name, "--format", "dicom", ph.folder)
    items = pr.items()
    assert len(items) == 1, items
    item = items[0]
    # annotation frame f = the f-th instance in meta order; find which generated slice each one is
    by_hash = {}
    for name in os.listdir(ph.folder):
        ds = ic.pydicom.dcmread(os.path.join(ph.folder, name))
        by_hash[blake(os.path.join(ph.folder, name))] = ph.sops.index(ds.SOPInstanceUID)
    frame_slice = [by_hash[i["media"]] for i in item["meta"]["dicom"]["instances"]]
    slice_frame = {k: f for f, k in enumerate(frame_slice)}
    R, C = ph.rows, ph.cols
    # asymmetric shapes on known pixels of known spatial slices
    shapes = {
        "liver": {1: [(r, c) for r in range(2, 6) for c in range(1, 3)] + [(5, 3), (5, 4), (5, 5)],
                  4: [(0, 0), (0, 1), (1, 0), (11, 9)]},
        "spleen": {1: [(8, 7), (8, 8), (9, 8), (10, 8)], 6: [(3, 6)]},
        "nodule": {2: [(6, 2), (6, 3), (7, 3)], 3: [(6, 3), (7, 3), (7, 4), (8, 4)]},
    }
    results = []
    for name, per_slice in shapes.items():
        for k, pix in sorted(per_slice.items()):
            if name == "nodule":
                continue
            m = np.zeros((R, C), dtype=np.uint8)
            for r, c in pix:
                m[r, c] = 1
            results.append({"id": f"{name}-{k}", "control": "organs", "label": name, "frame": slice_frame[k],
                            "rle": {"size": [R, C], "counts": ic.rle(m)}})
    parts = []
    for k, pix in sorted(shapes["nodule"].items(), key=lambda kv: slice_frame[kv[0]]):
        m = np.zeros((R, C), dtype=np.uint8)
        for r, c in pix:
            m[r, c] = 1
        parts.append({"frame": slice_frame[k], "rle": {"size": [R, C], "counts": ic.rle(m)}})
    results.append({"id": "n1", "control": "nodule", "label": "nodule", "parts": parts})
    pr.label(item["task"]["id"], results)
    truth = {name: {tuple(np.round(ph.world(k, r, c), 3)) for k, pix in per_slice.items() for r, c in pix}
             for name, per_slice in shapes.items()}
    _cache["s"] = (ph, pr, item, truth)
    _cache["shapes"] = shapes
    return _cache["s"]


def close_sets(got, want, what):
    """Every point of got matches one of want within 0.01 mm and the counts agree."""
    np = ic.np
    got = sorted(got)
    want = sorted(want)
    assert len(got) == len(want), f"{what}: {len(got)} voxels, expected {len(want)}"
    W = np.array(want)
    for p in got:
        d = np.min(np.linalg.norm(W - np.array(p), axis=1))
        assert d < 0.01, f"{what}: voxel at {p} is {d:.3f} mm from the nearest labelled voxel"


@test
def nifti_label_map_lands_on_the_labelled_voxels_in_patient_space():
    ph, pr, item, truth = setup()
    np = ic.np
    out, index, _ = pr.export("nifti-labels", "nifti")
    rows = [json.loads(l) for l in open(index)]
    assert len(rows) == 1 and rows[0]["item"] == item["id"], rows
    path = os.path.join(out, rows[0]["file"])
    assert blake(path) == rows[0]["blake2b"]
    img = nib.load(path)
    data = np.asarray(img.dataobj)
    assert data.shape == (ph.cols, ph.rows, ph.n), data.shape
    aff = img.affine
    values = {v["label"]: v["value"] for v in rows[0]["labels"]}
    assert values["liver"] == 1 and values["spleen"] == 2 and values["nodule"] == 3, values
    for name, v in values.items():
        if name not in truth:
            continue
        pts = set()
        for i, j, k in np.argwhere(data == v):
            x, y, z, _ = aff @ np.array([i, j, k, 1.0])
            pts.add((-x, -y, z))  # RAS -> LPS
        close_sets(pts, truth[name], f"NIfTI {name}")
    # the grid itself is the DICOM one: voxel (0,0,0) at the first slice's position, axes along IOP
    lps0 = np.array([-aff[0, 3], -aff[1, 3], aff[2, 3]])
    assert np.allclose(lps0, ph.ipp(0), atol=1e-3), (lps0, ph.ipp(0))
    col_axis = np.array([-aff[0, 0], -aff[1, 0], aff[2, 0]])
    assert np.allclose(col_axis, ph.rowdir * ph.spacing[1], atol=1e-4)
    slice_axis = np.array([-aff[0, 2], -aff[1, 2], aff[2, 2]])
    assert np.allclose(slice_axis, ph.normal * ph.step, atol=1e-4), "the slice axis is flipped or scaled"


@test
def dicom_seg_frames_land_on_the_labelled_voxels_not_flipped_segments_separate():
    ph, pr, item, truth = setup()
    np = ic.np
    out, index, _ = pr.export("dicom-seg", "seg")
    rows = [json.loads(l) for l in open(index)]
    assert len(rows) == 1, rows
    seg = ic.pydicom.dcmread(os.path.join(out, rows[0]["file"]))
    assert seg.SOPClassUID == SEG_SOP_CLASS and seg.Modality == "SEG" and seg.SegmentationType == "BINARY"
    assert seg.StudyInstanceUID == ph.study and seg.FrameOfReferenceUID == ph.for_uid
    assert seg.BitsAllocated == 1 and seg.Rows == ph.rows and seg.Columns == ph.cols
    names = {int(s.SegmentNumber): s.SegmentLabel for s in seg.SegmentSequence}
    assert sorted(names.values()) == ["liver", "nodule", "spleen"], names
    for s in seg.SegmentSequence:
        assert s.SegmentAlgorithmType == "MANUAL" and s.SegmentedPropertyTypeCodeSequence[0].CodeValue
    ref = seg.ReferencedSeriesSequence[0]
    assert ref.SeriesInstanceUID == ph.series
    assert sorted(r.ReferencedSOPInstanceUID for r in ref.ReferencedInstanceSequence) == sorted(ph.sops)
    shared = seg.SharedFunctionalGroupsSequence[0]
    iop = np.array([float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient])
    rowdir, coldir = iop[:3], iop[3:]
    assert np.allclose(rowdir, ph.rowdir, atol=1e-6) and np.allclose(coldir, ph.coldir, atol=1e-6)
    ps = [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing]
    assert np.allclose(ps, ph.spacing)
    assert abs(float(shared.PixelMeasuresSequence[0].SpacingBetweenSlices) - ph.step) < 1e-6
    pixels = seg.pixel_array
    if pixels.ndim == 2:
        pixels = pixels[None]
    assert pixels.shape[0] == int(seg.NumberOfFrames) == rows[0]["frames"]
    got = {n: set() for n in names.values()}
    last = (0, -1e9)
    normal = np.cross(rowdir, coldir)
    for f, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
        segno = int(fg.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        ipp = np.array([float(v) for v in fg.PlanePositionSequence[0].ImagePositionPatient])
        div = [int(v) for v in fg.FrameContentSequence[0].DimensionIndexValues]
        assert div[0] == segno, (div, segno)
        # frames by segment, then increasing position along the normal
        key = (segno, float(ipp @ normal))
        assert key > last, f"frame {f} is out of order: {key} after {last}"
        last = key
        # the derivation reference names the source slice at this very position
        src = fg.DerivationImageSequence[0].SourceImageSequence[0]
        k = ph.sops.index(src.ReferencedSOPInstanceUID)
        assert np.allclose(ipp, ph.ipp(k), atol=1e-3), f"frame {f} references slice {k} but sits elsewhere"
        assert div[1] == k + 1, (div, k)
        for r, c in np.argwhere(pixels[f] != 0):
            w = ipp + c * ps[1] * rowdir + r * ps[0] * coldir
            got[names[segno]].add(tuple(w))
    for name in names.values():
        close_sets(got[name], truth[name], f"SEG segment {name}")
    assert not (truth["liver"] & truth["spleen"]), "the test shapes must not overlap"
    # David Clunie's IOD verifier (Debian dicom3tools), when installed, finds no error
    import shutil
    import subprocess
    if shutil.which("dciodvfy"):
        p = subprocess.run(["dciodvfy", "-new", os.path.join(out, rows[0]["file"])], capture_output=True, text=True)
        errors = [l for l in (p.stdout + p.stderr).splitlines() if l.startswith("Error")]
        assert not errors, errors


@test
def seg_and_nifti_exports_are_byte_reproducible_and_need_out():
    ph, pr, item, truth = setup()
    a_dir, _, _ = pr.export("dicom-seg", "seg-a")
    b_dir, _, _ = pr.export("dicom-seg", "seg-b")
    n_a, _, _ = pr.export("nifti-labels", "nii-a")
    n_b, _, _ = pr.export("nifti-labels", "nii-b")
    for x, y in ((a_dir, b_dir), (n_a, n_b)):
        for name in sorted(os.listdir(x)):
            if name.endswith(".manifest.json"):
                continue
            with open(os.path.join(x, name), "rb") as f1, open(os.path.join(y, name), "rb") as f2:
                assert f1.read() == f2.read(), f"{name} differs between two exports of the same labels"
    # --out is required: the files go next to the index
    p = pr.cli("export", pr.name, "--format", "dicom-seg", check=False)
    assert p.returncode != 0 and "--out" in p.stderr, p.stderr


@test
def a_mask_outside_the_series_is_a_clear_error():
    ph, pr, item, truth = setup()
    np = ic.np
    pr2 = ic.Project(name="bad")
    pr2.cli("import", "bad", "--format", "dicom", ph.folder)
    it = pr2.items()[0]
    m = np.zeros((ph.rows, ph.cols + 1), dtype=np.uint8)
    m[0, 0] = 1
    body_path = os.path.join(pr2.dir, "bad.json")
    with open(body_path, "w") as f:
        json.dump({"format": 1, "results": [{"id": "x", "control": "organs", "label": "liver", "frame": 0,
                                             "rle": {"size": [ph.rows, ph.cols + 1], "counts": ic.rle(m)}}]}, f)
    p = pr2.cli("quality", "gold", "bad", str(it["task"]["id"]), "--labels", body_path, check=False)
    if p.returncode != 0:
        raise lib.Skip("the store validates mask sizes before the exporter sees them")
    _, _, p = pr2.export("nifti-labels", "nii", check=False)
    assert p.returncode != 0 and "mask size" in p.stderr, p.stderr


@test
def enhanced_multiframe_source_frames_are_placed_by_their_own_positions():
    """One Enhanced CT file whose frames run against the slice normal: label maps and SEG frames follow
    each frame's Plane Position, and SEG references the frame numbers."""
    ph, pr0, item0, truth0 = setup()
    np = ic.np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    pr = ic.Project(name="mf")
    n = ph.n
    order = list(range(n))[::-1]  # file frame f holds spatial slice order[f]
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    meta.MediaStorageSOPInstanceUID = sop = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = generate_uid(), generate_uid(), generate_uid()
    ds.Modality, ds.PatientID = "CT", "MF-1"
    ds.NumberOfFrames = n
    ds.Rows, ds.Columns = ph.rows, ph.cols
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    pm = Dataset()
    pm.PixelSpacing = [str(ph.spacing[0]), str(ph.spacing[1])]
    pm.SliceThickness = str(ph.step)
    po = Dataset()
    po.ImageOrientationPatient = [f"{v:.8f}" for v in list(ph.rowdir) + list(ph.coldir)]
    shared = Dataset()
    shared.PixelMeasuresSequence = Sequence([pm])
    shared.PlaneOrientationSequence = Sequence([po])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per = []
    for f in range(n):
        pp = Dataset()
        pp.ImagePositionPatient = [f"{v:.6f}" for v in ph.ipp(order[f])]
        fg = Dataset()
        fg.PlanePositionSequence = Sequence([pp])
        per.append(fg)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    ds.PixelData = np.zeros((n, ph.rows, ph.cols), dtype=np.int16).tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    path = os.path.join(pr.dir, "mf.dcm")
    ds.save_as(path, write_like_original=False)
    pr.cli("import", pr.name, "--format", "dicom", path)
    item = pr.items()[0]
    assert item["meta"]["dicom"]["frames"] == n
    pix = {1: [(2, 3), (2, 4), (7, 1)], 5: [(0, 0), (11, 9)]}  # spatial slice -> pixels
    results = []
    for k, pts in pix.items():
        m = np.zeros((ph.rows, ph.cols), dtype=np.uint8)
        for r, c in pts:
            m[r, c] = 1
        results.append({"id": f"l{k}", "control": "organs", "label": "liver", "frame": order.index(k),
                        "rle": {"size": [ph.rows, ph.cols], "counts": ic.rle(m)}})
    pr.label(item["task"]["id"], results)
    truth = {tuple(np.round(ph.world(k, r, c), 3)) for k, pts in pix.items() for r, c in pts}
    out, index, _ = pr.export("nifti-labels", "nii")
    img = nib.load(os.path.join(out, json.loads(open(index).readline())["file"]))
    data, aff = np.asarray(img.dataobj), img.affine
    got = set()
    for i, j, k in np.argwhere(data == 1):
        x, y, z, _ = aff @ np.array([i, j, k, 1.0])
        got.add((-x, -y, z))
    close_sets(got, truth, "NIfTI of a multi-frame source")
    out, index, _ = pr.export("dicom-seg", "seg")
    seg = ic.pydicom.dcmread(os.path.join(out, json.loads(open(index).readline())["file"]))
    px = seg.pixel_array
    px = px[None] if px.ndim == 2 else px
    shared = seg.SharedFunctionalGroupsSequence[0]
    iop = np.array([float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient])
    ps = [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing]
    got = set()
    for f, fg in enumerate(seg.PerFrameFunctionalGroupsSequence):
        src = fg.DerivationImageSequence[0].SourceImageSequence[0]
        assert src.ReferencedSOPInstanceUID == sop
        ipp = np.array([float(v) for v in fg.PlanePositionSequence[0].ImagePositionPatient])
        k = order[int(src.ReferencedFrameNumber) - 1]
        assert np.allclose(ipp, ph.ipp(k), atol=1e-3), "the referenced frame is not the one at this position"
        for r, c in np.argwhere(px[f] != 0):
            got.add(tuple(ipp + c * ps[1] * iop[:3] + r * ps[0] * iop[3:]))
    close_sets(got, truth, "SEG of a multi-frame source")


def expected_stats(ph, per_slice):
    """count, mean, sd, min, max of the rescaled phantom values and the longest in-plane diameter."""
    np = ic.np
    vals, diam = [], 0.0
    for k, pix in per_slice.items():
        vals += [-24 + 100 * k + 10 * r + c for r, c in pix]
        corners = [((c + dx) * ph.spacing[1], (r + dy) * ph.spacing[0]) for r, c in pix for dx in (0, 1) for dy in (0, 1)]
        for a in corners:
            for b in corners:
                diam = max(diam, float(np.hypot(a[0] - b[0], a[1] - b[1])))
    v = np.array(vals, dtype=float)
    return len(vals), v.mean(), v.std(), v.min(), v.max(), diam


@test
def measurements_csv_gives_areas_volumes_diameters_and_hu_statistics():
    import csv
    ph, pr, item, truth = setup()
    shapes = _cache["shapes"]
    out = os.path.join(pr.dir, "measure.csv")
    pr.cli("export", pr.name, "--format", "measurements-csv", "--out", out)
    rows = {r["result_id"]: r for r in csv.DictReader(open(out, newline=""))}
    assert set(rows) == {"liver-1", "liver-4", "spleen-1", "spleen-6", "n1"}, set(rows)
    px = ph.spacing[0] * ph.spacing[1]
    for rid, r in rows.items():
        if rid == "n1":
            per_slice = shapes["nodule"]
        else:
            name, k = rid.split("-")
            per_slice = {int(k): shapes[name][int(k)]}
        n, mean, sd, lo, hi, diam = expected_stats(ph, per_slice)
        assert int(r["voxels"]) == n, (rid, r)
        if rid == "n1":
            assert r["kind"] == "object3d" and r["area_mm2"] == ""
            assert abs(float(r["volume_ml"]) - n * px * ph.step / 1000) < 1e-6, r
        else:
            assert abs(float(r["area_mm2"]) - n * px) < 1e-4 and r["volume_ml"] == "", r
        assert abs(float(r["longest_diameter_mm"]) - diam) < 1e-4, (rid, r["longest_diameter_mm"], diam)
        for key, want in (("mean", mean), ("sd", sd), ("min", lo), ("max", hi)):
            assert abs(float(r[key]) - want) < 1e-3 * max(1, abs(want)), (rid, key, r[key], want)


if __name__ == "__main__":
    lib.main()
