#!/usr/bin/env bash
# bench/imaging_export.sh: the imaging exports at scale (issue 7).
#  1. COCO export of IMAGES image items (default 100,000) carrying BOXES boxes (1,000,000) and MASKS masks
#     (100,000 discs, compressed RLE in the output): seconds and peak RSS of `medlabel export --format coco`.
#     The project is filled through the store API by bench/imaging_seed.c (not timed).
#  2. NIfTI label map of a 512x512x600 CT series (one series written with pydicom, imported with
#     `medlabel import --format dicom`) labelled with one object3d of 600 disc parts: seconds and peak RSS of
#     `medlabel export --format nifti-labels` (.nii.gz), and the same with --format-opt nii.
# Medians of RUNS runs (default 3). Prints one line per figure.
#
#   bash bench/imaging_export.sh [IMAGES BOXES MASKS [RUNS]]     (MEDLABEL_BIN overrides build/medlabel)
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${1:-100000}
BOXES=${2:-1000000}
MASKS=${3:-100000}
RUNS=${4:-3}
BIN=${MEDLABEL_BIN:-$PWD/build/medlabel}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "GNU time missing: apt-get install time"; exit 1; }
make -j2 all >/dev/null
mkdir -p build/bench
objs=$(find build/obj/src -name '*.o' ! -path '*/cli/main.o')
# shellcheck disable=SC2086
gcc -std=c11 -D_GNU_SOURCE -O2 -Isrc bench/imaging_seed.c $objs -o build/bench/imaging_seed \
	$(pkg-config --libs libmicrohttpd jansson sqlite3 libpq libsodium libutf8proc libpcre2-8 zlib libcurl libjpeg \
	  libopenjp2 charls spng libpng sndfile libavformat libavcodec libavutil libswscale 2>/dev/null) -lnifti2 -lznz -lm -lpthread
WORK=$(mktemp -d /tmp/medlabel-imgbench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
measure() { # prints "seconds max_rss_kb cpu_seconds"
	"$TIME" -f "%e %M %U %S" -o "$WORK/time.out" "$@" >/dev/null 2>"$WORK/cmd.err" || { cat "$WORK/cmd.err"; exit 1; }
	tail -1 "$WORK/time.out" | awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
cat >"$WORK/schema.json" <<'JSON'
{"format": 1, "name": "bench", "modalities": ["image", "dicom-series"], "controls": [
 {"name": "organs", "kind": "mask", "labels": [{"value": "liver", "mask_value": 1}]},
 {"name": "nodule", "kind": "object3d", "labels": [{"value": "nodule", "mask_value": 2}]},
 {"name": "lesion", "kind": "box", "labels": [{"value": "mass"}, {"value": "cyst"}]}]}
JSON

# ---- 1. COCO -------------------------------------------------------------------------------------------
D="$WORK/coco"
"$BIN" --data "$D" init >/dev/null
"$BIN" --data "$D" project create bench >/dev/null
"$BIN" --data "$D" schema set bench "$WORK/schema.json" >/dev/null
build/bench/imaging_seed "$D" 1 "$IMAGES" "$BOXES" "$MASKS"
: >"$WORK/coco.res"
for r in $(seq 1 "$RUNS"); do
	rm -f "$WORK/coco.json"*
	measure "$BIN" --data "$D" export bench --format coco --out "$WORK/coco.json" >>"$WORK/coco.res"
done
size=$(stat -c %s "$WORK/coco.json")
/usr/bin/python3 - "$WORK/coco.json" "$IMAGES" "$BOXES" "$MASKS" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n, b, m = map(int, sys.argv[2:])
assert len(d["images"]) == n, len(d["images"])
boxes = sum(1 for a in d["annotations"] if isinstance(a["segmentation"], list))
masks = sum(1 for a in d["annotations"] if isinstance(a["segmentation"], dict))
assert (boxes, masks) == (b, m), (boxes, masks)
print(f"coco output checked: {n} images, {boxes} boxes, {masks} RLE masks")
PY
# the same-run reference: the JSONL export of the same project (items, tasks and annotation bodies verbatim)
: >"$WORK/jsonl.res"
for r in $(seq 1 "$RUNS"); do
	rm -f "$WORK/ref.jsonl"*
	measure "$BIN" --data "$D" export bench --format jsonl --out "$WORK/ref.jsonl" >>"$WORK/jsonl.res"
done
echo "reference jsonl export of the same project: $(stat -c %s "$WORK/ref.jsonl") bytes: median $(cut -d' ' -f1 "$WORK/jsonl.res" | median) s, CPU $(cut -d' ' -f3 "$WORK/jsonl.res" | median) s, peak RSS $(cut -d' ' -f2 "$WORK/jsonl.res" | median) kB"
rm -f "$WORK/ref.jsonl"*
echo "coco: $IMAGES images, $BOXES boxes, $MASKS masks -> $size bytes: median $(cut -d' ' -f1 "$WORK/coco.res" | median) s, CPU $(cut -d' ' -f3 "$WORK/coco.res" | median) s, peak RSS $(cut -d' ' -f2 "$WORK/coco.res" | median) kB, load $(cut -d' ' -f1 /proc/loadavg) (runs: $(cut -d' ' -f1 "$WORK/coco.res" | tr '\n' ' '))"
rm -rf "$D" "$WORK/coco.json"*

# ---- 2. NIfTI label map of a 512x512x600 series ---------------------------------------------------------
D="$WORK/nii"
"$BIN" --data "$D" init >/dev/null
"$BIN" --data "$D" project create vol >/dev/null
"$BIN" --data "$D" schema set vol "$WORK/schema.json" >/dev/null
/usr/bin/python3 - "$WORK/ct" <<'PY'
import os, sys
import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out = sys.argv[1]
os.makedirs(out)
study, series, frame = generate_uid(), generate_uid(), generate_uid()
pix = (np.arange(512 * 512, dtype=np.int32).reshape(512, 512) % 2000).astype(np.int16).tobytes()
for k in range(600):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = sop = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
    ds.Modality, ds.InstanceNumber = "CT", k + 1
    ds.ImagePositionPatient = ["-200", "-200", str(-300 + 0.625 * k)]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.PixelSpacing = ["0.78125", "0.78125"]
    ds.Rows = ds.Columns = 512
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.RescaleSlope, ds.RescaleIntercept = "1", "-1024"
    ds.PixelData = pix
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(os.path.join(out, f"ct{k:04d}.dcm"), write_like_original=False)
PY
"$BIN" --data "$D" import vol --format dicom "$WORK/ct" >/dev/null
rm -rf "$WORK/ct"
task=$("$BIN" --data "$D" export vol --format jsonl | /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["task"]["id"])')
/usr/bin/python3 - "$WORK/labels.json" <<'PY'
import json, sys
parts = []
for k in range(600):
    r = 40 + (k % 100)  # a disc per slice, radius varying along z
    counts, bg = [], 0
    for y in range(512):
        dy = y - 256
        if dy * dy > r * r:
            bg += 512
            continue
        dx = int((r * r - dy * dy) ** 0.5)
        counts += [bg + 256 - dx, 2 * dx + 1]
        bg = 512 - (256 + dx + 1)
    counts.append(bg)
    parts.append({"frame": k, "rle": {"size": [512, 512], "counts": counts}})
json.dump({"format": 1, "results": [{"id": "n1", "control": "nodule", "label": "nodule", "parts": parts}]}, open(sys.argv[1], "w"))
PY
"$BIN" --data "$D" quality gold vol "$task" --labels "$WORK/labels.json" >/dev/null
for opt in gz nii; do
	: >"$WORK/nii.res"
	mkdir -p "$WORK/out"
	for r in $(seq 1 "$RUNS"); do
		rm -rf "$WORK/out/"*
		measure "$BIN" --data "$D" export vol --format nifti-labels --format-opt "$opt" --out "$WORK/out/index.jsonl" >>"$WORK/nii.res"
	done
	f=$(ls "$WORK/out"/item-*)
	echo "nifti-labels ($opt): 512x512x600 label map, $(stat -c %s "$f") bytes: median $(cut -d' ' -f1 "$WORK/nii.res" | median) s, CPU $(cut -d' ' -f3 "$WORK/nii.res" | median) s, peak RSS $(cut -d' ' -f2 "$WORK/nii.res" | median) kB (runs: $(cut -d' ' -f1 "$WORK/nii.res" | tr '\n' ' '))"
done
