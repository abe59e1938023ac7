"""Conformance of `medlabel dicom dump --json` with pydicom over pydicom's own test files, and robustness on
the malformed ones: every parseable file must agree element by element (inside sequences too), and every
file either parses or fails with a clean error naming the file and a byte offset; none may crash."""
import base64
import glob
import json
import math
import os
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from lib import BIN, SHARED_DATA, Skip, main, run, test  # noqa: E402

FILES = os.path.join(SHARED_DATA, "dicom", "pydicom-test-files")
# Files that are cut short: pydicom reads them lazily without complaint, we must refuse them.
TRUNCATED = {"MR_truncated.dcm", "rtplan_truncated.dcm",
             # its last directory record item claims 248 bytes where 224 are left: malformed, so refused
             "DICOMDIR-nooffset"}
# VRs the standard leaves ambiguous ("OB or OW", "US or SS", "US or SS or OW"); readers may differ.
AMBIGUOUS = [{"OB", "OW"}, {"US", "SS"}, {"US", "OW"}, {"SS", "OW"}, {"OB", "UN"}, {"OW", "UN"}]


def files():
    if not os.path.isdir(FILES):
        raise Skip("../shared/data absent")
    out = []
    for p in sorted(glob.glob(os.path.join(FILES, "**", "*"), recursive=True)):
        if os.path.isfile(p) and not p.endswith((".json", ".txt", ".dump", ".gz", ".icc")):
            out.append(p)
    return out


def pydicom_json(path):
    import pydicom
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path)
            return ds.to_json_dict(bulk_data_threshold=1 << 40), None
        except Exception as e:  # pydicom refuses it: we may refuse it too, or read it
            return None, f"{type(e).__name__}: {e}"


def ours(path):
    p = subprocess.run([BIN, "dicom", "dump", "--json", path], capture_output=True, timeout=60)
    return p


def same_number(a, b):
    if isinstance(a, str) or isinstance(b, str):
        try:
            a, b = float(a), float(b)
        except (TypeError, ValueError):
            return str(a).strip() == str(b).strip()
    if a is None or b is None:
        return a == b
    if math.isnan(a) and math.isnan(b):
        return True
    return a == b or abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def norm_str(v):
    return "" if v is None else v


def compare_elem(path, tag, a, b, where, problems):
    va, vb = a.get("vr"), b.get("vr")
    if va != vb and {va, vb} not in AMBIGUOUS:
        problems.append(f"{where}{tag}: vr {va} (ours) != {vb} (pydicom)")
        return
    if "InlineBinary" in a or "InlineBinary" in b:
        da = base64.b64decode(a.get("InlineBinary", ""))
        db = base64.b64decode(b.get("InlineBinary", ""))
        if da != db:
            problems.append(f"{where}{tag}: binary differs ({len(da)} vs {len(db)} bytes)")
        return
    xa, xb = a.get("Value", []), b.get("Value", [])
    if va == "SQ":
        if len(xa) != len(xb):
            problems.append(f"{where}{tag}: {len(xa)} items (ours) != {len(xb)} (pydicom)")
            return
        for i, (ia, ib) in enumerate(zip(xa, xb)):
            compare_items(path, ia, ib, f"{where}{tag}[{i}].", problems)
        return
    # pydicom drops trailing empty values in places; compare with trailing empties removed
    while xa and xa[-1] in (None, ""):
        xa = xa[:-1]
    while xb and xb[-1] in (None, ""):
        xb = xb[:-1]
    if len(xa) != len(xb):
        problems.append(f"{where}{tag}: {len(xa)} values (ours) != {len(xb)} (pydicom)")
        return
    for x, y in zip(xa, xb):
        if va == "PN":
            x = {k: v for k, v in (x or {}).items() if v}
            y = {k: v for k, v in (y or {}).items() if v}
            if x != y:
                problems.append(f"{where}{tag}: person name differs")
        elif isinstance(x, (int, float)) or isinstance(y, (int, float)):
            if not same_number(x, y):
                problems.append(f"{where}{tag}: value {x!r} != {y!r}")
        elif norm_str(x).rstrip() != norm_str(y).rstrip():
            problems.append(f"{where}{tag}: string values differ")


def compare_items(path, a, b, where, problems):
    ka = {k for k in a if not k.endswith("0000")}
    kb = {k for k in b if not k.endswith("0000")}
    for k in sorted(ka - kb):
        problems.append(f"{where}{k}: only in ours")
    for k in sorted(kb - ka):
        problems.append(f"{where}{k}: only in pydicom")
    for k in sorted(ka & kb):
        compare_elem(path, k, a[k], b[k], where, problems)


@test
def dumps_agree_with_pydicom():
    compared = 0
    problems_all = []
    for path in files():
        name = os.path.basename(path)
        ref, ref_err = pydicom_json(path)
        p = ours(path)
        assert p.returncode in (0, 1), f"{name}: exit {p.returncode} {p.stderr[-300:]!r}"
        assert b"Sanitizer" not in p.stderr and b"runtime error" not in p.stderr, name
        if name in TRUNCATED:
            assert p.returncode == 1, f"{name}: a truncated file was accepted"
            continue
        if p.returncode != 0:
            msg = p.stderr.decode("utf-8", "replace")
            assert "cannot read" in msg and "byte" in msg, f"{name}: unclear error {msg!r}"
            if ref is not None:
                problems_all.append(f"{name}: we refuse a file pydicom reads: {msg.strip()}")
            continue
        if ref is None:
            continue  # pydicom refuses it, we read it: nothing to compare with
        got = json.loads(p.stdout.decode("utf-8"))
        problems = []
        compare_items(path, got, ref, "", problems)
        problems_all.extend(f"{name}: {x}" for x in problems)
        compared += 1
    assert compared >= 40, f"only {compared} files compared"
    assert not problems_all, "\n".join(problems_all[:60])


@test
def malformed_files_give_clean_errors():
    seen = 0
    for name in ["MR_truncated.dcm", "rtplan_truncated.dcm", "no_meta.dcm"]:
        path = os.path.join(FILES, name)
        if not os.path.exists(path):
            raise Skip("../shared/data absent")
        p = run("dicom", "dump", path, check=False)
        assert p.returncode == 1, name
        assert f"cannot read '{path}'" in p.stderr and "byte" in p.stderr, p.stderr
        seen += 1
    # Every byte-prefix of a real file must give an error or a dataset, never a crash.
    src = open(os.path.join(FILES, "rtstruct.dcm"), "rb").read()
    import tempfile
    d = tempfile.mkdtemp(prefix="medlabel-cut-")
    for n in range(0, len(src), max(1, len(src) // 150)):
        cut = os.path.join(d, f"cut{n}.dcm")
        with open(cut, "wb") as f:
            f.write(src[:n])
        p = subprocess.run([BIN, "dicom", "dump", "--json", cut], capture_output=True, timeout=30)
        assert p.returncode in (0, 1), (n, p.returncode, p.stderr[-200:])
    assert seen == 3


main()
