#!/usr/bin/env bash
# Runs every benchmark in bench/ (or those named: bench/run.sh dicom_deid agreement). Each one runs its
# peer (cp, sqlite3, dcmtk, GDCM, NLTK, wrk...) on the same input in the same run and prints the ratio and
# the absolute figures; copy the medians into bench/RESULTS.md with the machine and the date.
set -u
cd "$(dirname "$0")"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	names=(import_export api_wrk text_tagger fhir_import deid_text dicom_deid pixel_render agreement label_validate imaging_export web_ui)
fi
for n in "${names[@]}"; do
	echo "=== $n"
	if [ -f "$n.sh" ]; then bash "$n.sh"; elif [ -f "$n.py" ]; then /usr/bin/python3 "$n.py"; else echo "no benchmark '$n'"; fi
done
