"""The abTEM reference case timed against abTEM itself, in the same run.

Runs abTEM 1.0.11's multislice (tests/data/abtem-80kv/run_abtem.py: Co and
Mn in a 2.95 x 2.98 nm graphene cell, 80 kV, 30 mrad, 80-200 mrad, 672 x 672
potential grid, 148 x 150 scan) and `sacsim simulate` on the same structure
and settings (the incoherent model, and `--model multislice` with Kirkland
and with abTEM's Lobato scattering factors), each as a whole process, then
prints the speed ratios and the agreement (Pearson r, Co/C, Mn/C, Co/Mn
peak ratios, mean level).

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
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t_abtem = timed([str(py), str(DATA / "run_abtem.py"), "--gpts", "672", "672", "--out", tmp])
        theirs = np.load(Path(tmp) / "haadf.npy")
        shape = f"{theirs.shape[0]}x{theirs.shape[1]}"
        for name, extra in [
            ("sacsim incoherent", ["--thermal", "0"]),
            ("sacsim multislice", ["--model", "multislice"]),
            ("sacsim multislice lobato", ["--model", "multislice", "--parametrization", "lobato"]),
        ]:
            out = f"{tmp}/{len(rows)}"
            t = timed([
                str(ROOT / "target/release/sacsim"), "simulate", str(DATA / "structure.xyz"),
                "--kv", "80", "--alpha", "30", "--detector", "80,200",
                "--shape", shape, "-o", out, *extra,
            ])
            rows.append((name, t, np.load(Path(out) / "image.npy").T))  # [iy][ix] -> [ix][iy]
    step = meta["scan_step_A"]
    b = ratios(theirs, DATA / "structure.xyz", step)
    print(f"{'2 cores, whole process':26s} {'time s':>9s} {'abTEM/x':>8s} {'r':>8s} "
          f"{'Co/C':>7s} {'Mn/C':>7s} {'Co/Mn':>7s} {'level':>6s}")
    print(f"{'abTEM 1.0.11 multislice':26s} {t_abtem:9.1f} {1:8.0f} {1:8.5f} "
          f"{b[0]:7.3f} {b[1]:7.3f} {b[2]:7.4f} {1:6.3f}")
    for name, t, ours in rows:
        a = ratios(ours, DATA / "structure.xyz", step)
        r = np.corrcoef(ours.ravel(), theirs.ravel())[0, 1]
        print(f"{name:26s} {t:9.2f} {t_abtem / t:8.1f} {r:8.5f} "
              + " ".join(f"{x:7.3f}" if k < 2 else f"{x:7.4f}" for k, x in enumerate(a))
              + f" {ours.mean() / theirs.mean():6.3f}")
    print("ratio columns: sacsim vs abTEM in %: "
          + "; ".join(f"{n}: " + ", ".join(f"{100 * (x / y - 1):+.2f}" for x, y in
                                            zip(ratios(o, DATA / 'structure.xyz', step), b))
                      for n, _, o in rows))


if __name__ == "__main__":
    main()
