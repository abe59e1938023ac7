#!/usr/bin/env python3
"""Pixel decoding on files this test generates: native images written with pydicom (signed and unsigned,
12 of 16 bits, RGB by pixel and by plane, multi-frame, palette colour), compressed with dcmtk (lossless JPEG
with every predictor and a point transform, 12-bit extended lossy JPEG, JPEG-LS lossless and near-lossless,
RLE). Our decoded frames must equal the originals exactly for lossless syntaxes and stay within ±1 of dcmtk's
decoding for lossy ones. Also renders: window presets to PNG, raw 16-bit frames, thumbnails."""
import io
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import Skip, test  # noqa: E402

import numpy as np  # noqa: E402
import pydicom  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

import pixel_common as pc  # noqa: E402

WORK = lib.tmpdir()


def need(*tools):
    for t in tools:
        if not shutil.which(t):
            raise Skip(f"{t} (dcmtk) not installed")


def make_native(name, arr, bits_stored=None, signed=False, photometric=None, planar=0, extra=None):
    """Writes arr ((frames,) rows, cols(, 3)) as an explicit VR little endian file; returns its path."""
    arr = np.asarray(arr)
    colour = arr.ndim == 4 or (arr.ndim == 3 and arr.shape[-1] == 3 and photometric in ("RGB", None) and
                               arr.dtype == np.uint8 and "rgb" in name)
    frames = arr.shape[0] if (arr.ndim == 4 or (arr.ndim == 3 and not colour)) else 1
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.Rows, ds.Columns = arr.shape[-3:-1] if colour else arr.shape[-2:]
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = photometric or ("RGB" if colour else "MONOCHROME2")
    if colour:
        ds.PlanarConfiguration = planar
    bits = arr.dtype.itemsize * 8
    ds.BitsAllocated = bits
    ds.BitsStored = bits_stored or bits
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if frames > 1:
        ds.NumberOfFrames = frames
    for k, v in (extra or {}).items():
        setattr(ds, k, v)
    data = arr
    if colour and planar == 1:
        data = np.moveaxis(arr, -1, -3)  # (frames,) 3, rows, cols
    ds.PixelData = np.ascontiguousarray(data).astype(arr.dtype.newbyteorder("<")).tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    path = os.path.join(WORK, name + ".dcm")
    ds.save_as(path, write_like_original=False)
    return path


def phantom(rows, cols, bits, signed=False, seed=1):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    base = (np.sin(x / 5.0) + np.cos(y / 7.0) + 2) / 4  # 0..1
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    lo = -(1 << (bits - 1)) if signed else 0
    a = lo + base * (hi - lo) + rng.integers(-20, 21, size=base.shape)
    a[0, 0], a[-1, -1] = lo, hi
    return np.clip(np.round(a), lo, hi)


def check_ours_equal(path, originals, tol=0, label=""):
    for i, want in enumerate(originals):
        got, meta = pc.ours(path, i, WORK)
        pc.compare(got, want, tol, f"{label or os.path.basename(path)} frame {i}")


def compress(tool, src, dst, *opts):
    p = subprocess.run([tool, *opts, src, dst], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{tool} {' '.join(opts)} failed: {p.stderr}"
    return dst


@test
def native_variants_decode_exactly():
    u12 = phantom(37, 41, 12).astype(np.uint16)
    s16 = phantom(37, 41, 16, signed=True).astype(np.int16)
    s12 = phantom(37, 41, 12, signed=True).astype(np.int16)
    rgb = np.stack([phantom(20, 30, 8, seed=s) for s in (1, 2, 3)], axis=-1).astype(np.uint8)
    multi = np.stack([phantom(16, 16, 12, seed=s) for s in range(4)]).astype(np.uint16)
    check_ours_equal(make_native("u12", u12, bits_stored=12), [u12])
    check_ours_equal(make_native("s16", s16, signed=True), [s16])
    # 12-bit two's complement stored in 16 bits, with garbage above the high bit removed by the decoder
    raw = (s12.astype(np.int32) & 0x0FFF) | 0xF000
    p = make_native("s12", raw.astype(np.uint16), bits_stored=12, signed=True)
    check_ours_equal(p, [s12])
    check_ours_equal(make_native("rgb_interleaved", rgb), [rgb])
    check_ours_equal(make_native("rgb_planar", rgb, planar=1), [rgb])
    check_ours_equal(make_native("multi", multi, bits_stored=12), list(multi))


@test
def lossless_jpeg_every_predictor_matches_original():
    need("dcmcjpeg")
    u12 = phantom(33, 47, 12, seed=5).astype(np.uint16)
    s16 = phantom(33, 47, 16, signed=True, seed=6).astype(np.int16)
    g8 = phantom(33, 47, 8, seed=7).astype(np.uint8)
    rgb = np.stack([phantom(24, 31, 8, seed=s) for s in (8, 9, 10)], axis=-1).astype(np.uint8)
    multi = np.stack([phantom(16, 20, 12, seed=s) for s in range(3)]).astype(np.uint16)
    cases = [("u12", u12, 12, False), ("s16", s16, None, True), ("g8", g8, None, False)]
    for name, arr, bs, sg in cases:
        src = make_native(f"ll_{name}", arr, bits_stored=bs, signed=sg)
        for sv in range(1, 8):
            dst = compress("dcmcjpeg", src, os.path.join(WORK, f"ll_{name}_sv{sv}.dcm"), "+el", "+sv", str(sv))
            check_ours_equal(dst, [arr], label=f"{name} SV{sv}")
        dst = compress("dcmcjpeg", src, os.path.join(WORK, f"ll_{name}_pt.dcm"), "+el", "+sv", "1", "+pt", "2")
        ref = pc.reference_frames(pydicom.dcmread(compress("dcmdjpeg", dst, os.path.join(WORK, "d.dcm"))))
        check_ours_equal(dst, list(ref), label=f"{name} point transform")
    src = make_native("rgb_ll", rgb)
    check_ours_equal(compress("dcmcjpeg", src, os.path.join(WORK, "rgb_ll_sv1.dcm"), "+e1"), [rgb])
    src = make_native("multi_ll", multi, bits_stored=12)
    check_ours_equal(compress("dcmcjpeg", src, os.path.join(WORK, "multi_ll.dcm"), "+e1"), list(multi))


@test
def lossy_jpeg_8_and_12_bit_within_one_of_dcmtk():
    need("dcmcjpeg", "dcmdjpeg")
    u12 = phantom(40, 56, 12, seed=11).astype(np.uint16)
    g8 = phantom(40, 56, 8, seed=12).astype(np.uint8)
    rgb = np.stack([phantom(32, 40, 8, seed=s) for s in (13, 14, 15)], axis=-1).astype(np.uint8)
    for name, arr, bs, mode in (("u12", u12, 12, "+ee"), ("g8", g8, None, "+eb"), ("rgb", rgb, None, "+eb")):
        src = make_native(f"lossy_{name}", arr, bits_stored=bs)
        dst = compress("dcmcjpeg", src, os.path.join(WORK, f"lossy_{name}_c.dcm"), mode)
        ref = pc.reference_frames(pydicom.dcmread(compress("dcmdjpeg", dst, os.path.join(WORK, "d.dcm"))))
        check_ours_equal(dst, list(ref), tol=1, label=f"lossy {name}")
        # and close to the original (quality check of the whole chain)
        got, _ = pc.ours(dst, 0, WORK)
        assert np.abs(got.astype(int) - arr.astype(int)).mean() < (1 << (bs or 8)) / 20, f"{name}: mean error {np.abs(got.astype(int) - arr.astype(int)).mean()}"


@test
def jpegls_and_rle_match_original():
    need("dcmcjpls", "dcmcrle", "dcmdjpls")
    u12 = phantom(29, 35, 12, seed=21).astype(np.uint16)
    s16 = phantom(29, 35, 16, signed=True, seed=22).astype(np.int16)
    rgb = np.stack([phantom(20, 22, 8, seed=s) for s in (23, 24, 25)], axis=-1).astype(np.uint8)
    multi = np.stack([phantom(12, 14, 16, seed=s) for s in range(3)]).astype(np.uint16)
    for name, arr, bs, sg in (("u12", u12, 12, False), ("s16", s16, None, True), ("rgb", rgb, None, False),
                              ("multi", multi, None, False)):
        src = make_native(f"native_{name}", arr, bits_stored=bs, signed=sg)
        frames = list(arr) if name == "multi" else [arr]
        check_ours_equal(compress("dcmcjpls", src, os.path.join(WORK, f"ls_{name}.dcm")), frames, label=f"JPEG-LS {name}")
        check_ours_equal(compress("dcmcrle", src, os.path.join(WORK, f"rle_{name}.dcm")), frames, label=f"RLE {name}")
    src = make_native("ls_near", u12, bits_stored=12)
    dst = compress("dcmcjpls", src, os.path.join(WORK, "ls_near.dcm"), "+en", "+md", "3")
    ref = pc.reference_frames(pydicom.dcmread(compress("dcmdjpls", dst, os.path.join(WORK, "d.dcm"))))
    check_ours_equal(dst, list(ref), label="JPEG-LS near-lossless vs dcmtk")
    got, _ = pc.ours(dst, 0, WORK)
    assert np.abs(got.astype(int) - u12.astype(int)).max() <= 3


def png_pixels(data):
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(data)))


@test
def rendering_presets_palette_raw16_and_thumbnails():
    ct = (phantom(50, 60, 12, seed=31).astype(np.int32)).astype(np.uint16)
    src = make_native("ct", ct, bits_stored=12, extra={"RescaleSlope": "1", "RescaleIntercept": "-1024",
                                                       "WindowCenter": "40", "WindowWidth": "400"})
    hu = ct.astype(np.float64) - 1024

    def window(c, w):
        y = ((hu - (c - 0.5)) / (w - 1) + 0.5) * 255
        y[hu <= c - 0.5 - (w - 1) / 2] = 0
        y[hu > c - 0.5 + (w - 1) / 2] = 255
        return np.floor(np.clip(y, 0, 255) + 0.5).astype(np.uint8)  # round half up like lround for y >= 0

    out = os.path.join(WORK, "o.png")
    for preset, c, w in (("lung", -600, 1500), ("bone", 500, 2000), ("brain", 40, 80), (None, 40, 400)):
        args = ["image", "frame", src, "--out", out] + (["--preset", preset] if preset else [])
        lib.run(*args)
        got = png_pixels(open(out, "rb").read())
        assert np.array_equal(got, window(c, w)), f"preset {preset}: {np.abs(got.astype(int) - window(c, w)).max()}"
    lib.run("image", "frame", src, "--window", "100,500", "--out", out)
    assert np.array_equal(png_pixels(open(out, "rb").read()), window(100, 500))
    lib.run("image", "frame", src, "--thumb", "20", "--out", out)
    assert png_pixels(open(out, "rb").read()).shape == (17, 20)
    p = lib.run("image", "frame", src, "--format", "raw16", "--out", os.path.join(WORK, "o.raw"))
    meta = json.loads(p.stdout)
    assert meta["rows"] == 50 and meta["columns"] == 60 and meta["intercept"] == -1024 and not meta["signed"]
    raw = np.frombuffer(open(os.path.join(WORK, "o.raw"), "rb").read(), dtype="<u2").reshape(50, 60)
    assert np.array_equal(raw, ct)
    bad = lib.run("image", "frame", src, "--frame", "3", check=False)
    assert bad.returncode == 1 and "out of range" in bad.stderr
    bad = lib.run("image", "frame", src, "--preset", "nope", check=False)
    assert bad.returncode == 1 and "preset" in bad.stderr

    # PALETTE COLOR: 16-bit LUTs; the PNG must equal pydicom's apply_color_lut scaled to 8 bits.
    from pydicom.pixel_data_handlers.util import apply_color_lut
    idx = (phantom(20, 24, 8, seed=41).astype(np.uint8) // 4)  # 0..63
    n = 64
    lut = [np.linspace(0, 65535, n).astype("<u2"), np.linspace(65535, 0, n).astype("<u2"),
           (np.arange(n) * 1000 % 65536).astype("<u2")]
    extra = {}
    for i, col in enumerate(("Red", "Green", "Blue")):
        extra[f"{col}PaletteColorLookupTableDescriptor"] = [n, 0, 16]
        extra[f"{col}PaletteColorLookupTableData"] = lut[i].tobytes()
    src = make_native("pal", idx, photometric="PALETTE COLOR", extra=extra)
    ds = pydicom.dcmread(src)
    want = apply_color_lut(ds.pixel_array, ds).astype(np.float64)
    want = np.floor(want * 255 / 65535 + 0.5).astype(np.uint8)
    lib.run("image", "frame", src, "--out", out)
    assert np.array_equal(png_pixels(open(out, "rb").read()), want)


@test
def voi_lut_sequence_matches_pydicom():
    from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut
    ct = phantom(30, 40, 12, seed=51).astype(np.uint16)
    src = make_native("voi", ct, bits_stored=12, extra={"RescaleSlope": "1", "RescaleIntercept": "-1024"})
    ds = pydicom.dcmread(src)
    item = Dataset()
    first = -1024 + 500
    n = 2048
    item.LUTDescriptor = [n, first, 12]
    # a gamma-like curve, 12-bit output
    item.LUTData = [int(round(4095 * (i / (n - 1)) ** 0.6)) for i in range(n)]
    ds.VOILUTSequence = [item]
    ds["VOILUTSequence"][0]["LUTData"].VR = "US"
    ds["VOILUTSequence"][0]["LUTDescriptor"].VR = "SS"
    path = os.path.join(WORK, "voi_lut.dcm")
    ds.save_as(path, write_like_original=False)
    ds = pydicom.dcmread(path)
    want = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds).astype(np.int32), ds, index=0).astype(np.float64)
    want = np.floor(want * 255 / 4095 + 0.5).astype(np.uint8)
    out = os.path.join(WORK, "voi.png")
    lib.run("image", "frame", path, "--out", out)
    got = png_pixels(open(out, "rb").read())
    assert np.array_equal(got, want), f"max difference {np.abs(got.astype(int) - want.astype(int)).max()}"


@test
def modality_lut_sequence_matches_pydicom():
    from pydicom.pixel_data_handlers.util import apply_modality_lut
    img = phantom(25, 35, 10, seed=61).astype(np.uint16)
    src = make_native("mlut", img, bits_stored=10)
    ds = pydicom.dcmread(src)
    item = Dataset()
    item.LUTDescriptor = [1024, 0, 16]
    item.ModalityLUTType = "HU"
    item.LUTData = [int(3 * i + (i * i) // 700) for i in range(1024)]  # non-linear, 0..~4600
    ds.ModalityLUTSequence = [item]
    ds["ModalityLUTSequence"][0]["LUTData"].VR = "US"
    ds["ModalityLUTSequence"][0]["LUTDescriptor"].VR = "US"
    path = os.path.join(WORK, "mlut2.dcm")
    ds.save_as(path, write_like_original=False)
    ds = pydicom.dcmread(path)
    m = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    c, w = 1500.0, 2000.0
    y = ((m - (c - 0.5)) / (w - 1) + 0.5) * 255
    y[m <= c - 0.5 - (w - 1) / 2] = 0
    y[m > c - 0.5 + (w - 1) / 2] = 255
    want = np.floor(np.clip(y, 0, 255) + 0.5).astype(np.uint8)
    out = os.path.join(WORK, "mlut.png")
    lib.run("image", "frame", path, "--window", f"{c},{w}", "--out", out)
    got = png_pixels(open(out, "rb").read())
    assert np.array_equal(got, want), f"max difference {np.abs(got.astype(int) - want.astype(int)).max()}"


@test
def float_and_double_pixel_data():
    y, x = np.mgrid[0:20, 0:30]
    vals = (np.sin(x / 4.0) * 100 + y * 0.25 - 17.5).astype(np.float64)
    for tag, dt in (("FloatPixelData", np.float32), ("DoubleFloatPixelData", np.float64)):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.30"
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = 20, 30, 1, "MONOCHROME2"
        ds.BitsAllocated = 32 if dt == np.float32 else 64
        setattr(ds, tag, vals.astype(dt).tobytes())
        ds.is_little_endian, ds.is_implicit_VR = True, False
        path = os.path.join(WORK, f"{tag}.dcm")
        ds.save_as(path, write_like_original=False)
        want = pydicom.dcmread(path).pixel_array.astype(np.float32)
        got, meta = pc.ours(path, 0, WORK)
        assert meta["dtype"] == "float32", meta
        assert np.array_equal(got, want), f"{tag}: {np.abs(got - want).max()}"
        out = os.path.join(WORK, "f.png")
        lib.run("image", "frame", path, "--window", "0,150", "--out", out)  # values span -117.5..87.25
        png = png_pixels(open(out, "rb").read())
        assert png.shape == (20, 30) and png.min() == 0 and png.max() == 255


lib.main()
