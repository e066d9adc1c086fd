"""Read sacsim's extended XYZ of a DFT model in ASE and print, as JSON, the
atoms ASE fixes (FixAtoms from `move_mask`), the initial magnetic moments
per element, the tags of the metal site, whether ASE writes the file back
byte for byte, and the largest distance to the same model's POSCAR.

usage: check_xyz_ase.py MODEL.xyz POSCAR
"""
import io
import json
import sys

import numpy as np
from ase.constraints import FixAtoms
from ase.io import read, write

xyz, poscar = sys.argv[1:3]
atoms = read(xyz, format="extxyz")
fixed = sorted(int(i) for c in atoms.constraints if isinstance(c, FixAtoms) for i in c.index)
moments = {}
for s, m in zip(atoms.get_chemical_symbols(), atoms.get_initial_magnetic_moments()):
    moments.setdefault(s, set()).add(float(m))
buf = io.StringIO()
write(buf, atoms, format="extxyz")
same = buf.getvalue() == open(xyz).read()
p = read(poscar, format="vasp")
print(json.dumps({
    "fixed": fixed,
    "moments": {k: sorted(v) for k, v in moments.items()},
    "site_atoms": int((atoms.get_tags() > 0).sum()),
    "rewrites_identically": same,
    "max_distance_to_poscar": float(np.abs(p.positions - atoms.positions).max()),
    "natoms": len(atoms),
}))
