"""Frozen phonons on the thick case (issue 16), beside abTEM, at a cost both
codes can afford: only small windows are scanned.

The thick case of abtem_thick.py (a Co-Mn pair in the top and in the
bottom sheet of graphene / 3 nm amorphous carbon / graphene, 2.5 x 2.5 nm,
80 kV, 30 mrad, 80-200 mrad, focus on the entrance surface), 1 Å slices
with both codes' boundaries aligned (the converged static comparison).
sacsim images the whole periodic cell (0.2 Å pixels; its interpolation
from the Nyquist scan is exact only for a periodic field: small
non-periodic `--window`s, tried first, read peaks 0.4-3.8 % low); abTEM
scans only sacsim's pixels within 1.2 Å of each metal and within two
background windows as far from the metals as the cell allows (CustomScan,
~1/20 of its full scan). Printed per code and per lattice
(static, N frozen-phonon configurations of rms `--thermal` per axis): each
metal's peak (largest pixel within 0.5 Å) over the background (median of
the background windows), and the phonon/static ratio.

    cargo build --release
    .venv/bin/python benches/peers/abtem_thick.py --rows multislice --slice 1 --lift 0.5   # builds the sample
    .venv/bin/python benches/peers/abtem_thick_phonons.py [--configs 8] [--thermal 0.08] [--frames] [--reuse-static]

With `--frames` both codes average over the same displaced configurations
(a trajectory written here with numpy's seeded normal draws: sacsim
`--phonon-frames`, abTEM `AtomsEnsemble`), so their difference is the
physics, not two random samples of the displacements.
"""
import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np

from abtem_reference import ensure_abtem
from abtem_thick import ABTEM_SAMPLE

ROOT = Path(__file__).resolve().parents[2]
SACSIM = ROOT / "target/release/sacsim"
CACHE = ROOT / "target/abtem-thick"
HALF = 1.2  # Å, half the window side
PIXEL = 0.2

ABTEM_SCRIPT = r"""
import sys
src, out, positions, configs, thermal, seed, frames = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == "frames"
lift = 0.5   # mid-slice at 1 Å slices
""" + ABTEM_SAMPLE + r"""
if configs == 0:
    source = atoms
elif not frames:
    source = abtem.FrozenPhonons(atoms, num_configs=configs, sigmas=thermal, seed=seed)
else:   # the same frames as sacsim, flipped and placed like the first
    ensemble = []
    top = ase.io.read(src, index=0).positions[:, 2].max()   # `z` above is flipped in place
    for f in ase.io.read(src, index=":"):
        f.positions[:, 2] = top - f.positions[:, 2] + lift
        f.set_cell(cell)
        f.pbc = True
        ensemble.append(f)
    source = abtem.AtomsEnsemble(ensemble)
potential = abtem.Potential(source, gpts=gpts, slice_thickness=1.0,
                            parametrization="lobato", projection="infinite")
probe = abtem.Probe(energy=80e3, semiangle_cutoff=30.0, C10=0.0, Cs=0.0, C50=0.0)
probe.grid.match(potential)
xy = np.array(json.load(open(positions)))
t0 = time.time()
meas = probe.scan(potential, scan=abtem.CustomScan(xy), detectors=abtem.AnnularDetector(inner=80.0, outer=200.0))
meas.compute(progress_bar=False)
values = np.asarray(meas.array, dtype=np.float64)
if values.ndim > 1:   # an unreduced phonon axis
    values = values.mean(axis=0)
np.save(out, values.ravel())
print(json.dumps(dict(wall_s=time.time() - t0, positions=len(xy))))
"""


def windows(sample):
    """The metals (face, element, x, y) and two background centres."""
    sites = json.loads((sample / "sites.json").read_text())
    sites = sites["sites"] if isinstance(sites, dict) else sites
    metals = [dict(face=s["face"], element=m["element"], x=m["position"][0], y=m["position"][1])
              for face in ("top", "bottom") for s in sites if s["face"] == face for m in s["metals"]]
    from ase.io import read

    box = read(sample / "sample.xyz").cell.lengths()[:2]

    def dist(x, y, p):
        dx = abs(x - p[0]) % box[0]
        dy = abs(y - p[1]) % box[1]
        return np.hypot(min(dx, box[0] - dx), min(dy, box[1] - dy))

    grid = [(x, y) for x in np.arange(HALF, box[0] - HALF, 0.5) for y in np.arange(HALF, box[1] - HALF, 0.5)]
    far = sorted(grid, key=lambda p: -min(dist(m["x"], m["y"], p) for m in metals))
    background = [far[0]]
    background.append(next(p for p in far if dist(*background[0], p) > 6.0))
    return metals, background, box


def write_frames(sample, path, configs, thermal, seed):
    """`configs` copies of the sample, every atom displaced by N(0, thermal²)
    per axis (numpy, seeded), as one extended XYZ trajectory."""
    from ase.io import read, write

    atoms = read(sample / "sample.xyz")
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(configs):
        f = atoms.copy()
        f.positions += rng.normal(0.0, thermal, f.positions.shape)
        frames.append(f)
    write(path, frames)


def sacsim_image(structure, out, configs, thermal, seed, frames=False, reuse=False):
    """The whole periodic cell, (values [iy][ix], x of columns, y of rows)."""
    cmd = [SACSIM, "simulate", structure, "--model", "multislice", "--slice-thickness", "1",
           "--kv", "80", "--alpha", "30", "--detector", "80,200", "--parametrization", "lobato",
           "--pixel", PIXEL, "--seed", seed, "-o", out]
    if frames:
        cmd += ["--phonon-frames"]
    else:
        cmd += ["--thermal", thermal if configs else 0, "--frozen-phonons", configs]
    if not (reuse and (out / "image.npy").exists()):
        subprocess.run([str(c) for c in cmd], check=True, stdout=subprocess.DEVNULL)
    p = json.loads((out / "params.json").read_text())
    img = np.load(out / "image.npy").astype(np.float64)
    ny, nx = img.shape
    ox, oy = p["origin_angstrom"]
    px, py = p["pixel_angstrom"]
    return img, ox + np.arange(nx) * px, oy + np.arange(ny) * py


def window_pixels(img, xs, ys, centre, box):
    """Values and (x, y) of the pixels within HALF (periodic) of `centre`."""
    dx = np.abs(xs - centre[0]) % box[0]
    dy = np.abs(ys - centre[1]) % box[1]
    ix = np.nonzero(np.minimum(dx, box[0] - dx) <= HALF)[0]
    iy = np.nonzero(np.minimum(dy, box[1] - dy) <= HALF)[0]
    values = img[np.ix_(iy, ix)].ravel()
    xy = [(xs[i], ys[j]) for j in iy for i in ix]
    return values, xy


def signals(values_by_window, xy_by_window, metals, nb, box):
    bg = np.median(np.concatenate(values_by_window[-nb:]))
    out = []
    for m, v, xy in zip(metals, values_by_window, xy_by_window):
        d = np.abs(np.array(xy) - (m["x"], m["y"])) % box
        d = np.hypot(*np.minimum(d, box - d).T)
        out.append(v[d <= 0.5].max() / bg)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--configs", type=int, default=8)
    ap.add_argument("--thermal", type=float, default=0.08)
    ap.add_argument("--reuse-static", action="store_true",
                    help="read the static images of an earlier run from target/abtem-thick instead of recomputing")
    ap.add_argument("--reuse-sacsim", action="store_true",
                    help="read sacsim's images of an earlier run (rerun abTEM only)")
    ap.add_argument("--frames", action="store_true",
                    help="both codes average over the same displaced frames (a trajectory written here; "
                         "sacsim --phonon-frames, abTEM AtomsEnsemble) instead of their own random draws")
    args = ap.parse_args()
    sample = CACHE / f"sample-{args.seed}"
    metals, background, box = windows(sample)
    centres = [(m["x"], m["y"]) for m in metals] + background
    py = ensure_abtem()
    rows = []
    for configs in (0, args.configs):
        tag = "static" if configs == 0 else f"{configs} phonon configs, {args.thermal} Å"
        use_frames = args.frames and configs > 0
        if use_frames:
            tag = f"the same {configs} frames, {args.thermal} Å"
        work = CACHE / f"phonons-{args.seed}-{configs}-{args.thermal}{'-frames' if use_frames else ''}"
        work.mkdir(parents=True, exist_ok=True)
        structure = sample / "sample.xyz"
        if use_frames:
            structure = work / "frames.xyz"
            write_frames(sample, structure, configs, args.thermal, args.seed)
        t0 = time.perf_counter()
        reuse = (args.reuse_static and configs == 0) or args.reuse_sacsim
        img, xs, ys = sacsim_image(structure, work / "sacsim", configs, args.thermal, args.seed, use_frames,
                                   reuse)
        t_ours = time.perf_counter() - t0
        ours, xys = [], []
        for c in centres:
            v, xy = window_pixels(img, xs, ys, c, box)
            ours.append(v)
            xys.append(xy)
        # abTEM at exactly sacsim's pixel positions, wrapped into its cell.
        flat = [((x % box[0]), (y % box[1])) for xy in xys for x, y in xy]
        (work / "positions.json").write_text(json.dumps(flat))
        t0 = time.perf_counter()
        if not ((args.reuse_static and configs == 0) and (work / "abtem.npy").exists()):
            subprocess.run([str(py), "-c", ABTEM_SCRIPT, str(structure), str(work / "abtem.npy"),
                            str(work / "positions.json"), str(configs), str(args.thermal), str(args.seed),
                            "frames" if use_frames else "draws"],
                           check=True, stdout=subprocess.DEVNULL)
        t_theirs = time.perf_counter() - t0
        all_theirs = np.load(work / "abtem.npy")
        theirs, i = [], 0
        for v in ours:
            theirs.append(all_theirs[i:i + len(v)])
            i += len(v)
        rows.append((tag, signals(theirs, xys, metals, len(background), box),
                     signals(ours, xys, metals, len(background), box), t_theirs, t_ours))
    labels = [f"{m['face']} {m['element']}" for m in metals]
    print(f"{'peak over background':34s}" + "".join(f"{lab:>11s}" for lab in labels)
          + f"{'time s':>9s}  (sacsim: whole cell; abTEM: {len(flat)} positions)")
    for tag, theirs, ours, t_theirs, t_ours in rows:
        print(f"{'abTEM ' + tag:34s}" + "".join(f"{v:11.3f}" for v in theirs) + f"{t_theirs:9.0f}")
        print(f"{'sacsim ' + tag:34s}" + "".join(f"{v:11.3f}" for v in ours) + f"{t_ours:9.0f}")
        print(f"{'  sacsim / abTEM - 1 (%)':34s}" + "".join(f"{100 * (o / t - 1):+11.1f}" for o, t in zip(ours, theirs)))
    (_, t0, o0, _, _), (_, t1, o1, _, _) = rows
    print(f"{'phonons / static: abTEM':34s}" + "".join(f"{a / b:11.3f}" for a, b in zip(t1, t0)))
    print(f"{'phonons / static: sacsim':34s}" + "".join(f"{a / b:11.3f}" for a, b in zip(o1, o0)))


if __name__ == "__main__":
    main()
