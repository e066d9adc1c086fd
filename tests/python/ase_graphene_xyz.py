"""Write ase.build.graphene with ase.io.write and compare it line by line to
sacsim's extended XYZ of the same sheet (with the initial moments sacsim
writes for DFT models: the Materials Project default for C, 0.6 µB, and
periodic in 3D like every sacsim DFT cell: the vacuum gap is periodic as
in VASP).

usage: ase_graphene_xyz.py SACSIM_XYZ N M VACUUM
"""
import sys

from ase.build import graphene
from ase.io import read, write
import numpy as np

ours, n, m, vacuum = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
atoms = graphene(a=2.46, size=(n, m, 1), vacuum=vacuum / 2)
atoms.set_initial_magnetic_moments([0.6] * len(atoms))
atoms.pbc = True
write("/dev/stdout" if False else ours + ".ase", atoms, format="extxyz")
a = open(ours + ".ase").read().splitlines()
b = open(ours).read().splitlines()
assert a[0] == b[0], (a[0], b[0])
# Atom lines: byte-identical.
assert a[2:] == b[2:], "atom lines differ"
# Header: the same keys and numerically the same lattice (ASE may print -0.0).
back = read(ours, format="extxyz")
assert np.abs(back.cell[:] - atoms.cell[:]).max() < 1e-12
assert list(back.pbc) == list(atoms.pbc) == [True, True, True]
print("identical atom lines;", a[1])
