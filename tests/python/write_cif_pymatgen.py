"""Write a POSCAR as CIF with pymatgen's CifWriter and with ASE.

usage: write_cif_pymatgen.py POSCAR OUT_PYMATGEN.cif OUT_ASE.cif
"""
import sys
import warnings

from ase.io import read, write
from pymatgen.core import Structure
from pymatgen.io.cif import CifWriter

warnings.simplefilter("ignore")
poscar, out_pmg, out_ase = sys.argv[1:4]
CifWriter(Structure.from_file(poscar)).write_file(out_pmg)
write(out_ase, read(poscar, format="vasp"), format="cif")
