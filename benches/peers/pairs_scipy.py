"""Pair statistics beside scipy, same points, same run.

1. 1,000,000 random 2D points (1 per nm², periodic 1 x 1 µm box, Å):
   scipy cKDTree(boxsize).query(k=2, workers=-1) plus the pair statistics
   in numpy (NN histogram, window fraction, CSR expectation, groups by
   query_pairs + connected components) against sacsim's analysis in
   process (examples/pair_timing.rs) and as a whole `sacsim analyze` run.
2. All pairs within r = 0.5 at density 1 (1,000,000 points, open box):
   scipy query_pairs against sacsim's cell list.
3. 10,000,000 points end to end: `sacsim analyze points.npy` (whole process).

    cargo build --release --examples
    .venv/bin/python benches/peers/pairs_scipy.py
"""
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[2]
SACSIM = ROOT / "target/release/sacsim"
TIMING = ROOT / "target/release/examples/pair_timing"


def scipy_stats(pts, box):
    t = time.perf_counter()
    tree = cKDTree(pts, boxsize=box)
    d, i = tree.query(pts, k=2, workers=-1)
    nn = d[:, 1]
    n = len(pts)
    rho = n / box**2
    hist, edges = np.histogram(nn, bins=np.arange(0, nn.max() + 0.1, 0.1))
    csr = n * (np.exp(-rho * np.pi * edges[:-1] ** 2) - np.exp(-rho * np.pi * edges[1:] ** 2))
    frac = np.mean((nn >= 2.0) & (nn <= 3.0))
    pairs = tree.query_pairs(3.0, output_type="ndarray")
    g = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    ngroups, _ = connected_components(g, directed=False)
    return time.perf_counter() - t, nn.mean() / 10, frac, ngroups, hist, csr


def run(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t, out


def main():
    rng = np.random.default_rng(1)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, scipy {scipy.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        n, box = 1_000_000, 10_000.0
        pts = rng.random((n, 2)) * box
        np.save(f"{tmp}/p1m.npy", pts)
        t_scipy, mean_nm, frac, groups, _, _ = scipy_stats(pts, box)
        _, out = run([str(TIMING), "analyze", f"{tmp}/p1m.npy", str(box)])
        t_ours = float(out.split()[0])
        t_whole, _ = run([str(SACSIM), "analyze", f"{tmp}/p1m.npy", "--box", f"{box}x{box}", "--bootstrap", "0", "-o", f"{tmp}/a1m"])
        print("1) 1,000,000 points, k = 2 nearest neighbours + pair statistics")
        print(f"   scipy cKDTree workers=-1 + numpy  {t_scipy:7.3f} s  (mean NN {mean_nm:.6f} nm, window {frac:.6f}, {groups} groups)")
        print(f"   sacsim in process                 {t_ours:7.3f} s  ({' '.join(out.split()[1:])})")
        print(f"   sacsim analyze, whole process     {t_whole:7.3f} s  (reads the .npy, writes every output)")
        print(f"   ratio scipy / sacsim (in process) {t_scipy / t_ours:7.1f}x   (target >= 6x)")

        pts = rng.random((n, 2)) * 1000.0
        np.save(f"{tmp}/pd1.npy", pts)
        t0 = time.perf_counter()
        tree = cKDTree(pts)
        t = time.perf_counter()
        pairs = tree.query_pairs(0.5, output_type="ndarray")
        t_qp = time.perf_counter() - t
        t_qp_build = time.perf_counter() - t0
        _, out = run([str(TIMING), "pairs", f"{tmp}/pd1.npy", "0.5"])
        print("2) all pairs within r = 0.5 at density 1 (1,000,000 points)")
        print(f"   scipy query_pairs (tree prebuilt)  {t_qp:7.3f} s  ({len(pairs)} pairs); with its tree build {t_qp_build:.3f} s")
        print(f"   sacsim cell list (grid included)   {float(out.split()[0]):7.3f} s  ({out.split()[2]} pairs)")

        n, box = 10_000_000, 10_000.0 * np.sqrt(10)
        np.save(f"{tmp}/p10m.npy", rng.random((n, 2)) * box)
        t_whole, _ = run([str(SACSIM), "analyze", f"{tmp}/p10m.npy", "--box", f"{box}x{box}", "-o", f"{tmp}/a10m"])
        print("3) 10,000,000 points end to end")
        print(f"   sacsim analyze, whole process      {t_whole:7.3f} s  (target < 5 s)")


main()
