"""COCO, YOLO (detect and segment) and Pascal VOC exports of a PNG image item (uploaded through the API)
and the frames of a DICOM series item, read back and compared with the stored labels. Run with
/usr/bin/python3 (numpy, pydicom)."""
import json
import os
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zlib

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import test  # noqa: E402
import imaging_common as ic  # noqa: E402

try:
    import nibabel as nib
except ImportError:
    nib = None

W, H = 40, 30
_cache = {}


def png(w, h):
    """A real greyscale PNG (a ramp)."""
    raw = b"".join(b"\x00" + bytes((x * 5 + y) & 0xFF for x in range(w)) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def rle_from_string(s):
    """pycocotools' compressed counts string -> counts (pycocotools is not installed)."""
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts


def coco_mask(seg):
    np = ic.np
    h, w = seg["size"]
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, val = 0, 0
    for c in rle_from_string(seg["counts"]):
        flat[pos:pos + c] = val
        pos, val = pos + c, 1 - val
    assert pos == h * w, (pos, h * w)
    return flat.reshape(w, h).T  # column-major


def our_mask(rle):
    np = ic.np
    h, w = rle["size"]
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, val = 0, 0
    for c in rle["counts"]:
        flat[pos:pos + c] = val
        pos, val = pos + c, 1 - val
    return flat.reshape(h, w)


def fill_polygon(xy, h, w):
    """Even-odd fill sampled at pixel centres."""
    np = ic.np
    m = np.zeros((h, w), dtype=np.uint8)
    n = len(xy)
    for y in range(h):
        for x in range(w):
            px, py, inside = x + 0.5, y + 0.5, False
            for i in range(n):
                x1, y1 = xy[i]
                x2, y2 = xy[(i + 1) % n]
                if (y1 > py) != (y2 > py) and px < x1 + (py - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
            m[y, x] = inside
    return m


def setup():
    if "s" in _cache:
        return _cache["s"]
    ic.need_oracles()
    if nib is None:
        raise lib.Skip("nibabel not importable (run with /usr/bin/python3)")
    np = ic.np
    pr = ic.Project(name="exp")
    ph = ic.Phantom(os.path.join(pr.dir, "phantom"), rows=12, cols=10, n=7)
    pr.cli("import", pr.name, "--format", "dicom", ph.folder)
    with lib.Server(pr.data) as srv:
        # a CLI-made admin: the bootstrap admin must first change its one-time password
        lib.run("user", "add", "uploader", "--admin", "--password-stdin", data=pr.data, input="uploader password 1\n")
        token = pr.cli("token", "create", "uploader").stdout.strip()
        c = srv.client(token=token)
        b = "imgbound"
        parts = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.png\"\r\n"
                 f"Content-Type: image/png\r\n\r\n").encode() + png(W, H) + f"\r\n--{b}--\r\n".encode()
        r = c.get("/api/v1/projects")
        assert r.status == 200, r.body
        pid = [p for p in r.json()["projects"] if p["name"] == pr.name][0]["id"]
        r = c.post(f"/api/v1/projects/{pid}/items/upload", parts, raw=True,
                   headers={"Content-Type": f"multipart/form-data; boundary={b}"})
        assert r.status == 201, r.body
        # a NIfTI volume item (gzip): 10 columns x 12 rows x 4 slices, anisotropic, values = 100k + 10j + i
        vol_path = os.path.join(pr.dir, "vol.nii.gz")
        arr = np.zeros((10, 12, 4), dtype=np.int16)
        for i in range(10):
            for j in range(12):
                for k in range(4):
                    arr[i, j, k] = 100 * k + 10 * j + i
        aff = np.array([[-0.8, 0, 0, 12.0], [0, 0.6, 0.1, -5.0], [0, 0, 2.5, 30.0], [0, 0, 0, 1.0]])
        nib.save(nib.Nifti1Image(arr, aff), vol_path)
        parts = (f"--{b}\r\nContent-Disposition: form-data; name=\"modality\"\r\n\r\nvolume\r\n"
                 f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v.nii.gz\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n").encode() + open(vol_path, "rb").read() + \
            f"\r\n--{b}--\r\n".encode()
        r = c.post(f"/api/v1/projects/{pid}/items/upload", parts, raw=True,
                   headers={"Content-Type": f"multipart/form-data; boundary={b}"})
        assert r.status == 201, r.body
    items = {i["modality"]: i for i in pr.items()}
    img, ser = items["image"], items["dicom-series"]
    m = np.zeros((H, W), dtype=np.uint8)
    m[3:9, 20:23] = 1
    m[8, 23:27] = 1
    m[20:22, 5:7] = 1  # a second component
    img_results = [
        {"id": "b1", "control": "lesion", "label": "mass", "x": 2.5, "y": 4, "w": 10, "h": 6.5},
        {"id": "b2", "control": "lesion", "label": "cyst & <fluid>", "x": 0, "y": 20, "w": 8, "h": 10},
        {"id": "p1", "control": "outline", "label": "kidney", "points": [[30, 2], [38, 10], [28, 14]]},
        {"id": "m1", "control": "organs", "label": "spleen", "rle": {"size": [H, W], "counts": ic.rle(m)}},
        {"id": "k1", "control": "spine", "label": "spine",
         "keypoints": [{"name": "c7", "x": 12, "y": 3}, {"name": "l5", "x": 14, "y": 27, "visible": False}]},
    ]
    pr.label(img["task"]["id"], img_results)
    m2 = np.zeros((ph.rows, ph.cols), dtype=np.uint8)
    m2[2:5, 1:3] = 1
    m2[0, 0] = m2[ph.rows - 1, ph.cols - 1] = 1  # foreground in the first and last pixel (COCO counts edges)
    m3 = np.zeros((ph.rows, ph.cols), dtype=np.uint8)
    m3[6:8, 6:9] = 1
    ser_results = [
        {"id": "sm", "control": "organs", "label": "liver", "frame": 2, "rle": {"size": [ph.rows, ph.cols], "counts": ic.rle(m2)}},
        {"id": "n1", "control": "nodule", "label": "nodule", "parts": [
            {"frame": 3, "rle": {"size": [ph.rows, ph.cols], "counts": ic.rle(m3)}},
            {"frame": 4, "rle": {"size": [ph.rows, ph.cols], "counts": ic.rle(m2)}}]},
        {"id": "sb", "control": "lesion", "label": "mass", "frame": 5, "x": 1, "y": 1, "w": 3, "h": 4},
    ]
    pr.label(ser["task"]["id"], ser_results)
    vol = items["volume"]
    mv = np.zeros((12, 10), dtype=np.uint8)  # rows = j, columns = i
    mv[3:5, 6:9] = 1
    pr.label(vol["task"]["id"], [{"id": "v1", "control": "organs", "label": "spleen", "frame": 2,
                                  "rle": {"size": [12, 10], "counts": ic.rle(mv)}}])
    _cache["vol"] = (vol, vol_path, mv)
    _cache["s"] = (pr, ph, img, ser, img_results, ser_results)
    return _cache["s"]


@test
def coco_reads_back_as_the_stored_labels():
    pr, ph, img, ser, ir, sr = setup()
    np = ic.np
    out = os.path.join(pr.dir, "coco.json")
    pr.cli("export", pr.name, "--format", "coco", "--out", out)
    doc = json.load(open(out))
    cats = {c["id"]: c for c in doc["categories"]}
    names = [(c["supercategory"], c["name"]) for c in doc["categories"]]
    assert names == [("organs", "liver"), ("organs", "spleen"), ("nodule", "nodule"), ("lesion", "mass"),
                     ("lesion", "cyst & <fluid>"), ("outline", "kidney"), ("spine", "spine")], names
    spine = [c for c in doc["categories"] if c["name"] == "spine"][0]
    assert spine["keypoints"] == ["c7", "t12", "l5"] and spine["skeleton"] == [[1, 2], [2, 3]]
    images = {i["id"]: i for i in doc["images"]}
    assert len(images) == 1 + ph.n
    by_item = {}
    for i in doc["images"]:
        by_item[(i["medlabel_item"], i.get("frame", 0))] = i
    assert by_item[(img["id"], 0)]["width"] == W and by_item[(img["id"], 0)]["height"] == H
    anns = {(a["medlabel_annotation"], a["medlabel_result"], images[a["image_id"]].get("frame", 0)): a
            for a in doc["annotations"]}
    assert len({a["id"] for a in doc["annotations"]}) == len(doc["annotations"]) == 9
    a = [v for k, v in anns.items() if k[1] == "b1"][0]
    assert cats[a["category_id"]]["name"] == "mass" and a["bbox"] == [2.5, 4, 10, 6.5] and a["area"] == 65
    a = [v for k, v in anns.items() if k[1] == "p1"][0]
    assert a["segmentation"] == [[30, 2, 38, 10, 28, 14]] and a["bbox"] == [28, 2, 10, 12]
    a = [v for k, v in anns.items() if k[1] == "m1"][0]
    want = our_mask(ir[3]["rle"])
    got = coco_mask(a["segmentation"])
    assert (got == want).all(), "COCO RLE does not decode to the stored mask"
    assert a["area"] == int(want.sum()) and a["bbox"] == [5, 3, 22, 19], a["bbox"]
    a = [v for k, v in anns.items() if k[1] == "k1"][0]
    assert a["keypoints"] == [12, 3, 2, 0, 0, 0, 14, 27, 1] and a["num_keypoints"] == 2
    # DICOM frames: the series' mask on frame 2, the object's parts on frames 3 and 4 with one object id
    a = [v for k, v in anns.items() if k[1] == "sm"][0]
    assert images[a["image_id"]]["frame"] == 2 and images[a["image_id"]]["medlabel_item"] == ser["id"]
    assert (coco_mask(a["segmentation"]) == our_mask(sr[0]["rle"])).all()
    parts = sorted((images[v["image_id"]]["frame"], v) for k, v in anns.items() if k[1] == "n1")
    assert [f for f, _ in parts] == [3, 4] and len({v["medlabel_object"] for _, v in parts}) == 1
    for (f, v), p in zip(parts, sr[1]["parts"]):
        assert (coco_mask(v["segmentation"]) == our_mask(p["rle"])).all()
    # reproducible
    out2 = os.path.join(pr.dir, "coco2.json")
    pr.cli("export", pr.name, "--format", "coco", "--out", out2)
    assert open(out, "rb").read() == open(out2, "rb").read()


@test
def yolo_detect_and_segment_read_back():
    pr, ph, img, ser, ir, sr = setup()
    np = ic.np
    d, index, _ = pr.export("yolo", "yolo")
    classes = open(os.path.join(d, "classes.txt")).read().splitlines()
    assert classes == ["liver", "spleen", "nodule", "mass", "cyst & <fluid>", "kidney", "spine"], classes
    rows = [json.loads(l) for l in open(index)]
    assert len(rows) == 1 + ph.n
    negatives = [r for r in rows if r["labels"] is None]
    assert sorted(r["frame"] for r in negatives) == [0, 1, 6], negatives
    lines = open(os.path.join(d, f"labels/item-{img['id']}.txt")).read().splitlines()
    assert len(lines) == 4, lines  # keypoints are not exported
    box = [float(v) for v in lines[0].split()]
    assert box[0] == classes.index("mass")
    assert np.allclose(box[1:], [(2.5 + 5) / W, (4 + 3.25) / H, 10 / W, 6.5 / H], atol=1e-6), box
    mask_line = [float(v) for v in lines[3].split()]
    assert mask_line[0] == classes.index("spleen")
    assert np.allclose(mask_line[1:], [(5 + 11) / W, (3 + 9.5) / H, 22 / W, 19 / H], atol=1e-6)
    # segment: the mask's components traced along pixel edges enclose exactly its pixels
    d2, index2, _ = pr.export("yolo", "yolo-seg", "--format-opt", "segment")
    lines = open(os.path.join(d2, f"labels/item-{img['id']}.txt")).read().splitlines()
    spleen = [l for l in lines if int(l.split()[0]) == classes.index("spleen")]
    assert len(spleen) == 2, spleen  # two components
    got = np.zeros((H, W), dtype=np.uint8)
    for l in spleen:
        v = [float(x) for x in l.split()[1:]]
        pts = [(v[i] * W, v[i + 1] * H) for i in range(0, len(v), 2)]
        got |= fill_polygon(pts, H, W)
    assert (got == our_mask(ir[3]["rle"])).all(), "traced polygons do not cover the mask"
    kid = [l for l in lines if int(l.split()[0]) == classes.index("kidney")][0]
    v = [float(x) for x in kid.split()[1:]]
    assert np.allclose(v, [30 / W, 2 / H, 38 / W, 10 / H, 28 / W, 14 / H], atol=1e-6)
    # with images: the image item's own PNG, and every DICOM frame rendered to a PNG of its size
    d3, index3, _ = pr.export("yolo", "yolo-img", "--format-opt", "detect,images")
    rows = [json.loads(l) for l in open(index3)]
    assert len(rows) == 1 + ph.n and all(os.path.exists(os.path.join(d3, r["file"])) for r in rows)
    r = [r for r in rows if r["item"] == img["id"]][0]
    assert open(os.path.join(d3, r["file"]), "rb").read() == png(W, H)
    for r in rows:
        if r["item"] == ser["id"]:
            head = open(os.path.join(d3, r["file"]), "rb").read(24)
            assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (ph.cols, ph.rows), r
            assert r["file"] == f"images/item-{ser['id']}-f{r['frame']:05d}.png"
    _, _, p = pr.export("yolo", "yolo-bad", "--format-opt", "pose", check=False)
    assert p.returncode != 0 and "unknown yolo option 'pose'" in p.stderr, p.stderr


@test
def voc_xml_is_well_formed_escaped_and_complete():
    pr, ph, img, ser, ir, sr = setup()
    d, index, _ = pr.export("voc", "voc")
    rows = [json.loads(l) for l in open(index)]
    r = [x for x in rows if x["item"] == img["id"]][0]
    raw = open(os.path.join(d, r["xml"]), encoding="utf-8").read()
    assert "cyst &amp; &lt;fluid&gt;" in raw
    root = ET.fromstring(raw)
    assert root.tag == "annotation"
    assert root.findtext("size/width") == str(W) and root.findtext("size/height") == str(H)
    assert root.findtext("segmented") == "1"
    objs = root.findall("object")
    assert len(objs) == 4, [o.findtext("name") for o in objs]
    by = {o.findtext("name"): o for o in objs}
    assert set(by) == {"mass", "cyst & <fluid>", "kidney", "spleen"}
    bb = by["mass"].find("bndbox")
    assert [bb.findtext(k) for k in ("xmin", "ymin", "xmax", "ymax")] == ["3", "5", "13", "11"]
    bb = by["cyst & <fluid>"].find("bndbox")
    assert [bb.findtext(k) for k in ("xmin", "ymin", "xmax", "ymax")] == ["1", "21", "8", "30"]
    assert by["cyst & <fluid>"].findtext("truncated") == "1" and by["mass"].findtext("truncated") == "0"
    for o in objs:
        for k in ("pose", "truncated", "difficult", "bndbox/xmin", "bndbox/ymax", "medlabel_control"):
            assert o.findtext(k) is not None, k
    fr = [x for x in rows if x["item"] == ser["id"] and x.get("frame") == 5][0]
    root = ET.parse(os.path.join(d, fr["xml"])).getroot()
    assert root.findtext("object/name") == "mass" and root.findtext("size/depth") == "1"
    assert root.findtext("segmented") == "0"
    assert re.match(r"^[0-9a-f]{64}$", fr["blake2b"])


def tree_bytes(d):
    out = {}
    for dp, _, fs in os.walk(d):
        for f in fs:
            if not f.endswith(".manifest.json"):
                out[os.path.relpath(os.path.join(dp, f), d)] = open(os.path.join(dp, f), "rb").read()
    return out


@test
def yolo_voc_and_measurements_are_byte_reproducible():
    pr, ph, img, ser, ir, sr = setup()
    for fmt, opt in (("yolo", "segment,images"), ("voc", None), ("measurements-csv", None)):
        extra = ("--format-opt", opt) if opt else ()
        a, _, _ = pr.export(fmt, f"rep-{fmt}-a", *extra)
        b, _, _ = pr.export(fmt, f"rep-{fmt}-b", *extra)
        ta, tb = tree_bytes(a), tree_bytes(b)
        assert ta and ta == tb, f"{fmt}: two exports of the same labels differ"


@test
def volume_items_export_label_maps_on_their_own_affine_and_measure():
    import csv
    pr, ph, img, ser, ir, sr = setup()
    np = ic.np
    vol, vol_path, mv = _cache["vol"]
    d, index, _ = pr.export("nifti-labels", "vol-nii")
    rows = {json.loads(l)["item"]: json.loads(l) for l in open(index)}
    out = nib.load(os.path.join(d, rows[vol["id"]]["file"]))
    src = nib.load(vol_path)
    assert np.allclose(out.affine, src.affine, atol=1e-5), (out.affine, src.affine)
    data = np.asarray(out.dataobj)
    assert data.shape == (10, 12, 4)
    want = np.zeros((10, 12, 4), dtype=np.uint8)
    for j, i in zip(*np.nonzero(mv)):
        want[i, j, 2] = 2  # spleen's mask_value; mask row j, column i on slice 2
    assert (data == want).all(), np.argwhere(data != want)[:5]
    m = os.path.join(pr.dir, "vol-measure.csv")
    pr.cli("export", pr.name, "--format", "measurements-csv", "--out", m)
    r = [x for x in csv.DictReader(open(m, newline="")) if x["item_id"] == str(vol["id"])][0]
    vals = [100 * 2 + 10 * j + i for j, i in zip(*np.nonzero(mv))]
    sx, sy = np.linalg.norm(src.affine[:3, 0]), np.linalg.norm(src.affine[:3, 1])
    assert int(r["voxels"]) == 6 and abs(float(r["area_mm2"]) - 6 * sx * sy) < 1e-4, r
    assert abs(float(r["mean"]) - np.mean(vals)) < 1e-3 and float(r["min"]) == min(vals) and float(r["max"]) == max(vals)
    assert abs(float(r["longest_diameter_mm"]) - float(np.hypot(3 * sx, 2 * sy))) < 1e-3, r


if __name__ == "__main__":
    lib.main()
