"""Atom detection beside scikit-image on the same 2048 x 2048 image, in the
same run: sacsim detect (whole process and its own timing) against
scikit-image's gaussian + peak_local_max with a Gaussian (log-paraboloid)
refinement in numpy; both scored with `sacsim evaluate` against the truth.

    cargo build --release
    .venv/bin/pip install -r benches/peers/requirements.txt
    .venv/bin/python benches/peers/detect_skimage.py
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage
from skimage.feature import peak_local_max
from skimage.filters import gaussian

ROOT = Path(__file__).resolve().parents[2]
SACSIM = str(ROOT / "target/release/sacsim")
PX = 0.1


def run(*args):
    t = time.perf_counter()
    out = subprocess.run([SACSIM, *args], check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t, out


def skimage_detect(img):
    t = time.perf_counter()
    smooth = gaussian(img, sigma=0.3 / PX, preserve_range=True)
    background = gaussian(img, sigma=10.0 / PX, preserve_range=True)
    signal = smooth - background
    med = np.median(signal)
    sigma = 1.4826 * np.median(np.abs(signal - med))
    peaks = peak_local_max(signal, min_distance=int(1.5 / PX), threshold_abs=med + 6 * sigma, exclude_border=int(1.0 / PX))
    # Gaussian refinement: log-paraboloid fit in a 9 x 9 window (weighted).
    w = 4
    yy, xx = np.mgrid[-w:w + 1, -w:w + 1]
    out = []
    for y, x in peaks:
        win = signal[y - w:y + w + 1, x - w:x + w + 1]
        m = win > 0.05 * win[w, w]
        v = win[m]
        a = np.stack([np.ones_like(v), xx[m], yy[m], xx[m] ** 2, yy[m] ** 2], axis=1) * v[:, None]
        coef = np.linalg.lstsq(a, np.log(v) * v, rcond=None)[0]
        dx, dy = -coef[1] / (2 * coef[3]), -coef[2] / (2 * coef[4])
        if abs(dx) > w or abs(dy) > w or coef[3] >= 0 or coef[4] >= 0:
            dx, dy = 0.0, 0.0
        out.append(((x + dx) * PX, (y + dy) * PX))
    return time.perf_counter() - t, np.array(out)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run("sample", "--size", "20.48x20.48", "--density", "0.5", "--support", "amorphous", "--support-thickness", "2", "--seed", "1", "-o", f"{tmp}/s")
        run("simulate", f"{tmp}/s", "--shape", "2048x2048", "--dose", "1e5", "-o", f"{tmp}/im")
        img = np.load(f"{tmp}/im/image.npy").astype(np.float64)
        px, py = __import__("json").load(open(f"{tmp}/im/params.json"))["pixel_angstrom"]
        assert abs(px - PX) < 1e-3, px
        times = [run("detect", f"{tmp}/im/image.npy", "--pixel-size", f"{px},{py}", "-o", f"{tmp}/det")[0] for _ in range(3)]
        t_ours = sorted(times)[1]
        _, ev = run("evaluate", f"{tmp}/det", f"{tmp}/im", "--radius", "1.0")
        # The learned detector (the shipped model) on the same image: it
        # resamples to its 0.2 Å pixel, so the network sees 1024 x 1024.
        times = [run("detect", f"{tmp}/im/image.npy", "--method", "net", "--pixel-size", f"{px},{py}", "-o", f"{tmp}/net")[0] for _ in range(3)]
        t_net = sorted(times)[1]
        _, ev_net = run("evaluate", f"{tmp}/net", f"{tmp}/im", "--radius", "1.0")
        # And 2048 x 2048 pixels of 0.2 Å, which the network sees as they are.
        run("sample", "--size", "40.96x40.96", "--density", "0.5", "--support", "amorphous", "--support-thickness", "2", "--seed", "1", "-o", f"{tmp}/s2")
        run("simulate", f"{tmp}/s2", "--shape", "2048x2048", "--dose", "1e5", "-o", f"{tmp}/im2")
        times = [run("detect", f"{tmp}/im2", "--method", "net", "-o", f"{tmp}/net2")[0] for _ in range(3)]
        t_net2 = sorted(times)[1]
        _, ev_net2 = run("evaluate", f"{tmp}/net2", f"{tmp}/im2", "--radius", "1.0")
        t_sk, pts = skimage_detect(img)
        np.savetxt(f"{tmp}/sk.csv", pts / PX * np.array([px, py]), delimiter=",", header="x,y", comments="")
        _, ev_sk = run("evaluate", f"{tmp}/sk.csv", f"{tmp}/im", "--radius", "1.0")
    print(f"machine: {os.cpu_count()} cores; scikit-image {skimage.__version__}; image 2048 x 2048, 0.1 Å pixels, dose 1e5")
    print(f"sacsim detect (whole process, median of 3)   {t_ours:6.3f} s   {ev.strip()}")
    print(f"scikit-image gaussian+peak_local_max+fit     {t_sk:6.3f} s   {ev_sk.strip()}")
    print(f"ratio scikit-image / sacsim                  {t_sk / t_ours:6.1f}x   (target: sacsim < 0.5 s)")
    print(f"sacsim detect --method net (whole process)   {t_net:6.3f} s   {ev_net.strip()}   ({t_sk / t_net:.1f}x scikit-image)")
    print(f"same, 2048 x 2048 px of 0.2 Å (net at 2048²) {t_net2:6.3f} s   {ev_net2.strip()}   (target < 2 s)")


main()
