#!/bin/sh
# seed_pixel.sh DIR: writes generated seeds for fuzz_pixel into DIR: a 4-byte header (codec, rows-1,
# columns-1, flags; see fuzz_pixel.c) then a codestream made here: RLE (own PackBits), baseline JPEG and
# J2K (Pillow), lossless JPEG, 12-bit extended JPEG and JPEG-LS (dcmtk compressing a pydicom-written file),
# an encapsulated value with an offset table, native bytes. Nothing is copied from ../shared/data.
set -eu
out=${1:?usage: seed_pixel.sh DIR}
mkdir -p "$out"
/usr/bin/python3 - "$out" <<'PY'
import io, os, shutil, struct, subprocess, sys, tempfile, warnings
import numpy as np
warnings.simplefilter("ignore")
out = sys.argv[1]
R, C = 16, 12

def save(name, codec, flags, stream, rows=R, cols=C):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([codec, rows - 1, cols - 1, flags]) + stream)

y, x = np.mgrid[0:R, 0:C]
g8 = ((x * 13 + y * 7) % 256).astype(np.uint8)
g16 = ((x * 300 + y * 97) % 4096).astype(np.uint16)

def packbits(b):
    o = bytearray()
    for i in range(0, len(b), 128):
        chunk = b[i:i + 128]
        o.append(len(chunk) - 1)
        o += chunk
    if len(o) % 2:
        o.append(0x80)
    return bytes(o)

def rle(planes):
    segs = [packbits(p) for p in planes]
    hdr = [len(segs)] + [0] * 15
    off = 64
    for i, s in enumerate(segs):
        hdr[1 + i] = off
        off += len(s)
    return struct.pack("<16I", *hdr) + b"".join(segs)

r8 = rle([g8.tobytes()])
r16 = rle([(g16 >> 8).astype(np.uint8).tobytes(), (g16 & 255).astype(np.uint8).tobytes()])
save("rle8", 0, 0, r8)
save("rle16", 0, 1 | 8, r16)
save("native16", 7, 1, g16.astype("<u2").tobytes())
item = lambda b: struct.pack("<HHI", 0xFFFE, 0xE000, len(b)) + b
bot = struct.pack("<2I", 0, 8 + len(r8))
save("encap_rle_2frames", 6, 0 | (1 << 6), item(bot) + item(r8) + item(r8) + struct.pack("<HHI", 0xFFFE, 0xE0DD, 0))
try:
    from PIL import Image
    b = io.BytesIO(); Image.fromarray(g8).save(b, format="JPEG", quality=90); save("jpeg8", 1, 0, b.getvalue())
    rgb = np.stack([g8, g8[::-1], 255 - g8], axis=-1)
    b = io.BytesIO(); Image.fromarray(rgb).save(b, format="JPEG", quality=90); save("jpeg8rgb", 1, 2 | 32, b.getvalue())
    b = io.BytesIO(); Image.fromarray(g8).save(b, format="JPEG2000", no_jp2=True, irreversible=False)
    save("j2k8", 4, 0, b.getvalue())
except Exception as e:
    print("pillow seeds skipped:", e, file=sys.stderr)
if shutil.which("dcmcjpeg") and shutil.which("dcmcjpls"):
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import generate_pixel_data_frame
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    tmp = tempfile.mkdtemp()
    ds = Dataset(); ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.PhotometricInterpretation = R, C, 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = g16.astype("<u2").tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    src = os.path.join(tmp, "src.dcm"); ds.save_as(src, write_like_original=False)
    for name, codec, tool in (("lossless_sv1", 2, ["dcmcjpeg", "+e1"]), ("lossless_sv7", 2, ["dcmcjpeg", "+el", "+sv", "7"]),
                              ("extended12", 5, ["dcmcjpeg", "+ee"]), ("jpegls", 3, ["dcmcjpls"]),
                              ("jpegls_near", 3, ["dcmcjpls", "+en", "+md", "2"])):
        dst = os.path.join(tmp, name + ".dcm")
        if subprocess.run(tool + [src, dst], capture_output=True).returncode == 0:
            d = pydicom.dcmread(dst)
            save(name, codec, 1 | 8, next(generate_pixel_data_frame(d.PixelData)))
    shutil.rmtree(tmp)
PY
