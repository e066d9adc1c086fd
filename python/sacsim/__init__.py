"""sacsim in Python: single- and dual-atom catalyst models as ase.Atoms.

The Rust library does the work (``sacsim._sacsim``); this layer turns its
results into the objects Python users work with. Lengths in Å, moments in
µB.
"""
from io import StringIO

from . import _sacsim

__version__ = _sacsim.__version__

__all__ = ["build", "__version__"]


def build(name, cell=None, vacuum=None):
    """A DFT-ready model of preset ``name`` (as ``sacsim build NAME``).

    Parameters
    ----------
    name : str
        Preset, e.g. ``"l-co1mn1-nc"``, ``"co1-nc"`` (see ``sacsim list``).
    cell : (int, int), optional
        Graphene cell in units of the lattice vectors, default the preset's.
    vacuum : float, optional
        Vacuum along c (Å), default the preset's.

    Returns
    -------
    ase.Atoms
        With the site's tags (1 on its metals and N), ``FixAtoms`` for atoms
        fixed by selective dynamics, initial magnetic moments (Materials
        Project defaults) and ``info["sacsim"]`` holding the parameters: the
        atoms of ``sacsim build NAME --format xyz``, read by ASE.
    """
    from ase.io import read

    text = _sacsim.build_xyz(name, cell=None if cell is None else tuple(cell), vacuum=vacuum)
    atoms = read(StringIO(text), format="extxyz")
    atoms.info["sacsim"] = {"name": name, "cell": cell, "vacuum": vacuum}
    return atoms
