#!/usr/bin/env bash
# Writes seed tables for fuzz_agree_csv into DIR: numeric and categorical, missing cells, RFC 4180
# quoting (commas, quotes and newlines inside fields), CRLF, a header-only file and a ragged row.
set -eu
dir=${1:?usage: seed_agree_csv.sh DIR}
mkdir -p "$dir"
printf 'A,B,C,D\n1,1,,1\n2,2,3,2\n3,3,3,3\n3,3,3,3\n2,2,2,2\n1,2,3,4\n4,4,4,4\n1,1,2,1\n2,2,2,2\n,5,5,5\n,,1,1\n,3,,\n' >"$dir/krippendorff.csv"
printf 'r1,r2\r\nyes,yes\r\nno,yes\r\n"no","no"\r\n,yes\r\n' >"$dir/crlf.csv"
printf '"ann ""1""",ann2,ann3\n"a,b","a,b",x\n"multi\nline",y,y\n  z  , z ,\n' >"$dir/quoted.csv"
printf 'a,b\n0.5,1e3\n-2,7.25\n1000.5,\n' >"$dir/numbers.csv"
printf 'a,b,c\n' >"$dir/header-only.csv"
printf 'a,b\n1,2\n3\n' >"$dir/ragged.csv"
awk 'BEGIN { srand(7); print "c1,c2,c3,c4,c5"; for (i = 0; i < 200; i++) { line = ""; for (j = 0; j < 5; j++) { v = (rand() < 0.2) ? "" : int(1 + rand() * 5); line = line (j ? "," : "") v } print line } }' >"$dir/random.csv"
