#!/bin/sh
# seed_deid_jsonl.sh DIR: writes fuzz_deid_jsonl seeds (generated JSONL records, taken and not) into DIR.
set -eu
out=${1:?usage: seed_deid_jsonl.sh DIR}
mkdir -p "$out"
printf '{"id": 1, "text": "Dr. Okonkwo saw Ms. Quistgaard on 03/04/2021", "meta": {"a": [1, 2.5, -0, true, null, "x"]}}' >"$out/basic"
printf '{"text":"caf\\u00e9 \\ud83d\\ude00 tab\\t q\\"uote \\\\ back \\/ slash \\u0001 \\n"}' >"$out/escapes"
printf '  {"n":3,"text":"\xe4\xb8\xad\xe6\x96\x87 \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a","z":[{},[]]}  ' >"$out/utf8"
printf '{"text": "a\\u0000b"}' >"$out/nul"
printf '{"n": 1e400, "text": "x"}' >"$out/overflow"
printf '{"text": "x", "text": 5}' >"$out/twice"
printf '{"text": "\\ud800"}' >"$out/surrogate"
printf '{"meta":[[[[[[[[{"a":{"b":[1,2,{"c":"d"}]}}]]]]]]]],"text":"x","k":12345678901234}' >"$out/deep"
