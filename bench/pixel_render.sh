#!/usr/bin/env bash
# pixel_render.sh: decoding and rendering DICOM frames, medlabel against dcmtk.
#
#   bench/pixel_render.sh [RUNS]      (default 3 runs each; prints medians)
#
# Set, generated under $BENCH_DIR (default /tmp/medlabel-bench-pixel, never committed): N CT slices
# 512x512 16-bit (`medlabel dicom synth --kind ct`, N = $COUNT, default 200), and copies compressed with
# dcmtk: JPEG lossless SV1 (dcmcjpeg +e1), JPEG-LS lossless (dcmcjpls), RLE (dcmcrle).
# Each tool runs once per file (a fresh process, as a web request or a script would): the time includes
# process start, reading, decoding, windowing (abdomen W400/L50) and PNG encoding.
#   medlabel image frame F --window 50,400 --out X.png      vs   dcmj2pnm +on +Ww 50 400 F X.png
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BIN=${MEDLABEL_BIN:-$ROOT/build/medlabel}
RUNS=${1:-3}
N=${COUNT:-200}
B=${BENCH_DIR:-/tmp/medlabel-bench-pixel}
[ -x "$BIN" ] || make -s all
mkdir -p "$B"
if [ ! -f "$B/done.$N" ]; then
	rm -rf "$B"/native "$B"/jpegll "$B"/jpegls "$B"/rle
	"$BIN" dicom synth "$B/native" --kind ct --count "$N" --rows 512 --cols 512 --patients 1 >/dev/null
	for d in jpegll jpegls rle; do mkdir -p "$B/$d"; done
	for f in "$B"/native/*.dcm; do
		b=$(basename "$f")
		dcmcjpeg +e1 "$f" "$B/jpegll/$b"
		dcmcjpls "$f" "$B/jpegls/$b"
		dcmcrle "$f" "$B/rle/$b"
	done
	touch "$B/done.$N"
fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# time_it LABEL COMMAND...: runs the command RUNS times; prints the medians of wall time and of CPU time
# (user + system, children included), and frames per wall second. CPU time is the steadier figure on a
# shared machine.
time_it() {
	local label=$1; shift
	local walls=() cpus=()
	for _ in $(seq "$RUNS"); do
		local out
		if ! /usr/bin/time -o "$B/time.txt" -f "%e %U %S" "$@" >/dev/null 2>"$B/err.txt"; then
			printf '%-22s failed: %s\n' "$label" "$(tail -1 "$B/err.txt")"
			return 0
		fi
		out=$(tail -1 "$B/time.txt")
		walls+=("$(echo "$out" | awk '{print $1}')")
		cpus+=("$(echo "$out" | awk '{print $2 + $3}')")
	done
	local w c
	w=$(printf '%s\n' "${walls[@]}" | median)
	c=$(printf '%s\n' "${cpus[@]}" | median)
	printf '%-22s wall %7.2f s  cpu %7.2f s  %7.1f frames/s\n' "$label" "$w" "$c" "$(awk -v n="$N" -v w="$w" 'BEGIN {print n / w}')"
}

# Loops over a folder in one bash process, one tool process per file.
# medlabel writes to standard output: its CLI writes --out files atomically with fsync, dcmj2pnm does not.
ours='for f in "$1"/*.dcm; do "$2" image frame "$f" --window 50,400 --out - >"$3/out.png"; done'
dcmj='for f in "$1"/*.dcm; do dcmj2pnm +on +Ww 50 400 "$f" "$3/out.png"; done'
dcml='for f in "$1"/*.dcm; do dcml2pnm +on +Ww 50 400 "$f" "$3/out.png"; done' # dcmtk's JPEG-LS tool

echo "# $N CT frames 512x512, one process per frame, median of $RUNS runs ($(nproc) cores, $(date -u +%F), load $(cut -d' ' -f1 /proc/loadavg))"
for set in native jpegll jpegls rle; do
	time_it "medlabel  $set" bash -c "$ours" _ "$B/$set" "$BIN" "$B"
	if [ "$set" = jpegls ]; then
		time_it "dcml2pnm  $set" bash -c "$dcml" _ "$B/$set" "$BIN" "$B"
	else
		time_it "dcmj2pnm  $set" bash -c "$dcmj" _ "$B/$set" "$BIN" "$B"
	fi
done
