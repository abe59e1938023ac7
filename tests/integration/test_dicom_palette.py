"""Segmented palette color lookup tables (PS3.3 C.7.9.2): a PALETTE COLOR file generated here with discrete,
linear (including a rounding tie) and indirect segments renders like pydicom's apply_color_lut says."""
import io
import os
import struct
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from lib import Skip, main, run, test, tmpdir  # noqa: E402

warnings.simplefilter("ignore")
import numpy as np  # noqa: E402
import pydicom  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402


def palette_file(path, segments, entries=256):
    rows, cols = 16, 16
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = (np.arange(rows * cols) % entries).astype(np.uint8).tobytes()
    for i, colour in enumerate(("Red", "Green", "Blue")):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [entries, 0, 16])
        words = segments[i]
        ds.add_new(0x00281221 + i, "OW", struct.pack("<%dH" % len(words), *words))
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(path, write_like_original=False)


@test
def segmented_palette_renders_like_pydicom():
    try:
        from PIL import Image
        from pydicom.pixel_data_handlers.util import apply_color_lut
    except ImportError as e:
        raise Skip(f"needs PIL and pydicom's apply_color_lut: {e}")
    d = tmpdir()
    segments = [
        [0, 1, 0, 1, 255, 65535],                              # one value, then a ramp to the top
        [0, 3, 100, 200, 301, 1, 100, 40000, 1, 153, 7],       # ramps up and down
        [0, 2, 5, 6, 1, 125, 1000, 2, 2, 0, 0, 1, 2, 3],       # the first two again (indirect), a ramp via 501.5
    ]
    src = os.path.join(d, "palette.dcm")
    palette_file(src, segments)
    ds = pydicom.dcmread(src)
    want = apply_color_lut(ds.pixel_array, ds).astype(np.float64)
    want = np.floor(want * 255 / 65535 + 0.5).astype(np.uint8)
    out = os.path.join(d, "palette.png")
    run("image", "frame", src, "--out", out)
    got = np.asarray(Image.open(io.BytesIO(open(out, "rb").read())))
    assert got.shape == want.shape, (got.shape, want.shape)
    assert np.array_equal(got, want), np.abs(got.astype(int) - want.astype(int)).max()
    # a segmented table that does not fill the descriptor's entries is refused with a message
    bad = os.path.join(d, "short.dcm")
    palette_file(bad, [[0, 1, 0, 1, 100, 65535]] * 3)
    p = run("image", "frame", bad, "--out", out, check=False)
    assert p.returncode != 0 and "entries" in p.stderr, p.stderr


main()
