#!/bin/sh
# seed_label_schema.sh DIR: writes fuzz_label_schema seeds into DIR, one per case of tests/data/label/*.json
# (schema, or schema + "\n--\n" + annotation [+ "\n--\n" + item text]), so the corpus follows the cases.
set -eu
out=${1:?usage: seed_label_schema.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
/usr/bin/python3 - "$root" "$out" <<'PY'
import json, os, sys
root, out = sys.argv[1], sys.argv[2]
data_dir = os.path.join(root, "tests/data/label")
n = 0
for f in sorted(os.listdir(data_dir)):
    if not f.endswith(".json"):
        continue
    doc = json.load(open(os.path.join(data_dir, f), encoding="utf-8"))
    shared = json.dumps(doc["schema"], ensure_ascii=False) if "schema" in doc else None
    for i, c in enumerate(doc["cases"]):
        if "schema_text" in c:
            s = c["schema_text"]
        elif "schema" in c:
            s = json.dumps(c["schema"], ensure_ascii=False)
        else:
            s = shared
        seed = s
        if "annotation" in c or "annotation_text" in c:
            seed += "\n--\n" + (c.get("annotation_text") or json.dumps(c["annotation"], ensure_ascii=False))
            if "text" in c.get("ctx", {}):
                seed += "\n--\n" + c["ctx"]["text"]
        with open(os.path.join(out, "%s-%02d" % (f[:-5], i)), "w", encoding="utf-8") as fh:
            fh.write(seed)
        n += 1
print(n, "seeds")
PY
