#!/usr/bin/python3
"""gen_notes.py: writes synthetic clinical notes with planted PHI, for the de-identification benchmark.

usage: gen_notes.py OUT.jsonl MEGABYTES [SEED]   (one {"id", "text"} record per line)
The notes are made here from templates and random choices; no annotated note is copied.
"""
import json
import random
import sys

FIRST = "Harold Dorothy Maria Wei Ahmed Priya Kwame Olga Luis Grace Tomasz Aisha Kenji Fatima Samuel Ingrid".split()
LAST = "Bell Okoro Nguyen Haddad Kowalski Ramirez Chen Iyer Mensah Larsen Dubois Petrov Sato Walsh Ortiz".split()
CITIES = ["Springfield", "Lowell", "Dover", "Salem", "Burlington", "Nashua", "Bangor", "Albany"]
STATES = ["MA", "NH", "VT", "ME", "NY", "CT", "RI"]
STREETS = ["Maple Street", "Oak Ave", "Pleasant St.", "Harbor View Drive", "Elm Road", "Mill Lane"]
HOSP = ["Riverside Medical Center", "Saint Agnes Hospital", "Hilltop Family Medicine", "Lakeview Clinic"]
MEDS = ["metoprolol 25 mg PO BID", "apixaban 5 mg BID", "furosemide 40 mg daily", "insulin glargine 10 units qHS",
        "atorvastatin 40 mg nightly", "acetaminophen 650 mg q6h PRN"]


def date(r):
    m, d, y = r.randint(1, 12), r.randint(1, 28), r.randint(1990, 2024)
    f = r.randrange(5)
    if f == 0:
        return f"{m:02d}/{d:02d}/{y}"
    if f == 1:
        return f"{y}-{m:02d}-{d:02d}"
    if f == 2:
        return ["January", "March", "June", "September", "November"][m % 5] + f" {d}, {y}"
    if f == 3:
        return f"{d} " + ["Jan", "Feb", "Apr", "Aug", "Oct"][m % 5] + f" {y}"
    return f"{m}/{d}"


def note(r):
    fn, ln = r.choice(FIRST), r.choice(LAST)
    dr = f"{r.choice(FIRST)} {r.choice(LAST)}"
    age = r.randint(18, 99)
    phone = f"({r.randint(200, 999)}) 555-01{r.randint(10, 99)}"
    mrn = f"{r.randint(1000000, 9999999)}"
    lines = [
        f"{r.choice(HOSP).upper()}",
        "PROGRESS NOTE",
        f"Patient: {ln}, {fn}    MRN: {mrn}    DOB: {date(r)}",
        f"Attending: {dr}, MD",
        "",
        f"S: {age}-year-old seen on {date(r)} for follow-up of heart failure. Mr. {ln} reports 2-pillow orthopnea.",
        f"His wife {r.choice(FIRST)} called {phone} with questions. Pain 3/10. 2/6 systolic murmur. Strength 5/5.",
        f"O: BP 132/78, HR 72, SpO2 96% RA. Wt 82.4 kg. Na 138, K 4.2, Cr 1.1. BNP 410.",
        "Meds: " + "; ".join(r.sample(MEDS, 3)) + ".",
        f"Address: {r.randint(1, 9999)} {r.choice(STREETS)}, {r.choice(CITIES)}, {r.choice(STATES)} {r.randint(10000, 99999)}",
        f"A/P: stable; continue current regimen. Follow up with Dr. {r.choice(LAST)} on {date(r)}.",
        f"Electronically signed: {dr}, MD {date(r)} 14:{r.randint(10, 59)}",
    ]
    return "\n".join(lines) + "\n"


def main():
    out, mb = sys.argv[1], float(sys.argv[2])
    r = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    target = int(mb * 1024 * 1024)
    n = written = 0
    with open(out, "w", encoding="utf-8") as f:
        while written < target:
            line = json.dumps({"id": n, "text": note(r)}) + "\n"
            f.write(line)
            written += len(line.encode())
            n += 1


if __name__ == "__main__":
    main()
