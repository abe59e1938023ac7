#!/usr/bin/python3
"""dicom_orthanc.py: the Orthanc side of bench/dicom_deid.sh (run with /usr/bin/python3).

  dicom_orthanc.py upload URL IN_DIR COUNT IDS_FILE
      POSTs the first COUNT .dcm files of IN_DIR (sorted) to URL/instances, writes their Orthanc IDs to
      IDS_FILE with their paths, prints "upload N files wall W s".
  dicom_orthanc.py anonymize URL ORTHANC_PID IDS_FILE OUT_DIR THREADS
      POSTs URL/instances/{id}/anonymize (the Basic Profile, Orthanc's default) for every ID, writes each
      returned file to OUT_DIR, checks it is a DICOM file with the patient replaced, and prints
      "W CPU_SERVER CPU_CLIENT N": wall, Orthanc's process CPU (utime + stime from /proc) and this client's
      CPU over the anonymization only, and the number of files written.
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

TICK = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid):
    """utime + stime of a process in seconds, from /proc/PID/stat (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()
    return (int(rest[11]) + int(rest[12])) / TICK


def connect(url):
    u = urllib.parse.urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=600)


def request(conn, method, path, body=None, ctype="application/octet-stream"):
    conn.request(method, path, body=body, headers={"Content-Type": ctype})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"orthanc: {method} {path}: HTTP {r.status}: {data[:200]!r}")
    return data


def upload(url, in_dir, count, ids_file):
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(in_dir) for f in fs if f.endswith(".dcm"))
    files = files[:count]
    conn = connect(url)
    ids = []
    t = time.perf_counter()
    for path in files:
        with open(path, "rb") as f:
            body = f.read()
        ids.append(json.loads(request(conn, "POST", "/instances", body))["ID"])
    wall = time.perf_counter() - t
    if len(set(ids)) != len(ids):
        raise SystemExit(f"orthanc: {len(files)} files gave {len(set(ids))} instances (shared UIDs?)")
    with open(ids_file, "w") as f:
        f.writelines(f"{i} {p}\n" for i, p in zip(ids, files))
    print(f"upload {len(ids)} files wall {wall:.2f} s")


def anonymize(url, pid, ids_file, out_dir, threads):
    with open(ids_file) as f:
        pairs = [line.rstrip("\n").split(" ", 1) for line in f if line.strip()]
    ids = [p[0] for p in pairs]
    os.makedirs(out_dir, exist_ok=True)
    next_i = [0]
    lock = threading.Lock()
    errors = []

    def work():
        conn = connect(url)
        while True:
            with lock:
                i = next_i[0]
                next_i[0] += 1
            if i >= len(ids):
                return
            try:
                data = request(conn, "POST", f"/instances/{ids[i]}/anonymize", b"{}", "application/json")
            except BaseException as e:  # noqa: BLE001 - reported after the run
                errors.append(str(e))
                return
            with open(os.path.join(out_dir, f"{i:06d}.dcm"), "wb") as f:
                f.write(data)

    c0, s0, t0 = os.times(), proc_cpu(pid), time.perf_counter()
    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    s1, c1 = proc_cpu(pid), os.times()
    if errors:
        raise SystemExit(errors[0])
    written = sorted(os.listdir(out_dir))
    if len(written) != len(ids):
        raise SystemExit(f"orthanc: {len(written)} files written for {len(ids)} instances")
    # Orthanc's anonymization did happen: patient and UIDs replaced, pixel data untouched.
    import pydicom
    a = pydicom.dcmread(os.path.join(out_dir, written[0]))
    o = pydicom.dcmread(pairs[0][1])
    bad = [what for what, same in (("Patient ID", a.PatientID == o.PatientID),
                                    ("Patient's Name", a.PatientName == o.PatientName),
                                    ("SOP Instance UID", a.SOPInstanceUID == o.SOPInstanceUID),
                                    ("pixel data", a.PixelData != o.PixelData)) if same]
    if bad:
        raise SystemExit(f"orthanc: {written[0]} (from {pairs[0][1]}): {', '.join(bad)} kept or changed")
    client = (c1.user - c0.user) + (c1.system - c0.system)
    print(f"{wall:.3f} {s1 - s0:.3f} {client:.3f} {len(written)}")


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "upload":
        upload(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif len(sys.argv) == 7 and sys.argv[1] == "anonymize":
        anonymize(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
