"""Shared helpers for the pixel tests: decode a frame with medlabel, reference decodes with pydicom and dcmtk."""
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

import lib

LOSSY = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.81",
         "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.93", "1.2.840.10008.1.2.4.203"}
JPEG = {"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"}
JPEGLS = {"1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"}
RLE = {"1.2.840.10008.1.2.5"}
J2K = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"}


class Unsupported(Exception):
    pass


def ours(path, frame, work):
    """Our decoded frame as a numpy array (rows, cols[, samples]) and its description."""
    out = os.path.join(work, "frame.raw")
    p = lib.run("image", "frame", path, "--frame", frame, "--format", "decoded", "--out", out, check=False)
    if p.returncode != 0:
        if "not supported" in p.stderr:
            raise Unsupported(p.stderr.strip())
        raise AssertionError(f"medlabel failed on {os.path.basename(path)} frame {frame}: {p.stderr.strip()}")
    meta = json.loads(p.stdout.splitlines()[0])
    with open(out, "rb") as f:
        a = np.frombuffer(f.read(), dtype=np.dtype(meta["dtype"]).newbyteorder("<"))
    shape = (meta["rows"], meta["columns"]) + ((meta["samples"],) if meta["samples"] > 1 else ())
    return a.reshape(shape), meta


def dcmtk_native(path, ts, work):
    """Decompresses with dcmtk (or GDCM for JPEG 2000) to explicit VR little endian; returns the new path or None."""
    out = os.path.join(work, "native.dcm")
    if ts in JPEG:
        tool = ["dcmdjpeg", path, out]
    elif ts in JPEGLS:
        tool = ["dcmdjpls", path, out]
    elif ts in RLE:
        tool = ["dcmdrle", path, out]
    elif ts in J2K and shutil.which("gdcmconv"):
        tool = ["gdcmconv", "--raw", path, out]
    else:
        return None
    if not shutil.which(tool[0]):
        return None
    p = subprocess.run(tool, capture_output=True, timeout=120)
    return out if p.returncode == 0 and os.path.exists(out) else None


def reference_frames(ds):
    """pydicom's pixel_array as a list of frames, masked to Bits Stored for unsigned data (as ours is)."""
    a = ds.pixel_array
    nf = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if nf == 1:
        a = a[np.newaxis]
    if int(ds.PixelRepresentation) == 0 and int(ds.BitsStored) < int(ds.BitsAllocated) and a.dtype.kind == "u":
        a = a & ((1 << int(ds.BitsStored)) - 1)
    return a


def compare(got, want, tol, label):
    if got.shape != want.shape:
        raise AssertionError(f"{label}: shape {got.shape} != reference {want.shape}")
    d = np.abs(got.astype(np.int64) - want.astype(np.int64))
    if d.max() > tol:
        idx = np.unravel_index(int(np.argmax(d)), d.shape)
        raise AssertionError(f"{label}: max difference {int(d.max())} > {tol} at {idx} "
                             f"(ours {got[idx]}, reference {want[idx]}); {int((d > tol).sum())} samples differ")
    return int(d.max())
