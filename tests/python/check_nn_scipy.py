"""Compare sacsim's nearest-neighbour distances with scipy's cKDTree on the
same points (periodic box), and numpy's reading of our outputs.

usage: check_nn_scipy.py POINTS_NPY BOX_A ANALYSIS_DIR
"""
import csv
import json
import sys

import numpy as np
from scipy.spatial import cKDTree

pts = np.load(sys.argv[1])
box = float(sys.argv[2])
d = sys.argv[3]
dist, idx = cKDTree(pts, boxsize=box).query(pts, k=2)
rows = list(csv.DictReader(open(f"{d}/nn_distances.csv")))
ours = np.array([float(r["nn_distance_nm"]) for r in rows]) * 10.0
ours_idx = np.array([int(r["nn_index"]) for r in rows])
err = np.abs(ours - dist[:, 1]).max()
assert err < 1e-5, err  # the CSV keeps 1e-6 nm
same = (ours_idx == idx[:, 1]).mean()
assert same == 1.0, same
stats = json.load(open(f"{d}/stats.json"))
mean_nm = dist[:, 1].mean() / 10.0
assert abs(stats["mean_nn_nm"]["value"] - mean_nm) < 1e-9, (stats["mean_nn_nm"], mean_nm)
print(f"ok nn {len(pts)} points, max |sacsim - scipy| {err:.1e} Å, same neighbours, mean {mean_nm:.6f} nm")
