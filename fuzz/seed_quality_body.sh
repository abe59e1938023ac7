#!/usr/bin/env bash
# Writes seed inputs for fuzz_quality_body into DIR: NUL-separated annotation bodies with choices, spans,
# boxes, 2-D masks (row-major RLE) and object3d parts.
set -eu
dir=${1:?usage: seed_quality_body.sh DIR}
mkdir -p "$dir"
printf '{"results":[{"id":"a","control":"r","choices":["yes"]}]}\0{"results":[{"id":"a","control":"r","choices":["no"]}]}' >"$dir/choices"
printf '{"results":[{"id":"a","control":"m","label":"x","start":0,"end":5,"text":"abcde"}]}\0{"results":[{"id":"a","control":"m","label":"x","start":2,"end":6,"text":"cdef"}]}' >"$dir/spans"
printf '{"results":[{"id":"a","control":"b","label":"x","x":1,"y":1,"w":5,"h":5}]}\0{"results":[{"id":"a","control":"b","label":"x","x":2,"y":1,"w":5,"h":4}]}' >"$dir/boxes"
printf '{"results":[{"id":"a","control":"s","label":"liver","frame":2,"rle":{"size":[4,6],"counts":[0,12,12]}}]}\0{"results":[{"id":"a","control":"s","label":"liver","frame":2,"rle":{"size":[4,6],"counts":[6,12,6]}}]}\0{"results":[{"id":"a","control":"s","label":"liver","frame":2,"rle":{"size":[4,6],"counts":[0,18,6]}}]}' >"$dir/masks"
printf '{"results":[{"id":"n","control":"o","label":"nodule","parts":[{"frame":1,"rle":{"size":[2,2],"counts":[0,1,3]}},{"frame":3,"rle":{"size":[2,2],"counts":[0,4]}}]}]}\0{"results":[{"id":"n","control":"o","label":"nodule","parts":[{"frame":3,"rle":{"size":[2,2],"counts":[0,4]}}]}]}' >"$dir/object3d"
