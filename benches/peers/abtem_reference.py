"""The abTEM reference case timed against abTEM itself, in the same run.

Runs abTEM 1.0.11's multislice (tests/data/abtem-80kv/run_abtem.py: Co and
Mn in a 2.95 x 2.98 nm graphene cell, 80 kV, 30 mrad, 80-200 mrad, 672 x 672
potential grid, 148 x 150 scan) and `sacsim simulate` on the same structure
and settings, each as a whole process, then prints the speed ratio and the
agreement (Pearson r, Co/C, Mn/C, Co/Mn peak ratios).

    cargo build --release
    python3 benches/peers/abtem_reference.py        # installs abTEM into .venv-abtem if needed

abTEM takes about 400 s on 2 cores.
"""
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests/data/abtem-80kv"
VENV = ROOT / ".venv-abtem"


def ensure_abtem():
    py = VENV / "bin/python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", "abtem==1.0.11"], check=True)
    return py


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def ratios(img, structure_xyz, step):
    from ase.io import read

    atoms = read(structure_xyz)
    lx, ly = atoms.cell[0, 0], atoms.cell[1, 1]
    nx, ny = img.shape
    gx, gy = np.meshgrid(np.arange(nx) * step[0], np.arange(ny) * step[1], indexing="ij")

    def peak(x, y):
        dx = np.abs(gx - x)
        dy = np.abs(gy - y)
        d2 = np.minimum(dx, lx - dx) ** 2 + np.minimum(dy, ly - dy) ** 2
        return img[d2 <= 0.09].max()

    sym = atoms.get_chemical_symbols()
    co = peak(*atoms.positions[sym.index("Co"), :2])
    mn = peak(*atoms.positions[sym.index("Mn"), :2])
    c = np.mean([peak(*p[:2]) for s, p in zip(sym, atoms.positions) if s == "C"])
    return co / c, mn / c, co / mn


def main():
    py = ensure_abtem()
    meta = json.loads((DATA / "meta.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        t_abtem = timed([str(py), str(DATA / "run_abtem.py"), "--gpts", "672", "672", "--out", tmp])
        theirs = np.load(Path(tmp) / "haadf.npy")
        t_ours = timed([
            str(ROOT / "target/release/sacsim"), "simulate", str(DATA / "structure.xyz"),
            "--kv", "80", "--alpha", "30", "--detector", "80,200", "--thermal", "0",
            "--shape", f"{theirs.shape[0]}x{theirs.shape[1]}", "-o", f"{tmp}/sacsim",
        ])
        ours = np.load(Path(tmp) / "sacsim/image.npy").T  # sacsim [iy][ix] -> abTEM [ix][iy]
    r = np.corrcoef(ours.ravel(), theirs.ravel())[0, 1]
    step = meta["scan_step_A"]
    a, b = ratios(ours, DATA / "structure.xyz", step), ratios(theirs, DATA / "structure.xyz", step)
    print(f"abTEM 1.0.11 multislice   {t_abtem:8.1f} s  (whole process)")
    print(f"sacsim simulate           {t_ours:8.3f} s  (whole process)")
    print(f"speed ratio abTEM/sacsim  {t_abtem / t_ours:8.0f}x")
    print(f"Pearson r                 {r:.5f}")
    for name, x, y in zip(["Co/C", "Mn/C", "Co/Mn"], a, b):
        print(f"{name:6s} sacsim {x:7.3f}  abTEM {y:7.3f}  ({100 * (x / y - 1):+.2f} %)")
    print(f"absolute level: sacsim mean / abTEM mean = {ours.mean() / theirs.mean():.3f}")


if __name__ == "__main__":
    main()
