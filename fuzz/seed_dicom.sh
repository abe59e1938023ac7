#!/bin/sh
# seed_dicom.sh DIR: writes generated DICOM seeds for fuzz_dicom into DIR: files made by our writer
# (`medlabel dicom synth`), and, when pydicom is available, the same files re-encoded in implicit VR,
# explicit big endian and deflated syntaxes. Nothing is copied from ../shared/data.
set -eu
out=${1:?usage: seed_dicom.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${MEDLABEL_BIN:-$root/build/medlabel}
[ -x "$bin" ] || make -C "$root" -s all
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" dicom synth "$tmp/phi" --kind phi --count 8 --rows 4 --cols 4 --patients 3
"$bin" dicom synth "$tmp/mr" --kind mr --count 2 --rows 8 --cols 8
for f in "$tmp"/phi/*.dcm "$tmp"/mr/*.dcm; do cp "$f" "$out/seed_$(basename "$(dirname "$f")")_$(basename "$f")"; done
if /usr/bin/python3 -c 'import pydicom' 2>/dev/null; then
	/usr/bin/python3 - "$tmp/phi" "$out" <<'PY'
import glob, os, sys, warnings
import pydicom
from pydicom.uid import ImplicitVRLittleEndian, ExplicitVRBigEndian, DeflatedExplicitVRLittleEndian
warnings.simplefilter("ignore")
src, out = sys.argv[1], sys.argv[2]
for i, path in enumerate(sorted(glob.glob(os.path.join(src, "*.dcm")))[:3]):
    for name, ts, implicit, little in (("implicit", ImplicitVRLittleEndian, True, True),
                                       ("bigendian", ExplicitVRBigEndian, False, False),
                                       ("deflated", DeflatedExplicitVRLittleEndian, False, True)):
        ds = pydicom.dcmread(path)
        ds.file_meta.TransferSyntaxUID = ts
        ds.is_implicit_VR, ds.is_little_endian = implicit, little
        try:
            ds.save_as(os.path.join(out, f"seed_{name}_{i}.dcm"), write_like_original=False)
        except Exception as e:  # an encoding pydicom cannot write here: skip that seed
            print(f"skip {name}: {e}", file=sys.stderr)
PY
fi
