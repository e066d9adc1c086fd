"""Read a sacsim sample with ASE (extended XYZ) and the csv/json modules and
check that the ground truth agrees with the structure.

usage: check_sample.py SAMPLE_DIR
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
from ase.io import read

d = Path(sys.argv[1])
atoms = read(d / "sample.xyz", format="extxyz")
tags = atoms.get_tags()
rows = list(csv.DictReader(open(d / "sites.csv")))
sites = json.loads((d / "sites.json").read_text())["sites"]
params = json.loads((d / "params.json").read_text())
assert len(rows) == len(sites) == params["sites"], (len(rows), len(sites), params["sites"])
assert len(atoms) == params["atoms"]
assert np.allclose(np.diag(atoms.cell[:2, :2]), params["box_angstrom"])
assert list(atoms.pbc) == [True, True, False]
worst = 0.0
for row, site in zip(rows, sites):
    sid = int(row["site_id"])
    assert sid == site["id"]
    for k in range(int(row["n_metals"])):
        i = int(row[f"atom{k + 1}"])
        assert atoms[i].symbol == row[f"metal{k + 1}"] == site["metals"][k]["element"]
        assert tags[i] == sid
        p = np.array([float(row[f"{c}{k + 1}_A"]) for c in "xyz"])
        worst = max(worst, np.abs(atoms.positions[i] - p).max())
        assert np.allclose(site["metals"][k]["position"], atoms.positions[i], atol=1e-6)
assert worst < 1e-5, worst
# Every tagged atom is a metal or an N of its site.
metal_or_n = np.isin(atoms.get_chemical_symbols(), ["N"]) | ~np.isin(atoms.get_chemical_symbols(), ["C", "N"])
assert metal_or_n[tags > 0].all()
print(f"ok sample {len(atoms)} atoms, {len(rows)} sites, max csv/xyz difference {worst:.1e} Å")
