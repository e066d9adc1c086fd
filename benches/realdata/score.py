"""Real-data benchmark (run by hand; never by the test command): sacsim
detect with default settings on the published, hand-labelled HAADF images
in ../shared/realdata, scored with one-to-one (Hungarian) matching within
1.0 and 2.0 Å, pooled over the images of a split, beside a simple baseline
in the same run (scikit-image: Gaussian smoothing of 1.5 px minus a 10 Å
Gaussian background, peak_local_max, its threshold in robust σ chosen on
the set's `tune` images; `--no-baseline` skips it).

    .venv/bin/python benches/realdata/score.py [--split test] [--sets hpai_pt_nc,sjeon_re_bpy]

The learned detector's row: pass detect's flags after `--`, e.g.
`-- --net models/net/detector.safetensors`. `--sweep 0.2,0.3,0.5` scores
each level of the detections' `snr` column (the heatmap level for the net,
the z-score for the classical detector) from one detect run at the lowest
level given by the flags (choose a level on `--split tune`).

Pixel sizes come from the files where they carry them (hpai_pt_nc), else
from the set's README value (sjeon_*: 0.1603 Å). Tune on `tune`, report
`test` (../shared/realdata/README.md).
"""
import argparse
import csv
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "realdata"
PIXEL = {"sjeon_re_bpy": 0.1603, "sjeon_pt_porph": 0.1603}


def match(det, truth, radius_px):
    if len(det) == 0 or len(truth) == 0:
        return 0, []
    d = np.hypot(det[:, None, 0] - truth[None, :, 0], det[:, None, 1] - truth[None, :, 1])
    cost = np.where(d <= radius_px, d, 1e6)
    r, c = linear_sum_assignment(cost)
    ok = cost[r, c] <= radius_px
    return int(ok.sum()), list(d[r[ok], c[ok]])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--split", default="test")
    p.add_argument("--sets", default="hpai_pt_nc,sjeon_re_bpy,sjeon_pt_porph")
    p.add_argument("--sacsim", default=str(ROOT / "target/release/sacsim"))
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--sweep", default=None, help="comma-separated snr levels to score")
    p.add_argument("extra", nargs="*", help="extra detect flags")
    a = p.parse_args()
    if not a.no_baseline:
        for name in a.sets.split(","):
            baseline(name, a.split)
    for name in a.sets.split(","):
        rows = [r for r in csv.DictReader(open(DATA / name / "index.csv")) if r["split_used_here"] == a.split]
        levels = [float(v) for v in a.sweep.split(",")] if a.sweep else [None]
        totals = {(lv, rad): [0, 0, 0, []] for lv in levels for rad in (1.0, 2.0)}
        px = None
        for r in rows:
            with tempfile.TemporaryDirectory() as tmp:
                cmd = [a.sacsim, "detect", str(DATA / name / "images" / r["image"]), "-o", tmp] + a.extra
                if name in PIXEL:
                    cmd += ["--pixel-size", str(PIXEL[name])]
                out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                lines = [l.split(",") for l in open(f"{tmp}/detections.csv").read().splitlines()[1:]]
                all_det = np.array([[float(x) for x in l[3:5]] + [float(l[6])] for l in lines]).reshape(-1, 3)
                px = float(out.stdout.split(" px of ")[1].split(" x ")[0])
            truth = np.loadtxt(DATA / name / r["truth"], delimiter=",", skiprows=1, ndmin=2)[:, :2]
            for (level, radius), t in totals.items():
                det = all_det[:, :2] if level is None else all_det[all_det[:, 2] >= level, :2]
                m, dists = match(det, truth, radius / px)
                t[0] += m; t[1] += len(det); t[2] += len(truth); t[3] += dists
        for (level, radius), (m, nd, nt, dists) in totals.items():
            prec, rec = m / max(nd, 1), m / max(nt, 1)
            f1 = 2 * prec * rec / max(prec + rec, 1e-12)
            rmse = float(np.sqrt(np.mean(np.square(dists)))) * px if dists else float("nan")
            tag = "" if level is None else f"snr >= {level:<5g} "
            print(f"{name:15s} {a.split:5s} {len(rows):3d} images  {tag}within {radius} Å: P {prec:.3f} R {rec:.3f} F1 {f1:.3f} RMSE {rmse:.2f} Å  ({nd} detections, {nt} true)")


def load_split(name, split):
    import tifffile
    from PIL import Image

    out = []
    for r in csv.DictReader(open(DATA / name / "index.csv")):
        if r["split_used_here"] != split:
            continue
        f = DATA / name / "images" / r["image"]
        im = tifffile.imread(f) if f.suffix.lower() in (".tif", ".tiff") else np.asarray(Image.open(f))
        im = np.asarray(im, dtype=np.float64)
        im = im[..., 0] if im.ndim == 3 else im
        truth = np.loadtxt(DATA / name / r["truth"], delimiter=",", skiprows=1, ndmin=2)[:, :2]
        out.append((im, truth))
    return out


def baseline_detect(im, px, threshold):
    from scipy import ndimage as ndi
    from skimage.feature import peak_local_max

    r = ndi.gaussian_filter(im, 1.5, mode="reflect") - ndi.gaussian_filter(im, 10.0 / px, mode="reflect")
    sigma = 1.4826 * np.median(np.abs(r - np.median(r)))
    pk = peak_local_max(r, min_distance=max(1, round(1.5 / px)), threshold_abs=np.median(r) + threshold * sigma,
                        exclude_border=max(1, round(1.0 / px)))
    return pk[:, ::-1].astype(float)


def pooled_f1(dets, truths, radius_px):
    m = sum(match(d, t, radius_px)[0] for d, t in zip(dets, truths))
    nd, nt = sum(len(d) for d in dets), sum(len(t) for t in truths)
    p, r = m / max(nd, 1), m / max(nt, 1)
    return 2 * p * r / max(p + r, 1e-12), p, r


def baseline(name, split):
    px = PIXEL.get(name, 0.29297)
    tune = load_split(name, "tune")
    grid = np.arange(2.0, 12.01, 0.5)
    if tune:
        best = max(grid, key=lambda t: pooled_f1([baseline_detect(i, px, t) for i, _ in tune], [t_ for _, t_ in tune], 1.0 / px)[0])
    else:
        best = 6.0  # no tune images in this set: a fixed 6 σ
    data = load_split(name, split)
    dets = [baseline_detect(i, px, best) for i, _ in data]
    for radius in (1.0, 2.0):
        f1, p, r = pooled_f1(dets, [t for _, t in data], radius / px)
        print(f"{name:15s} {split:5s} baseline (skimage, {best:.1f} σ from tune) within {radius} Å: P {p:.3f} R {r:.3f} F1 {f1:.3f}")


if __name__ == "__main__":
    main()
