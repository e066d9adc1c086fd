"""Twin benchmark (run by hand; never by the test command): `sacsim twin`
on the real hpai_pt_nc images of ../shared/realdata.

- tune images: the twin's background level, noise level and atom contrast
  against the real image's, each measured the same way (background: median
  of the 2.5-4 Å annulus at the atoms; noise: median σ of the residual from
  the 3x3 mean over 16 px blocks; contrast: the largest 3x3 mean within
  1 Å minus that background), at the hand-labelled atoms of the real image and at the
  true atoms of the twin. Target: each within 20 %.
- test images: F1 (Hungarian, 1 Å) of the default `sacsim detect` on the
  real image (against the labels) and on its twin (against its truth).
  Target: within 0.1 per image.

    .venv/bin/python benches/realdata/twin.py [--split tune|test]
"""
import argparse
import csv
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import tifffile

from score import match

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "realdata" / "hpai_pt_nc"
SACSIM = ROOT / "target/release/sacsim"
PX = 0.29297


def noise_sigma(a):
    a = a.astype(float)
    m = sum(np.roll(np.roll(a, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9
    r = (a - m)[1:-1, 1:-1]
    n = r.shape[0] // 16
    b = (r[: n * 16, : n * 16].reshape(n, 16, n, 16) ** 2).mean(axis=(1, 3)) * 9 / 8
    return float(np.sqrt(np.median(b)))


def photometry(a, pts):
    """Median background (2.5-4 Å annulus) and peak over it (the largest 3x3
    mean within 1 Å: hand labels are ~2 px off, a fixed disc misses peaks)."""
    a = a.astype(float)
    s = sum(np.roll(np.roll(a, dy, 0), dx, 1) for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9
    reach = int(np.ceil(4 / PX))
    bgs, cons = [], []
    yy, xx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    for x, y in pts:
        cx, cy = int(round(x)), int(round(y))
        if cx < reach or cy < reach or cx >= a.shape[1] - reach - 1 or cy >= a.shape[0] - reach - 1:
            continue
        win = a[cy - reach : cy + reach + 1, cx - reach : cx + reach + 1]
        r = np.hypot(xx + cx - x, yy + cy - y) * PX
        bg = np.median(win[(r >= 2.5) & (r <= 4.0)])
        bgs.append(bg)
        sw = s[cy - reach : cy + reach + 1, cx - reach : cx + reach + 1]
        cons.append(sw[r <= 1.0].max() - bg)
    return float(np.median(bgs)), float(np.median(cons))


def detect_f1(image_path, truth_xy, tmp):
    subprocess.run([str(SACSIM), "detect", str(image_path), "-o", tmp], check=True, capture_output=True)
    lines = open(f"{tmp}/detections.csv").read().splitlines()[1:]
    det = np.array([[float(v) for v in l.split(",")[3:5]] for l in lines]).reshape(-1, 2)
    tp, _ = match(det, truth_xy, 1.0 / PX)
    p = tp / max(len(det), 1)
    r = tp / max(len(truth_xy), 1)
    return 2 * p * r / max(p + r, 1e-12)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="tune")
    ap.add_argument("--skip", type=int, default=0, help="skip the first N images of the split")
    a = ap.parse_args()
    rows = [r for r in csv.DictReader(open(DATA / "index.csv")) if r["split_used_here"] == a.split][a.skip:]
    for row in rows:
        img = DATA / "images" / row["image"]
        truth = np.loadtxt(DATA / row["truth"], delimiter=",", skiprows=1).reshape(-1, 2)
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([str(SACSIM), "twin", str(img), "-o", f"{tmp}/twin"],
                                 check=True, capture_output=True, text=True).stdout.splitlines()[0]
            real = tifffile.imread(img)
            twin = np.load(f"{tmp}/twin/image.npy")
            tw = list(csv.DictReader(open(f"{tmp}/twin/atoms.csv")))
            twin_xy = np.array([[float(r["x_px"]), float(r["y_px"])] for r in tw]).reshape(-1, 2)
            rb, rc = photometry(real, truth)
            tb, tc = photometry(twin, twin_xy)
            rn, tn = noise_sigma(real), noise_sigma(twin)
            line = (f"{row['image'][:3]}  background {tb / rb:5.2f}  noise {tn / rn:5.2f}  "
                    f"contrast {tc / rc:5.2f}  (twin/real)")
            if a.split == "test":
                f_real = detect_f1(img, truth, f"{tmp}/dr")
                f_twin = detect_f1(f"{tmp}/twin", twin_xy, f"{tmp}/dt")
                line += f"  F1 real {f_real:.3f} twin {f_twin:.3f} diff {f_twin - f_real:+.3f}"
            print(line)
            print("     ", out.split(": ", 1)[1])


if __name__ == "__main__":
    main()
