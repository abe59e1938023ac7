"""DICOMweb round trip against a real Orthanc (Debian packages orthanc and orthanc-dicomweb) started on a
loopback port with a generated configuration: `medlabel pacs pull` (QIDO-RS, WADO-RS, DICOM import) and
`medlabel pacs push` (DICOM SEG over STOW-RS), checked through Orthanc's own DICOMweb. Skips with a clear
message when Orthanc or its plugin is missing or does not start. Run with /usr/bin/python3."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import lib  # noqa: E402
from lib import test  # noqa: E402
import imaging_common as ic  # noqa: E402

PLUGIN = "/usr/share/orthanc/plugins/libOrthancDicomWeb.so"
SEG_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.66.4"


class Orthanc:
    def __init__(self):
        exe = shutil.which("Orthanc") or ("/usr/sbin/Orthanc" if os.path.exists("/usr/sbin/Orthanc") else None)
        if not exe or not os.path.exists(PLUGIN):
            raise lib.Skip("Orthanc or its DICOMweb plugin is not installed (apt-get install orthanc orthanc-dicomweb)")
        self.dir = lib.tmpdir()
        self.port = lib.free_port()
        conf = {"Name": "medlabel-test", "StorageDirectory": os.path.join(self.dir, "db"),
                "IndexDirectory": os.path.join(self.dir, "db"), "HttpPort": self.port, "DicomPort": 0,
                "RemoteAccessAllowed": False, "AuthenticationEnabled": False, "Plugins": [PLUGIN],
                "DicomWeb": {"Enable": True, "Root": "/dicom-web/"}}
        path = os.path.join(self.dir, "orthanc.json")
        with open(path, "w") as f:
            json.dump(conf, f)
        self.log = open(os.path.join(self.dir, "orthanc.log"), "w")
        self.proc = subprocess.Popen([exe, path], stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            if self.proc.poll() is not None:
                raise lib.Skip("Orthanc exited at start: " + open(os.path.join(self.dir, "orthanc.log")).read()[-300:])
            try:
                urllib.request.urlopen(self.base + "/system", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise lib.Skip("Orthanc did not answer within 10 s")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()

    def get(self, path, accept="application/json"):
        req = urllib.request.Request(self.base + path, headers={"Accept": accept})
        return urllib.request.urlopen(req, timeout=30).read()

    def post(self, path, data):
        req = urllib.request.Request(self.base + path, data=data, method="POST")
        return urllib.request.urlopen(req, timeout=30).read()


@test
def pull_a_study_label_it_and_push_the_seg_back():
    ic.need_oracles()
    np = ic.np
    o = Orthanc()
    try:
        pr = ic.Project(name="pacs")
        ph = ic.Phantom(os.path.join(pr.dir, "phantom"), rows=8, cols=6, n=5)
        hashes = set()
        for name in sorted(os.listdir(ph.folder)):
            data = open(os.path.join(ph.folder, name), "rb").read()
            hashes.add(hashlib.blake2b(data, digest_size=32).hexdigest())
            o.post("/instances", data)
        url = o.base + "/dicom-web"
        p = pr.cli("pacs", "pull", pr.name, "--url", url, "--study", ph.study)
        assert "pulled 5 instances (0 segmentations, reports or presentation states left out): imported 1 items" in p.stdout, p.stdout
        items = pr.items()
        assert len(items) == 1 and items[0]["modality"] == "dicom-series"
        got = {i["media"] for i in items[0]["meta"]["dicom"]["instances"]}
        assert got == hashes, "the pulled instances differ from the ones stored in the PACS"
        # no work folder is left behind in the data folder
        assert not [d for d in os.listdir(pr.data) if d.startswith("tmp-pacs")]
        # an unknown study is a clear error, a malformed UID a usage error
        p = pr.cli("pacs", "pull", pr.name, "--url", url, "--study", "1.2.3.4", check=False)
        assert p.returncode == 1 and "no instance of that study" in p.stderr, p.stderr
        p = pr.cli("pacs", "pull", pr.name, "--url", url, "--study", "1.2/../x", check=False)
        assert p.returncode == 2 and "--study must be a UID" in p.stderr, p.stderr
        p = pr.cli("pacs", "pull", pr.name, "--url", "file:///etc", "--study", "1.2", check=False)
        assert p.returncode == 1 and "http://" in p.stderr, p.stderr
        # label two slices and push the segmentation
        m = np.zeros((ph.rows, ph.cols), dtype=np.uint8)
        m[2:4, 1:3] = 1
        pr.label(items[0]["task"]["id"], [
            {"id": "a", "control": "organs", "label": "liver", "frame": 1, "rle": {"size": [ph.rows, ph.cols], "counts": ic.rle(m)}},
            {"id": "b", "control": "organs", "label": "spleen", "frame": 3, "rle": {"size": [ph.rows, ph.cols], "counts": ic.rle(m)}}])
        p = pr.cli("pacs", "push", pr.name, "--url", url)
        assert "pushed 1 DICOM SEG instances" in p.stdout, p.stdout
        series = json.loads(o.get(f"/dicom-web/studies/{ph.study}/series", "application/dicom+json"))
        segs = [s for s in series if s["00080060"]["Value"][0] == "SEG"]
        assert len(segs) == 1, series
        seg_series = segs[0]["0020000E"]["Value"][0]
        insts = json.loads(o.get(f"/dicom-web/studies/{ph.study}/series/{seg_series}/instances", "application/dicom+json"))
        assert len(insts) == 1 and insts[0]["00080016"]["Value"][0] == SEG_SOP_CLASS
        # pushing the same labels again stores the same SOP Instance (derived UIDs), not a second one
        pr.cli("pacs", "push", pr.name, "--url", url)
        insts = json.loads(o.get(f"/dicom-web/studies/{ph.study}/series/{seg_series}/instances", "application/dicom+json"))
        assert len(insts) == 1, insts
        # pulled with de-identification: no stored instance keeps the patient's name or ID
        pr2 = ic.Project(name="pacs-deid")
        p = pr2.cli("pacs", "pull", pr2.name, "--url", url, "--study", ph.study, "--format-opt", "deid")
        # the study now holds our SEG too: it is left out, not imported as a series to label
        assert "pulled 6 instances (1 segmentations, reports or presentation states left out): imported 1 items" in p.stdout, p.stdout
        media = os.path.join(pr2.data, "media")
        blobs = [open(os.path.join(dp, f), "rb").read() for dp, _, fs in os.walk(media) for f in fs]
        assert len(blobs) >= 5
        assert not any(b"Phantom^Oblique" in b or b"PH-001" in b for b in blobs), "PHI reached the media folder"
        # a server that is not there
        p = pr.cli("pacs", "push", pr.name, "--url", f"http://127.0.0.1:{lib.free_port()}/dicom-web", check=False)
        assert p.returncode == 1 and "STOW-RS" in p.stderr, p.stderr
    finally:
        o.stop()


if __name__ == "__main__":
    lib.main()
