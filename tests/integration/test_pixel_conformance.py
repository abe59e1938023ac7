#!/usr/bin/env python3
"""Pixel conformance over ../shared/data/dicom/pydicom-test-files: every decodable frame of every file equals
pydicom's pixel_array exactly for lossless syntaxes and within ±1 for lossy ones. Where pydicom (Debian:
numpy, RLE and Pillow handlers) cannot decode, the file is first decompressed with dcmtk (dcmdjpeg,
dcmdjpls, dcmdrle) or GDCM (gdcmconv --raw) and pydicom reads that. Truncated and malformed files must give
an error message, never a crash."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import Skip, test  # noqa: E402

DATA = os.path.join(lib.SHARED_DATA, "dicom", "pydicom-test-files")


def files():
    if not os.path.isdir(DATA):
        raise Skip("../shared/data absent")
    return sorted(os.path.join(DATA, f) for f in os.listdir(DATA) if f.endswith(".dcm"))


@test
def decoded_pixels_match_pydicom_or_dcmtk():
    import numpy as np
    import pydicom
    import pixel_common as pc

    work = lib.tmpdir()
    checked, unsupported, skipped = [], [], []
    for path in files():
        name = os.path.basename(path)
        try:
            ds = pydicom.dcmread(path)
        except Exception:
            skipped.append(name + " (pydicom cannot read)")
            continue
        if "PixelData" not in ds:
            continue
        ts = str(ds.file_meta.TransferSyntaxUID) if "TransferSyntaxUID" in ds.file_meta else "1.2.840.10008.1.2"
        tol = 1 if ts in pc.LOSSY else 0
        source = "pydicom"
        try:
            ref = pc.reference_frames(ds)
            # Pillow converts JPEG colour its own way; dcmtk follows the Photometric Interpretation as we do.
            if ts in pc.JPEG and int(ds.SamplesPerPixel) == 3:
                raise RuntimeError("use dcmtk for colour JPEG")
        except Exception:
            native = pc.dcmtk_native(path, ts, work)
            if not native:
                skipped.append(name + " (no reference decoder)")
                continue
            try:
                nds = pydicom.dcmread(native)
                ref = pc.reference_frames(nds)
                source = "dcmtk"
            except Exception as e:
                skipped.append(f"{name} (reference failed: {e})")
                continue
        compared = True
        maxdiff = 0
        for i in range(ref.shape[0]):
            try:
                got, meta = pc.ours(path, i, work)
            except pc.Unsupported as e:
                unsupported.append(f"{name}: {e}")
                compared = False
                break
            want = ref[i]
            if meta["photometric"] == "RGB" and str(ds.PhotometricInterpretation) in ("YBR_FULL", "YBR_FULL_422") and \
                    source == "pydicom":
                from pydicom.pixel_data_handlers.util import convert_color_space
                want = convert_color_space(want, "YBR_FULL", "RGB")
                tol = max(tol, 1)
            maxdiff = max(maxdiff, pc.compare(got, want, tol, f"{name} frame {i} vs {source}"))
            if i == 0 and meta["photometric"] == "RGB":
                # RGB frames render unchanged (scaled to 8 bits): no second colour conversion on the way to PNG.
                from PIL import Image
                png = os.path.join(work, "rgb.png")
                lib.run("image", "frame", path, "--out", png)
                bits = int(meta["bits_stored"])
                scaled = np.floor(got.astype(np.float64) * 255 / ((1 << bits) - 1) + 0.5).astype(np.uint8)
                pc.compare(np.asarray(Image.open(png)), scaled, 0, f"{name} PNG vs decoded")
        if compared:
            checked.append(f"{name} ({source}, max diff {maxdiff}/{tol})")
    print(f"# {len(checked)} files match: " + ", ".join(checked))
    for u in unsupported:
        print(f"# unsupported (reported, not compared): {u}")
    for s in skipped:
        print(f"# no reference: {s}")
    assert len(checked) >= 30, f"only {len(checked)} files compared"


@test
def windowed_png_matches_dcmtk_within_one():
    """Grey frames rendered with an explicit window agree with dcmtk's dcmj2pnm +Ww within 1 grey level."""
    import shutil
    import subprocess
    import numpy as np
    import pydicom
    from PIL import Image
    from pydicom.pixel_data_handlers.util import apply_modality_lut
    if not shutil.which("dcmj2pnm"):
        raise Skip("dcmj2pnm (dcmtk) not installed")
    work = lib.tmpdir()
    done = []
    for path in files():
        name = os.path.basename(path)
        try:
            ds = pydicom.dcmread(path)
            if "PixelData" not in ds or int(ds.SamplesPerPixel) != 1 or \
                    not str(ds.PhotometricInterpretation).startswith("MONOCHROME") or int(ds.BitsAllocated) < 8:
                continue
            hu = apply_modality_lut(ds.pixel_array, ds)
        except Exception:
            continue
        ts = str(ds.file_meta.TransferSyntaxUID) if "TransferSyntaxUID" in ds.file_meta else ""
        first = hu[0] if int(getattr(ds, "NumberOfFrames", 1) or 1) > 1 else hu
        lo, hi = float(first.min()), float(first.max())
        c, w = (lo + hi) / 2, max(hi - lo, 2.0) / 2  # a window over the lower-middle half: both clamps used
        out = os.path.join(work, "dcmtk.png")
        p = subprocess.run(["dcmj2pnm", "+on", "+Ww", str(c), str(w), path, out], capture_output=True)
        if p.returncode != 0:
            continue
        mine = os.path.join(work, "ours.png")
        if lib.run("image", "frame", path, "--window", f"{c},{w}", "--out", mine, check=False).returncode != 0:
            continue
        a = np.asarray(Image.open(mine))
        b = np.asarray(Image.open(out))
        d = np.abs(a.astype(int) - b.astype(int)).max()
        if ts == "1.2.840.10008.1.2.2" and int(ds.BitsAllocated) == 32:
            # dcmtk and pydicom disagree on 32-bit big-endian data; our decoding equals pydicom's (checked in
            # decoded_pixels_match_pydicom_or_dcmtk), so dcmtk is no reference for these.
            continue
        assert d <= 1, f"{name}: ours and dcmj2pnm differ by {d}"
        done.append(name)
    print(f"# {len(done)} files agree with dcmj2pnm within 1: " + ", ".join(done))
    assert len(done) >= 5


@test
def malformed_files_give_errors_not_crashes():
    for path in files():
        name = os.path.basename(path)
        p = lib.run("image", "frame", path, "--format", "decoded", check=False)
        assert p.returncode in (0, 1), f"{name}: exit {p.returncode}: {p.stderr[-300:]}"
        if p.returncode == 1:
            assert p.stderr.startswith("medlabel image frame: "), f"{name}: {p.stderr!r}"
        # Truncated copies at several cut points must not crash either.
    work = lib.tmpdir()
    for path in files():
        data = open(path, "rb").read()
        for frac in (0.5, 0.9, 0.99):
            cut = os.path.join(work, "cut.dcm")
            with open(cut, "wb") as f:
                f.write(data[: int(len(data) * frac)])
            p = lib.run("image", "frame", cut, "--format", "png", "--out", os.path.join(work, "o.png"), check=False)
            assert p.returncode in (0, 1), f"{os.path.basename(path)} cut at {frac}: exit {p.returncode}"


lib.main()
