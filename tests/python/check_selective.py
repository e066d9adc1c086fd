"""Read a POSCAR with selective dynamics in ASE and pymatgen and print, per
reader, the indices of the atoms fixed in all three directions as JSON.

usage: check_selective.py POSCAR
"""
import json
import sys
import warnings

from ase.constraints import FixAtoms, FixScaled, FixCartesian
from ase.io import read
from pymatgen.io.vasp import Poscar

warnings.simplefilter("ignore")
path = sys.argv[1]

atoms = read(path, format="vasp")
ase_fixed = set()
for c in atoms.constraints:
    if isinstance(c, FixAtoms):
        ase_fixed.update(int(i) for i in c.index)
    elif isinstance(c, (FixScaled, FixCartesian)):
        # One constraint per partly fixed atom, with its mask.
        for i, mask in zip(c.index, c.mask if c.mask.ndim == 2 else [c.mask] * len(c.index)):
            if all(mask):
                ase_fixed.add(int(i))

poscar = Poscar.from_file(path)
flags = poscar.selective_dynamics
pmg_fixed = [i for i, f in enumerate(flags) if not any(f)]

print(json.dumps({"ase": sorted(ase_fixed), "pymatgen": pmg_fixed, "natoms": len(atoms)}))
