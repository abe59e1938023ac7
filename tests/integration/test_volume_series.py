#!/usr/bin/env python3
"""Series → volume on generated DICOM files: an oblique, anisotropic CT series written with pydicom in
shuffled order with one slice missing, a duplicate and a slice of another series; and an enhanced
multi-frame image whose frames carry their positions in per-frame functional groups. `medlabel image volume`
must report the gap and the duplicate, and its NIfTI must put every voxel where DICOM says it is: checked
with nibabel's RAS affine against the DICOM LPS geometry."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import test  # noqa: E402

import numpy as np  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.sequence import Sequence  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

ROWS, COLS = 12, 10
PS = (0.8, 0.6)  # row spacing, column spacing
STEP = 2.5


def orientation():
    a, b = np.radians(25), np.radians(-35)
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    m = rx @ rz
    return m[:, 0], m[:, 1], np.cross(m[:, 0], m[:, 1])


def base_ds(study, series):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
    ds.Modality = "CT"
    ds.Rows, ds.Columns = ROWS, COLS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleSlope, ds.RescaleIntercept = "1", "0"
    ds.is_little_endian, ds.is_implicit_VR = True, False
    return ds


def voxel_value(i, j, k):
    return 1000 * k + 10 * j + i  # unique per voxel, asymmetric along every axis


def plane(k):
    j, i = np.mgrid[0:ROWS, 0:COLS]
    return voxel_value(i, j, k).astype(np.int16)


@test
def oblique_series_with_gap_duplicate_and_stranger():
    work = lib.tmpdir()
    row, col, normal = orientation()
    origin = np.array([-120.25, 33.5, 71.0])
    study, series = generate_uid(), generate_uid()
    ks = [k for k in range(9) if k != 4]  # slice 4 missing
    order = [3, 7, 0, 8, 5, 1, 6, 2]  # shuffled writing order (file names sort in this order)
    for n, k in enumerate(order):
        ds = base_ds(study, series)
        ds.InstanceNumber = 100 - k  # reversed: must not drive the order
        ds.ImagePositionPatient = [float(x) for x in origin + k * STEP * normal]
        ds.ImageOrientationPatient = [float(x) for x in list(row) + list(col)]
        ds.PixelSpacing = list(PS)
        ds.PixelData = plane(k).tobytes()
        ds.save_as(os.path.join(work, f"f{n:02d}.dcm"), write_like_original=False)
        assert k in ks
    dup = base_ds(study, series)  # a second copy of slice 2
    dup.ImagePositionPatient = [float(x) for x in origin + 2 * STEP * normal]
    dup.ImageOrientationPatient = [float(x) for x in list(row) + list(col)]
    dup.PixelSpacing = list(PS)
    dup.PixelData = plane(2).tobytes()
    dup.save_as(os.path.join(work, "g_dup.dcm"), write_like_original=False)
    other_uid = generate_uid()
    other = base_ds(study, other_uid)
    other.ImagePositionPatient = [0.0, 0.0, 0.0]
    other.ImageOrientationPatient = [1.0, 0, 0, 0, 1.0, 0]
    other.PixelSpacing = [1.0, 1.0]
    other.PixelData = plane(0).tobytes()
    other.save_as(os.path.join(work, "h_other.dcm"), write_like_original=False)

    out = os.path.join(lib.tmpdir(), "vol.nii.gz")  # outside the DICOM folder, which is read whole
    p = lib.run("image", "volume", work, "--nifti", out)
    rep = json.loads(p.stdout)
    assert rep["slices"] == 8 and rep["slots"] == 9, rep
    assert rep["duplicates"] == 1 and rep["gaps"] == 1 and rep["missing"] == 1, rep
    assert abs(rep["step"] - STEP) < 1e-6 and not rep["inconsistent_spacing"], rep

    rep = json.loads(lib.run("image", "volume", work, "--series", other_uid).stdout)
    assert rep["slices"] == 1, rep
    bad = lib.run("image", "volume", work, "--series", "1.2.3.999", check=False)
    assert bad.returncode == 1 and "no slice of series" in bad.stderr

    import nibabel as nib
    img = nib.load(out)
    data = np.asanyarray(img.dataobj)
    assert data.shape == (COLS, ROWS, 9), data.shape
    lps_to_ras = np.diag([-1, -1, 1, 1])
    for (i, j, k) in [(0, 0, 0), (COLS - 1, 0, 0), (3, ROWS - 1, 7), (COLS - 1, ROWS - 1, 8), (2, 5, 3)]:
        assert data[i, j, k] == voxel_value(i, j, k), (i, j, k, data[i, j, k])
        lps = origin + i * PS[1] * row + j * PS[0] * col + k * STEP * normal
        ras = img.affine @ np.array([i, j, k, 1.0])
        assert np.allclose(ras, lps_to_ras @ np.append(lps, 1), atol=1e-3), (ras, lps)
    assert np.all(data[:, :, 4] == 0)  # the missing slice stays empty, it is not interpolated


@test
def enhanced_multiframe_uses_per_frame_positions():
    work = lib.tmpdir()
    row, col, normal = orientation()
    origin = np.array([10.0, -20.0, 30.0])
    ds = base_ds(generate_uid(), generate_uid())
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.2.1"
    del ds.RescaleSlope, ds.RescaleIntercept  # enhanced images keep them in the functional groups
    frame_ks = [2, 0, 3, 1]  # frames stored out of spatial order
    ds.NumberOfFrames = len(frame_ks)
    shared = Dataset()
    pm = Dataset()
    pm.PixelSpacing = list(PS)
    pm.SliceThickness = STEP
    shared.PixelMeasuresSequence = Sequence([pm])
    po = Dataset()
    po.ImageOrientationPatient = [float(x) for x in list(row) + list(col)]
    shared.PlaneOrientationSequence = Sequence([po])
    pvt = Dataset()
    pvt.RescaleSlope, pvt.RescaleIntercept, pvt.RescaleType = "2", "-100", "HU"
    shared.PixelValueTransformationSequence = Sequence([pvt])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per = []
    for k in frame_ks:
        fg = Dataset()
        pp = Dataset()
        pp.ImagePositionPatient = [float(x) for x in origin + k * STEP * normal]
        fg.PlanePositionSequence = Sequence([pp])
        if k == 3:  # this frame overrides the shared rescale
            own = Dataset()
            own.RescaleSlope, own.RescaleIntercept, own.RescaleType = "1", "5", "HU"
            fg.PixelValueTransformationSequence = Sequence([own])
        per.append(fg)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    ds.PixelData = b"".join(plane(k).tobytes() for k in frame_ks)
    path = os.path.join(work, "enh.dcm")
    ds.save_as(path, write_like_original=False)
    out = os.path.join(work, "enh.nii")
    rep = json.loads(lib.run("image", "volume", path, "--nifti", out).stdout)
    assert rep["slices"] == 4 and rep["gaps"] == 0 and rep["duplicates"] == 0, rep
    import nibabel as nib
    img = nib.load(out)
    data = np.asanyarray(img.dataobj)
    for k in range(4):
        want = plane(k) + 5.0 if k == 3 else plane(k) * 2.0 - 100
        assert np.allclose(data[:, :, k].T, want), k
    ras = img.affine @ np.array([1, 2, 3, 1.0])
    lps = origin + 1 * PS[1] * row + 2 * PS[0] * col + 3 * STEP * normal
    assert np.allclose(ras[:3], [-lps[0], -lps[1], lps[2]], atol=1e-3)
    meta = json.loads(lib.run("image", "frame", path, "--frame", "1", "--format", "raw16",
                              "--out", os.path.join(work, "f.raw")).stdout)
    assert meta["slope"] == 2 and meta["intercept"] == -100, meta  # from the shared functional groups
    meta = json.loads(lib.run("image", "frame", path, "--frame", "2", "--format", "raw16",
                              "--out", os.path.join(work, "f.raw")).stdout)
    assert meta["slope"] == 1 and meta["intercept"] == 5, meta  # frame 2 holds k = 3: its own group
    info = json.loads(lib.run("image", "nifti", out).stdout)
    assert info["dims"] == [COLS, ROWS, 4] and abs(info["affine_lps"][0][3] - origin[0]) < 1e-3, info


lib.main()
