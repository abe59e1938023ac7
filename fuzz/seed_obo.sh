#!/bin/sh
# Writes ontology seed inputs (OBO, FHIR CodeSystem, CSV, a BRAT .ann) into $1.
set -e
out=${1:?usage: seed_obo.sh DIR}
mkdir -p "$out"
cat >"$out/hp.obo" <<'OBO'
format-version: 1.2
data-version: hp/releases/2024-01-16
ontology: hp

[Term]
id: HP:0000001
name: All

[Term]
id: HP:0001250
name: Seizure
alt_id: HP:0002279
synonym: "Seizures" EXACT []
synonym: "Epileptic \"fit\"" RELATED [x:y] {a="b"}
is_a: HP:0000001 ! All
is_obsolete: false

[Typedef]
id: part_of
OBO
printf '{"resourceType":"CodeSystem","url":"http://x","version":"1","concept":[{"code":"A","display":"Alpha","designation":[{"value":"alfa"}],"concept":[{"code":"B","display":"Beta","property":[{"code":"status","valueCode":"retired"}]}]}]}' >"$out/cs.json"
printf 'code,display,synonyms,parent\nC50,Breast cancer,乳腺癌|BC,C00\nC00,Neoplasm,,\n' >"$out/icd.csv"
printf 'T1\tFinding 0 5\tfever\nA1\tNegated T1\n#1\tAnnotatorNotes T1\t{"system":"HPO","code":"HP:1"}\nR1\tr Arg1:T1 Arg2:T1\t\n' >"$out/doc.ann"
