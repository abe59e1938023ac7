"""Files written by our DICOM writer (`medlabel dicom synth`) read back by pydicom and dcmtk, our reader on
the same files re-encoded by pydicom in the other transfer syntaxes, the text dump, and the generated
dictionary / de-identification tables matching their generator."""
import filecmp
import glob
import json
import os
import shutil
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from lib import ROOT, SHARED_DATA, Skip, eq, main, run, test, tmpdir  # noqa: E402

warnings.simplefilter("ignore")


def synth(kind, count, **kw):
    d = tmpdir()
    args = ["dicom", "synth", d, "--kind", kind, "--count", count]
    for k, v in kw.items():
        args += ["--" + k, v]
    run(*args)
    return d, sorted(glob.glob(os.path.join(d, "*.dcm")))


@test
def pydicom_reads_what_we_write():
    import pydicom
    d, files = synth("phi", 7, rows=6, cols=5, patients=3)
    eq(len(files), 7)
    for i, f in enumerate(files):
        ds = pydicom.dcmread(f)
        eq(ds.file_meta.TransferSyntaxUID, "1.2.840.10008.1.2.1")
        eq(ds.file_meta.MediaStorageSOPInstanceUID, ds.SOPInstanceUID)
        eq(ds.Rows, 6)
        eq(ds.Columns, 5)
        eq(len(ds.PixelData), 6 * 5 * 2)
        eq(ds.PixelData[0], i)
        eq(ds.OtherPatientIDsSequence[0].IssuerOfPatientID, "OTHER HOSPITAL")
        eq(ds.RequestAttributesSequence[0].ScheduledProtocolCodeSequence[0].CodeValue, "HEAD01")
        eq(str(ds.PatientID), "PID%05d" % (i % 3))
        # group length must equal the bytes of the meta elements
        raw = open(f, "rb").read()
        glen = int.from_bytes(raw[140:144], "little")
        ds_start = 144 + glen
        eq(raw[ds_start:ds_start + 4], b"\x08\x00\x05\x00")
    shutil.rmtree(d)


@test
def dcmtk_reads_what_we_write_without_complaint():
    if not shutil.which("dcmdump"):
        raise Skip("dcmdump not installed")
    d, files = synth("phi", 3, rows=4, cols=4)
    for f in files:
        p = subprocess.run(["dcmdump", "-dc", "+E", f], capture_output=True, text=True)
        eq(p.returncode, 0, p.stderr)
        assert "W:" not in p.stderr and "E:" not in p.stderr, p.stderr
        assert "(0010,1002) SQ (Sequence with undefined length" in p.stdout, p.stdout[:400]
    shutil.rmtree(d)


def compare_json(ours, ref, where=""):
    for k in set(ours) | set(ref):
        if k.endswith("0000"):
            continue
        assert k in ours and k in ref, f"{where}{k} missing on one side"
        a, b = ours[k], ref[k]
        if a["vr"] == "SQ":
            for i, (x, y) in enumerate(zip(a.get("Value", []), b.get("Value", []))):
                compare_json(x, y, f"{where}{k}[{i}].")
            eq(len(a.get("Value", [])), len(b.get("Value", [])), k)
        elif a["vr"] == "UN" and b["vr"] != "UN":
            # a private tag pydicom knows from its private dictionary: we keep it UN, as implicit VR must
            import base64
            raw = base64.b64decode(a["InlineBinary"]).decode("latin-1").strip(" \0")
            eq(raw, "\\".join(str(v) for v in b["Value"]), k)
        elif "InlineBinary" in b:
            eq(a.get("InlineBinary"), b["InlineBinary"], k)
        else:
            va = [v if v not in ("", None) else None for v in a.get("Value", [])]
            vb = [v if v not in ("", None) else None for v in b.get("Value", [])]
            eq(va, vb, f"{where}{k}")


@test
def our_reader_agrees_with_pydicom_in_every_syntax():
    import pydicom
    from pydicom.uid import DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, ImplicitVRLittleEndian
    d, files = synth("phi", 4, rows=4, cols=4, patients=2)
    n = 0
    for f in files:
        for name, ts, implicit, little in (("impl", ImplicitVRLittleEndian, True, True),
                                           ("be", ExplicitVRBigEndian, False, False),
                                           ("defl", DeflatedExplicitVRLittleEndian, False, True),
                                           ("orig", None, False, True)):
            ds = pydicom.dcmread(f)
            out = f
            if ts:
                ds.file_meta.TransferSyntaxUID = ts
                ds.is_implicit_VR, ds.is_little_endian = implicit, little
                out = f"{f}.{name}.dcm"
                ds.save_as(out, write_like_original=False)
            ref = pydicom.dcmread(out).to_json_dict(bulk_data_threshold=1 << 40)
            ours = json.loads(run("dicom", "dump", "--json", out).stdout)
            compare_json(ours, ref, f"{os.path.basename(out)}: ")
            n += 1
    eq(n, 16)
    shutil.rmtree(d)


@test
def text_dump_shows_sequences_and_cuts_long_values():
    d, files = synth("phi", 1, rows=4, cols=4)
    out = run("dicom", "dump", files[0]).stdout
    assert "(0010,0010) PN [Patient0^Given^Q]" in out, out
    assert "PatientName" in out
    assert "(0010,1002) SQ (Sequence with undefined length #=1)" in out
    assert "\n    (0010,0020) LO [MRN-0000000]" in out  # nested, indented
    assert "(7FE0,0010) OW " in out and "..." in out  # pixel data cut
    assert "Private [ACME PACS 1.0]" in out
    js = json.loads(run("dicom", "dump", "--json", "--bulk-threshold", "16", files[0]).stdout)
    uri = js["7FE00010"]["BulkDataURI"]
    assert uri.startswith("file://") and "length=32" in uri, uri
    off = int(uri.split("offset=")[1].split("&")[0])
    raw = open(files[0], "rb").read()
    eq(raw[off - 4:off], (32).to_bytes(4, "little"))
    p = run("dicom", "dump", os.path.join(d, "missing.dcm"), check=False)
    eq(p.returncode, 1)
    shutil.rmtree(d)


@test
def generated_tables_match_the_generator():
    std = os.path.join(SHARED_DATA, "dicom", "standard")
    if not os.path.isdir(std):
        raise Skip("../shared/data absent")
    d = tmpdir()
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "src", "dicom", "gen_tables.py"), std, d], check=True)
    for name in ("dict_table.c", "deid_table.c"):
        assert filecmp.cmp(os.path.join(d, name), os.path.join(ROOT, "src", "dicom", name), shallow=False), \
            f"src/dicom/{name} differs from what gen_tables.py makes: regenerate and commit it"
    shutil.rmtree(d)


main()
