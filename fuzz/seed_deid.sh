#!/bin/sh
# seed_deid.sh DIR: writes generated seed notes for fuzz_deid (no annotated note is copied).
set -e
mkdir -p "$1"
printf 'Patient: Bell, Harold J.   MRN: 00482917\nDOB: 06/22/1944  Acct #: V11930427\n' >"$1/header"
printf 'Seen by Dr. Okonkwo on 2/11 at (978) 555-0143 ext. 2; email a.b@example.org, www.example.org\n' >"$1/contact"
printf '77-year-old retired machinist; his wife Dorothy called. 41 Elm Lane, Salem, MA 01970\n' >"$1/social"
printf 'Pain 6/10, 2/6 murmur, 5/5 strength, G2P1102, Apgar 9/9, Parkinson disease. 1942 pt resting.\n' >"$1/clinical"
printf 'Patient: Wang Xiaoming (\347\216\213\345\260\217\346\230\216) 2022\345\271\26411\346\234\21030\346\227\245 \360\237\231\202 14 de marzo\n' >"$1/unicode"
printf 'SSN 031-64-2209 IP 10.31.4.187 serial BSX-417728 20230214093000 Jan '"'"'19 ninety-one year old\n' >"$1/ids"
printf '\003Sincerely,\n\nSusan Mahoney, MD\nRO/jk\n' >"$1/signature"
