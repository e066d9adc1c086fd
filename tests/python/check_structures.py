"""Read every committed reference model with ASE and pymatgen and compare it
to what sacsim says the model is (expected.json, written by the Rust test).

usage: check_structures.py EXPECTED_JSON STRUCTURES_DIR
Prints one 'ok <preset> <reader>' line per check; exits non-zero on the first
mismatch.
"""
import json
import sys
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from ase.io import read
from pymatgen.core import Structure

TOL = 1e-6  # Å


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def compare_ase(name, kind, atoms, want, modulo_lattice=False):
    cell = np.array(want["cell"])
    if np.abs(atoms.cell[:] - cell).max() > TOL:
        fail(f"{name} {kind}: cell {atoms.cell[:]} != {cell}")
    if list(atoms.get_chemical_symbols()) != want["symbols"]:
        fail(f"{name} {kind}: species differ")
    d = atoms.positions - np.array(want["positions"])
    if modulo_lattice:
        # ASE's CIF reader rebuilds the cell from lengths and angles and
        # wraps the atoms with it, which can move an atom at fractional 0 to
        # 1: the same crystal site, one lattice vector away.
        frac = np.linalg.solve(cell.T, d.T).T
        d = (frac - np.round(frac)) @ cell
    err = np.abs(d).max()
    if err > TOL:
        fail(f"{name} {kind}: positions off by {err} Å")
    print(f"ok {name} ase-{kind} (max position error {err:.1e} Å)")


def main():
    expected = json.loads(Path(sys.argv[1]).read_text())
    root = Path(sys.argv[2])
    warnings.simplefilter("ignore")
    for name, want in expected.items():
        d = root / name
        compare_ase(name, "poscar", read(d / "POSCAR", format="vasp"), want)
        xyz = read(d / f"{name}.xyz", format="extxyz")
        compare_ase(name, "xyz", xyz, want)
        if list(xyz.get_tags()) != want["tags"]:
            fail(f"{name} xyz: tags differ")
        cif = read(d / f"{name}.cif", format="cif")
        compare_ase(name, "cif", cif, want, modulo_lattice=True)
        # One pbc convention: every format reads as the 3D-periodic DFT cell.
        pbcs = {kind: list(map(bool, a.pbc)) for kind, a in
                (("poscar", read(d / "POSCAR", format="vasp")), ("xyz", xyz), ("cif", cif))}
        if any(p != [True, True, True] for p in pbcs.values()):
            fail(f"{name}: pbc differs across formats: {pbcs}")
        comp = Counter(want["symbols"])
        for kind, path in (("poscar", d / "POSCAR"), ("cif", d / f"{name}.cif")):
            s = Structure.from_file(path)
            got = Counter({el.symbol: int(n) for el, n in s.composition.items()})
            if got != comp or len(s) != len(want["symbols"]):
                fail(f"{name} pymatgen-{kind}: composition {dict(got)} != {dict(comp)}")
            print(f"ok {name} pymatgen-{kind} ({s.composition.reduced_formula}, {len(s)} sites)")


main()
