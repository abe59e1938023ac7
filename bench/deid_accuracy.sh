#!/usr/bin/env bash
# deid_accuracy.sh: token-level recall and precision of `medlabel deid eval` per type on the clinical dev set
# (all 60 notes and the 001-040 / 041-060 split) and on both halves of the Presidio synthetic set (even item
# indexes: the half the name rules were tuned on; odd: held out), plus the generated held-out names of
# tests/unit/test_deid_heldout.c. Needs ../shared/data/deid (skips what is absent) and build/medlabel.
set -eu
cd "$(dirname "$0")/.."
BIN=${MEDLABEL_BIN:-build/medlabel}
D=../shared/data/deid
table() { # $1 title, rest: eval arguments
	local title=$1
	shift
	echo "== $title"
	"$BIN" deid eval "$@" --json | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
t = j["token"]
o = t["overall"]
print("%-18s %6s %6s %6s %7s %7s" % ("type", "tp", "fp", "fn", "recall", "prec"))
rows = [("OVERALL", o)] + sorted(t["by_type"].items())
for name, c in rows:
    if c["tp"] + c["fn"] + c["fp"] == 0:
        continue
    print("%-18s %6d %6d %6d %7.3f %7.3f" % (name, c["tp"], c["fp"], c["fn"], c["recall"], c["precision"]))
for lvl in ("entity_exact", "entity_overlap"):
    e = j[lvl]["overall"]
    print("%s: recall %.3f precision %.3f f1 %.3f" % (lvl, e["recall"], e["precision"], e["f1"]))
'
}
if [ -d "$D/clinical-dev" ]; then
	table "clinical-dev 001-060" --gold "$D/clinical-dev"
	table "clinical-dev 001-040" --gold "$D/clinical-dev" --notes 1-40
	table "clinical-dev 041-060" --gold "$D/clinical-dev" --notes 41-60
else
	echo "skip - clinical-dev: $D absent"
fi
P=$D/presidio-synth/synth_dataset_v2.json
if [ -f "$P" ]; then
	table "presidio even items (tuned on)" --gold "$P" --half even
	table "presidio odd items (held out)" --gold "$P" --half odd
else
	echo "skip - presidio: $P absent"
fi
T=${MEDLABEL_BUILD:-build}/tests/test_deid_heldout
if [ -x "$T" ]; then
	echo "== generated held-out names (tests/unit/test_deid_heldout.c)"
	"$T" held_out | grep '^#' || true
fi
