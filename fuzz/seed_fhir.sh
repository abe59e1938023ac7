#!/bin/sh
# Writes FHIR seed inputs (a Bundle with every supported resource type, NDJSON, broken variants) into $1.
set -e
out=${1:?usage: seed_fhir.sh DIR}
mkdir -p "$out"
d=$(printf 'Patient denies fever. Mother had breast cancer.' | base64 -w0)
cat >"$out/bundle.json" <<JSON
{"resourceType":"Bundle","type":"collection","entry":[
{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1","name":[{"family":"X"}]}},
{"resource":{"resourceType":"DocumentReference","id":"d1","subject":{"reference":"urn:uuid:p1"},"context":{"encounter":[{"reference":"Encounter/e"}]},"content":[{"attachment":{"contentType":"text/plain; charset=utf-8","data":"$d"}}]}},
{"resource":{"resourceType":"DiagnosticReport","id":"r1","subject":{"reference":"Patient/p1"},"presentedForm":[{"contentType":"text/markdown","data":"$d"}],"conclusion":"ok"}},
{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e"},"code":{"coding":[{"system":"http://loinc.org","code":"8310-5"}]},"valueQuantity":{"value":37.5,"unit":"C"}}},
{"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"Patient/p1"},"code":{"text":"x"},"clinicalStatus":{"coding":[{"code":"active"}]}}},
{"resource":{"resourceType":"QuestionnaireResponse","id":"q1","subject":{"reference":"Patient/p1"},"authored":"2024-01-01","item":[{"linkId":"g","item":[{"linkId":"a","text":"Q?","answer":[{"valueString":"short of breath","item":[{"linkId":"b","answer":[{"valueBoolean":true}]}]}]}]}]}}
]}
JSON
printf '{"resourceType":"DocumentReference","id":"n1","subject":{"reference":"Patient/p"},"content":[{"attachment":{"contentType":"text/plain","data":"%s"}}]}\n{"resourceType":"DocumentReference","id":"n2","content":[{"attachment":{"contentType":"text/plain","data":"@@@"}}]}\n{bad\n' "$d" >"$out/docs.ndjson"
printf '{"resourceType":"QuestionnaireResponse","id":"q","subject":{"reference":"Patient/1"},"authored":"2024-02-30","item":[]}\n' >"$out/qr.ndjson"
