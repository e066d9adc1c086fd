"""All peer comparisons in one run, on the same inputs, with a summary
table of speed ratios and agreement:

  ASE           graphene 500 x 500 -> extended XYZ   (graphene_xyz.py)
  scipy         cKDTree neighbour statistics, 10⁶ points (pairs_scipy.py)
  scikit-image  atom detection, 2048 x 2048 (detect_skimage.py)
  abTEM         one HAADF image (abtem_reference.py), with --with-abtem (~400 s)

    cargo build --release --examples
    .venv/bin/pip install -r benches/peers/requirements.txt
    .venv/bin/python benches/peers/compare.py [--with-abtem]
"""
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(script):
    out = subprocess.run([sys.executable, str(HERE / script)], check=True, capture_output=True, text=True).stdout
    print(out.rstrip() + "\n")
    return out


def grab(pattern, text, default="?"):
    m = re.search(pattern, text, re.M)
    return m.group(1) if m else default


def main():
    cpu = grab(r"model name\s*:\s*(.+)", open("/proc/cpuinfo").read()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    print(f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, python {platform.python_version()}\n")
    rows = []
    a = run("graphene_xyz.py")
    rows.append(("ASE: graphene 500x500 -> extxyz (whole process)", grab(r"^sacsim\s+([\d.]+) s", a) + " s", grab(r"^ASE\s+([\d.]+) s", a) + " s", grab(r"= ([\d.]+)x", a) + "x", "atom lines identical: " + grab(r"identical to ASE's: (\w+)", a)))
    p = run("pairs_scipy.py")
    rows.append(("scipy: 10⁶ points, k=2 NN + pair statistics", grab(r"sacsim in process\s+([\d.]+) s", p) + " s", grab(r"scipy cKDTree workers=-1 \+ numpy\s+([\d.]+) s", p) + " s", grab(r"ratio scipy / sacsim \(in process\)\s+([\d.]+)x", p) + "x", "same mean NN, window fraction, groups"))
    rows.append(("scipy: pairs within r = 0.5, 10⁶ points", grab(r"sacsim cell list \(grid included\)\s+([\d.]+) s", p) + " s", grab(r"scipy query_pairs \(tree prebuilt\)\s+([\d.]+) s", p) + " s (prebuilt)", "", "same pair count"))
    d = run("detect_skimage.py")
    rows.append(("scikit-image: detection 2048x2048", grab(r"sacsim detect \(whole process, median of 3\)\s+([\d.]+) s", d) + " s", grab(r"scikit-image gaussian\+peak_local_max\+fit\s+([\d.]+) s", d) + " s", grab(r"ratio scikit-image / sacsim\s+([\d.]+)x", d) + "x", "F1 " + grab(r"sacsim detect.*F1 ([\d.]+)", d) + " vs " + grab(r"scikit-image gaussian.*F1 ([\d.]+)", d)))
    if "--with-abtem" in sys.argv:
        t = run("abtem_reference.py")
        rows.append(("abTEM: HAADF 148x150 px (whole process)", grab(r"sacsim simulate\s+([\d.]+) s", t) + " s", grab(r"abTEM 1.0.11 multislice\s+([\d.]+) s", t) + " s", grab(r"speed ratio abTEM/sacsim\s+([\d.]+)x", t) + "x", "Pearson r " + grab(r"Pearson r\s+([\d.]+)", t)))
    print("| comparison | sacsim | peer | ratio | agreement |\n|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


main()
