#!/bin/sh
# Writes CSV seed inputs into $1; the first byte of each picks the fuzzer's column mapping.
set -e
out=${1:?usage: seed_csv.sh DIR}
mkdir -p "$out"
printf '\001\357\273\277b,a\r\nP1,"note with ""quotes"",\r\nand newline"\r\nP2,plain\r\n' >"$out/bom.csv"
printf '\002note,pid,c,d\n"x",1,2024-01-01,r1\nbad"quote,2,3,4\n"open\n' >"$out/messy.csv"
printf '\003a,b,c\nsurvey,answer,1\ntext,other,2\nimage,x,3\n' >"$out/modality.csv"
printf '\000a\n\n\n' >"$out/blank.csv"
