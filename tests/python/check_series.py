"""Read every file of a `sacsim series` directory with ASE and pymatgen.

usage: check_series.py SERIES_DIR
For each slab model in series.json: ASE reads POSCAR, XYZ and CIF and
pymatgen reads POSCAR and CIF with the formula and atom count of the index;
ASE sees exactly `free_atoms` unconstrained atoms in the POSCAR. For each gas
reference: ASE and pymatgen read it and ASE measures the reference bond
lengths and angle. Prints one 'ok ...' line per file; exits non-zero on the
first mismatch.
"""
import json
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from ase.constraints import FixAtoms, FixScaled
from ase.io import read
from pymatgen.core import Composition, Structure


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def counts(symbols):
    return Counter(symbols)


def main():
    root = Path(sys.argv[1])
    index = json.loads((root / "series.json").read_text())
    warnings.simplefilter("ignore")
    for m in index["models"]:
        d = root / m["path"]
        stem = m["path"].replace("/", "_")
        want = Counter({el.symbol: int(n) for el, n in Composition(m["formula"]).items()})
        files = {
            "poscar": read(d / "POSCAR", format="vasp"),
            "xyz": read(d / f"{stem}.xyz", format="extxyz"),
            "cif": read(d / f"{stem}.cif", format="cif"),
        }
        for kind, atoms in files.items():
            if counts(atoms.get_chemical_symbols()) != want or len(atoms) != m["atoms"]:
                fail(f"{m['path']} ase-{kind}: {atoms.get_chemical_formula()} != {m['formula']}")
            print(f"ok {m['path']} ase-{kind}")
        fixed = set()
        for c in files["poscar"].constraints:
            if isinstance(c, FixAtoms):
                fixed.update(int(i) for i in c.index)
            elif isinstance(c, FixScaled) and all(c.mask):
                fixed.add(int(c.index))
        free = m["atoms"] - len(fixed)
        if free != m["free_atoms"]:
            fail(f"{m['path']}: ASE sees {free} free atoms, index says {m['free_atoms']}")
        for kind in ("POSCAR", f"{stem}.cif"):
            s = Structure.from_file(d / kind)
            got = Counter({el.symbol: int(n) for el, n in s.composition.items()})
            if got != want:
                fail(f"{m['path']} pymatgen {kind}: {dict(got)} != {dict(want)}")
            print(f"ok {m['path']} pymatgen-{kind}")
    bonds = {"CO": 1.128, "CO2": 1.160, "H2": 0.741, "H2O": 0.958}
    for g in index["gas"]:
        d = root / g["path"]
        mol = g["molecule"]
        atoms = read(d / "POSCAR", format="vasp")
        xyz = read(d / f"{mol}.xyz", format="extxyz")
        if atoms.get_chemical_formula() != xyz.get_chemical_formula():
            fail(f"{mol}: POSCAR and XYZ differ")
        if abs(atoms.cell.lengths() - g["box_angstrom"]).max() > 1e-9:
            fail(f"{mol}: box {atoms.cell.lengths()}")
        dist = atoms.get_all_distances()
        heavy = [i for i, s in enumerate(atoms.get_chemical_symbols()) if s != "H"] or [0]
        centre = heavy[0]
        others = [i for i in range(len(atoms)) if i != centre]
        got = min(dist[centre, j] for j in others)
        if abs(got - bonds[mol]) > 1e-6:
            fail(f"{mol}: bond {got} != {bonds[mol]}")
        if mol == "H2O":
            angle = atoms.get_angle(others[0], centre, others[1])
            if abs(angle - 104.5) > 1e-6:
                fail(f"H2O angle {angle}")
        if mol == "CO2" and abs(atoms.get_angle(others[0], centre, others[1]) - 180.0) > 1e-6:
            fail("CO2 is not linear")
        s = Structure.from_file(d / "POSCAR")
        if s.composition.reduced_formula != Composition(mol).reduced_formula:
            fail(f"{mol}: pymatgen reads {s.composition}")
        print(f"ok gas {mol} bond {got:.3f} Å")


main()
