"""DICOM de-identification checked with pydicom: files full of PHI (nested sequences, private tags) made by our
writer go through `medlabel deid dicom`; then no attribute whose profile action is X, Z, D or U keeps its
original value anywhere, UIDs map consistently across files, dates shift consistently per patient, pixel data
is untouched, review cases are flagged without PHI, and bad files are named while the rest proceed."""
import collections
import datetime
import glob
import os
import re
import shutil
import subprocess
import sys
import warnings

sys.path.insert(0, os.path.dirname(__file__))
from lib import ROOT, eq, main, run, test, tmpdir  # noqa: E402

warnings.simplefilter("ignore")
import pydicom  # noqa: E402

PHI_STRINGS = [b"Patient0", b"Patient1", b"M\xc3\xbcller", b"PID0000", b"Elm Street", b"St Elsewhere",
               b"MRN-", b"ACME", b"555-01", b"Referrer", b"Performer", b"Operator^Olga", b"SCANNER-ROOM",
               b"called back", b"SN00004711", b"OTHER HOSPITAL", b"ACC0000", b"Harbour Road"]


def profile():
    """The profile table as generated into src/dicom/deid_table.c: {tag or (tag, mask): (basic, options)}."""
    cols = None
    rules = []
    text = open(os.path.join(ROOT, "src", "dicom", "deid_table.c"), encoding="utf-8").read()
    cols = re.search(r"Option columns: ([^.]*)\.", text).group(1).split(", ")
    for m in re.finditer(r"\{0x([0-9A-F]{8}), 0x([0-9A-F]{8}), (\d), (\w+), \{([^}]*)\}\}", text):
        opts = [x.strip().replace("DEID_ACT_", "") for x in m.group(5).split(",")]
        rules.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3) == "1",
                      m.group(4).replace("DEID_ACT_", ""), dict(zip(cols, opts))))
    assert len(rules) > 500
    return rules


RULES = profile()
OPT_COLUMN = {"modified-dates": "rtnLongModifDatesOpt", "safe-private": "rtnSafePrivOpt",
              "patient-chars": "rtnPatCharsOpt", "device-id": "rtnDevIdOpt", "clean-descriptors": "cleanDescOpt"}


def action(tag, options):
    for t, mask, private, basic, opts in RULES:
        if private:
            continue
        if (tag & mask) == t:
            for o in options:
                if opts.get(OPT_COLUMN[o], "0") in ("K", "C"):
                    return opts[OPT_COLUMN[o]]
            return basic
    return None


def walk(ds, out, depth=0):
    """(tag, value as text) for every element at every depth."""
    for el in ds:
        if el.VR == "SQ":
            for item in el.value:
                walk(item, out, depth + 1)
        else:
            v = el.value
            out.append((int(el.tag), "" if v is None else (v if isinstance(v, bytes) else str(v))))
    return out


def make_inputs(n=14, patients=3):
    d = tmpdir()
    src = os.path.join(d, "in", "site", "day1")
    run("dicom", "synth", src, "--kind", "phi", "--count", n, "--rows", 8, "--cols", 8, "--patients", patients)
    secret = os.path.join(d, "secret")
    with open(secret, "wb") as f:
        f.write(b"0123456789abcdef0123456789abcdef")
    return d, os.path.join(d, "in"), secret


def deid(src, out, secret, options="", check=True):
    args = ["deid", "dicom", src, out, "--secret-file", secret]
    if options:
        args += ["--options", options]
    return run(*args, check=check)


def pairs(root):
    files = sorted(glob.glob(os.path.join(root, "**", "*.dcm"), recursive=True))
    return files


@test
def no_x_z_d_u_attribute_keeps_its_value():
    d, src, secret = make_inputs()
    out = os.path.join(d, "out")
    p = deid(src, out, secret, "modified-dates")
    assert "de-identified 14 file(s)" in p.stdout, p.stdout
    ins, outs = pairs(src), pairs(out)
    eq([os.path.relpath(x, src) for x in ins], [os.path.relpath(x, out) for x in outs])
    checked = 0
    for fi, fo in zip(ins, outs):
        a, b = pydicom.dcmread(fi), pydicom.dcmread(fo)
        after = set(walk(b, []))
        for tag, value in walk(a, []):
            if tag >> 16 & 1:
                continue  # private: checked below
            act = action(tag, ["modified-dates"])
            if act in ("X", "Z", "D", "U", "XZ", "XD", "XZD", "ZD", "XZU") and value not in ("", b""):
                assert (tag, value) not in after, f"{os.path.basename(fi)}: ({tag >> 16:04X},{tag & 0xFFFF:04X}) kept"
                checked += 1
        # no private attribute survives without the safe-private option
        assert not [t for t, _ in walk(b, []) if t >> 16 & 1], os.path.basename(fo)
        raw = open(fo, "rb").read()
        for s in PHI_STRINGS:
            assert s not in raw, f"{os.path.basename(fo)} still contains {s!r}"
        eq(b.PatientIdentityRemoved, "YES")
        codes = [it.CodeValue for it in b.DeidentificationMethodCodeSequence]
        eq(codes, ["113100", "113107"])
        eq(b.LongitudinalTemporalInformationModified, "MODIFIED")
        eq(b.PixelData, a.PixelData)  # pixel data bytes untouched
        eq(b.file_meta.MediaStorageSOPInstanceUID, b.SOPInstanceUID)
    assert checked > 14 * 20, checked
    shutil.rmtree(d)


@test
def uids_map_consistently_and_dates_shift_per_patient():
    d, src, secret = make_inputs()
    out = os.path.join(d, "out")
    deid(src, out, secret, "modified-dates")
    mapping = collections.defaultdict(set)
    shifts = collections.defaultdict(set)
    new_sop = {}
    for fi, fo in zip(pairs(src), pairs(out)):
        a, b = pydicom.dcmread(fi), pydicom.dcmread(fo)
        for kw in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID"):
            old, new = getattr(a, kw), getattr(b, kw)
            assert new.startswith("2.25.") and len(new) <= 64 and new != old, kw
            mapping[old].add(new)
        new_sop[a.SOPInstanceUID] = b.SOPInstanceUID
        # the reference inside ReferencedImageSequence is replaced with the same mapping
        ref_old = a.ReferencedImageSequence[0].ReferencedSOPInstanceUID
        ref_new = b.ReferencedImageSequence[0].ReferencedSOPInstanceUID
        mapping[ref_old].add(ref_new)
        day = lambda s: datetime.date(int(s[:4]), int(s[4:6]), int(s[6:8]))  # noqa: E731
        shift = (day(b.StudyDate) - day(a.StudyDate)).days
        assert shift != 0
        shifts[a.PatientID].add(shift)
        # intervals kept: series date minus study date is the same before and after
        eq((day(b.SeriesDate) - day(b.StudyDate)).days, (day(a.SeriesDate) - day(a.StudyDate)).days)
        eq(b.AcquisitionDateTime[8:], a.AcquisitionDateTime[8:])  # time of day kept, date shifted
        eq((day(b.AcquisitionDateTime) - day(a.AcquisitionDateTime)).days, shift)
        assert b.PatientID.startswith("ML") and b.PatientName == b.PatientID
    for old, news in mapping.items():
        eq(len(news), 1, f"UID mapped to {len(news)} values")
    assert len({next(iter(v)) for v in mapping.values()}) == len(mapping), "two UIDs collided"
    for pid, s in shifts.items():
        eq(len(s), 1, "one shift per patient")
    assert len({next(iter(s)) for s in shifts.values()}) > 1, "every patient got the same shift"
    # same secret again: identical output; another secret: other UIDs
    out2 = os.path.join(d, "out2")
    deid(src, out2, secret, "modified-dates")
    for x, y in zip(pairs(out), pairs(out2)):
        eq(open(x, "rb").read(), open(y, "rb").read())
    other = os.path.join(d, "secret2")
    with open(other, "wb") as f:
        f.write(b"another secret of 32 bytes......")
    out3 = os.path.join(d, "out3")
    deid(src, out3, other, "modified-dates")
    assert pydicom.dcmread(pairs(out3)[0]).SOPInstanceUID != pydicom.dcmread(pairs(out)[0]).SOPInstanceUID
    shutil.rmtree(d)


@test
def review_cases_flagged_without_phi_and_bad_files_named():
    d, src, secret = make_inputs()
    bad = os.path.join(src, "site", "broken.dcm")
    good = open(pairs(src)[0], "rb").read()
    with open(bad, "wb") as f:
        f.write(good[:len(good) // 2])
    out = os.path.join(d, "out")
    p = deid(src, out, secret, check=False)
    eq(p.returncode, 1)
    assert "broken.dcm" in p.stderr and "byte" in p.stderr, p.stderr
    assert "14 file(s)" in p.stdout and "1 failed" in p.stdout, p.stdout
    reasons = re.findall(r"'([^']+)' needs pixel review \(([^)]+)\)", p.stderr)
    flagged = {os.path.basename(f): r for f, r in reasons}
    eq(flagged.get("phi000001.dcm"), "burned in annotation")
    eq(flagged.get("phi000003.dcm"), "secondary capture")
    eq(flagged.get("phi000005.dcm"), "ultrasound")
    assert "phi000000.dcm" not in flagged
    for s in PHI_STRINGS:
        assert s.decode("utf-8") not in p.stderr, s
    shutil.rmtree(d)


@test
def options_keep_what_they_promise():
    d, src, secret = make_inputs(n=3, patients=1)
    out = os.path.join(d, "out")
    deid(src, out, secret, "safe-private,patient-chars,device-id")
    a = pydicom.dcmread(pairs(src)[0])
    b = pydicom.dcmread(pairs(out)[0])
    eq(b[0x0019, 0x0010].value, "SIEMENS MR HEADER")  # safe private creator and B value kept
    eq(str(b[0x0019, 0x100C].value).strip(), "1000")
    assert (0x0029, 0x1001) not in b and (0x0029, 0x0010) not in b  # unknown private removed
    eq(b.PatientSex, a.PatientSex)
    eq(b.PatientAge, a.PatientAge)
    eq(b.DeviceSerialNumber, a.DeviceSerialNumber)
    assert "PatientBirthDate" not in b or b.PatientBirthDate != a.PatientBirthDate
    codes = [it.CodeValue for it in b.DeidentificationMethodCodeSequence]
    eq(codes, ["113100", "113108", "113109", "113111"])
    # a given patient key is used as Patient ID
    out2 = os.path.join(d, "out2")
    run("deid", "dicom", src, out2, "--secret-file", secret, "--patient-key", "STUDY-7-P001")
    eq(pydicom.dcmread(pairs(out2)[0]).PatientID, "STUDY-7-P001")
    p = run("deid", "dicom", src, out2, "--secret-file", secret, "--options", "full-dates,modified-dates",
            check=False)
    eq(p.returncode, 2)
    p = run("deid", "dicom", src, out2, data=os.path.join(d, "nodata"), check=False)
    eq(p.returncode, 1)
    assert "secret" in p.stderr
    # the deployment's own secret (DATA/deployment.secret made by init) keys the same way as --secret-file
    data = os.path.join(d, "data")
    run("init", data=data, check=False)
    if os.path.exists(os.path.join(data, "deployment.secret")):
        # random bytes may end in a line feed: both ways of reading the file must still give one key
        with open(os.path.join(data, "deployment.secret"), "wb") as f:
            f.write(os.urandom(31) + b"\n")
        out3, out4 = os.path.join(d, "out3"), os.path.join(d, "out4")
        run("deid", "dicom", src, out3, data=data)
        run("deid", "dicom", src, out4, "--secret-file", os.path.join(data, "deployment.secret"))
        eq(pydicom.dcmread(pairs(out3)[0]).SOPInstanceUID, pydicom.dcmread(pairs(out4)[0]).SOPInstanceUID)
    shutil.rmtree(d)


@test
def big_endian_and_implicit_inputs_come_out_explicit_little_endian():
    from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian
    d, src, secret = make_inputs(n=2, patients=1)
    f0 = pairs(src)[0]
    conv = os.path.join(d, "conv")
    os.makedirs(conv)
    for name, ts, implicit, little in (("be", ExplicitVRBigEndian, False, False),
                                       ("impl", ImplicitVRLittleEndian, True, True)):
        ds = pydicom.dcmread(f0)
        ds.file_meta.TransferSyntaxUID = ts
        ds.is_implicit_VR, ds.is_little_endian = implicit, little
        ds.save_as(os.path.join(conv, name + ".dcm"), write_like_original=False)
    out = os.path.join(d, "out")
    deid(conv, out, secret)
    ref = pydicom.dcmread(f0)
    for name in ("be", "impl"):
        b = pydicom.dcmread(os.path.join(out, name + ".dcm"))
        eq(b.file_meta.TransferSyntaxUID, "1.2.840.10008.1.2.1")
        eq(b.Rows, ref.Rows)
        raw = pydicom.dcmread(os.path.join(conv, name + ".dcm")).PixelData
        if name == "be":  # OW words of a big endian file come out swapped to little endian
            raw = b"".join(raw[i + 1:i + 2] + raw[i:i + 1] for i in range(0, len(raw), 2))
        eq(b.PixelData, raw)
        eq(b.ImagePositionPatient, ref.ImagePositionPatient)
    shutil.rmtree(d)


def safe_private_table():
    """{(creator, group, element byte): VR} from src/dicom/safe_private_table.c."""
    text = open(os.path.join(ROOT, "src", "dicom", "safe_private_table.c"), encoding="utf-8").read()
    rows = re.findall(r'\{"([^"]+)", 0x([0-9A-F]{4}), 0x([0-9A-F]{2}), DICOM_VR_(\w\w),', text)
    assert len(rows) >= 30, len(rows)
    return {(c, int(g, 16), int(e, 16)): vr for c, g, e, vr in rows}


@test
def safe_private_keeps_table_rows_and_removes_the_rest():
    """Several private blocks, safe and unsafe, at top level and in a sequence item, in explicit and implicit
    VR: with safe-private only Table E.3.10-1 rows (and their creators) remain, with their values."""
    table = safe_private_table()
    d, src, secret = make_inputs(n=1, patients=1)
    base = pydicom.dcmread(pairs(src)[0])
    for tag in [t for t in base.keys() if t.group & 1]:
        del base[tag]  # start from no private block at all
    blocks = [  # (group, block, creator, [(element byte, VR, value, safe)])
        (0x0019, 0x10, "GEMS_ACQU_01", [(0x23, "DS", "40.5", True), (0x24, "DS", "5.25", True),
                                        (0x10, "LO", "PHI-TEXT-1", False), (0x9E, "LO", "EPI2", True)]),
        (0x0043, 0x10, "GEMS_PARM_01", [(0x39, "IS", ["1000", "0", "0", "0"], True),
                                        (0x40, "LO", "PHI-TEXT-2", False)]),
        (0x2001, 0x10, "Philips Imaging DD 001", [(0x03, "FL", 1000.0, True), (0x04, "CS", "I", True),
                                                  (0x05, "LO", "PHI-TEXT-3", False)]),
        (0x2005, 0x10, "Philips MR Imaging DD 001", [(0x0D, "FL", -12.5, True), (0x0E, "FL", 2.5, True)]),
        (0x7053, 0x10, "Philips PET Private Group", [(0x00, "DS", "0.000276", True), (0x09, "DS", "1.5", True)]),
        # the table says SL: free text under that tag goes, and so does a creator left with nothing safe
        (0x0025, 0x10, "GEMS_SERS_01", [(0x07, "LO", "PHI-TEXT-4", False)]),
        # a safe element byte under another creator is not safe
        (0x0045, 0x10, "SOMEONE ELSE", [(0x01, "SS", 4, False)]),
        # a safe creator in its second block of the group: elements (0045,11yy)
        (0x0045, 0x11, "GEMS_HELIOS_01", [(0x01, "SS", 64, True), (0x02, "FL", 0.625, True)]),
        (0x0029, 0x10, "ACME PRIVATE", [(0x01, "LO", "PHI-TEXT-5", False)]),
        # converters label unknown private elements OB: judged by the value against the table's VR
        (0x0025, 0x11, "GEMS_SERS_01", [(0x07, "OB", b"\x10\x00\x00\x00", True)]),
        (0x7053, 0x11, "Philips PET Private Group", [(0x09, "OB", b"PHI-TEXT-7", False)]),
    ]
    for g, blk, creator, elems in blocks:
        base.add_new((g, blk), "LO", creator)
        for e, vr, value, _ in elems:
            base.add_new((g, blk << 8 | e), vr, value)
    item = base.ReferencedImageSequence[0]  # a kept sequence: its item's private blocks are judged alike
    item.add_new((0x0019, 0x0010), "LO", "SIEMENS MR HEADER")
    item.add_new((0x0019, 0x100C), "IS", "500")
    item.add_new((0x0019, 0x1008), "LO", "PHI-TEXT-6")
    conv = os.path.join(d, "conv")
    os.makedirs(conv)
    base.save_as(os.path.join(conv, "explicit.dcm"), write_like_original=False)
    base.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    base.is_implicit_VR, base.is_little_endian = True, True
    base.save_as(os.path.join(conv, "implicit.dcm"), write_like_original=False)
    out, plain = os.path.join(d, "out"), os.path.join(d, "plain")
    deid(conv, out, secret, "safe-private")
    deid(conv, plain, secret)
    for name in ("explicit", "implicit"):
        a = pydicom.dcmread(os.path.join(conv, name + ".dcm"))
        b = pydicom.dcmread(os.path.join(out, name + ".dcm"))
        raw = open(os.path.join(out, name + ".dcm"), "rb").read()
        for i in range(1, 8):
            assert b"PHI-TEXT-%d" % i not in raw, (name, i)
        kept = 0
        for ds, where in ((b, "top"), (b.ReferencedImageSequence[0], "item")):
            creators = {}
            for el in ds:
                if not el.tag.group & 1 or el.VR == "SQ":
                    continue
                if el.tag.element < 0x100:
                    creators[(el.tag.group, el.tag.element)] = el.value
            for el in ds:
                g, e = el.tag.group, el.tag.element
                if not g & 1 or e < 0x1000:
                    continue
                creator = creators.get((g, e >> 8))
                key = (creator, g, e & 0xFF)
                assert key in table, f"{name} {where}: ({g:04X},{e:04X}) under {creator!r} kept"
                assert el.VR in (table[key], "UN", "OB"), (name, where, el.tag, el.VR)
                kept += 1
            # every creator left reserves a block that still holds a safe element
            for (g, blk), creator in creators.items():
                assert any(t.group == g and t.element >> 8 == blk for t in ds.keys()), (name, creator)
        eq(kept, 14, f"{name}: safe elements kept")
        # the values are the original bytes (raw elements: implicit input comes back as UN)
        a, b2 = pydicom.dcmread(os.path.join(conv, name + ".dcm")), pydicom.dcmread(os.path.join(out, name + ".dcm"))
        for g, blk, creator, elems in blocks:
            for e, vr, value, safe in elems:
                tag = pydicom.tag.Tag(g, blk << 8 | e)
                if safe:
                    eq(b2.get_item(tag).value, a.get_item(tag).value, f"{name} {tag}")
        ia, ib = a.ReferencedImageSequence[0], b2.ReferencedImageSequence[0]
        eq(ib.get_item(pydicom.tag.Tag(0x0019, 0x100C)).value, ia.get_item(pydicom.tag.Tag(0x0019, 0x100C)).value)
        codes = [it.CodeValue for it in b.DeidentificationMethodCodeSequence]
        assert "113111" in codes, codes
        # without the option, nothing private is left anywhere
        p = pydicom.dcmread(os.path.join(plain, name + ".dcm"))
        assert not [t for t, _ in walk(p, []) if t >> 16 & 1], name
    shutil.rmtree(d)


main()
