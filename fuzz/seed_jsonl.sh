#!/bin/sh
# seed_jsonl.sh DIR: writes fuzz_jsonl seeds (generated JSONL lines, valid and broken) into DIR.
set -eu
out=${1:?usage: seed_jsonl.sh DIR}
mkdir -p "$out"
printf '{"text":"Pt seen 3/4","meta":{"ward":"ICU","n":[1,2.5e3,-0.1,true,null]},"patient_key":"p1"}\n' >"$out/basic"
printf '{"text":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\\\ \\n","external_ref":"DocumentReference/1"}\r\n\n{"text":""}' >"$out/escapes"
printf '{"meta":{},"text":"x","source":"ehr","id":7,"annotations":[{"a":{"b":[]}}]}\n{"text":1}\n' >"$out/mixed"
printf '{"text":"\xe4\xb8\xad\xe6\x96\x87 \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a e\xcc\x81"}\n{"text":"\xc3"}\n' >"$out/utf8"
printf '{"text":"a","text":"b"}\n{"text":"\\ud800"}\n[1]\n{"meta":[[[[[]]]]],"text":"x"}\n' >"$out/errors"
