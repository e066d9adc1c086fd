"""The Python package (`pip install .`): run by scripts/test.sh with pytest
after the Rust tests, against the CLI built by cargo (SACSIM_BIN)."""
import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import sacsim

SACSIM = os.environ.get("SACSIM_BIN", str(Path(__file__).resolve().parents[2] / "target/release/sacsim"))


def cli_xyz(*args):
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SACSIM, "build", *args, "--format", "xyz", "-o", tmp], check=True, capture_output=True)
        (path,) = Path(tmp).glob("*.xyz")
        return path.read_text()


def test_build_gives_the_cli_model_as_ase_atoms():
    atoms = sacsim.build("l-co1mn1-nc")
    assert len(atoms) == 70
    assert atoms.get_chemical_formula() == "C62CoMnN6"
    # Co, Mn and their six N carry the site tag; moments are MP defaults.
    assert int((atoms.get_tags() > 0).sum()) == 8
    moments = dict(zip(atoms.get_chemical_symbols(), atoms.get_initial_magnetic_moments()))
    # Materials Project defaults: Co 0.6, Mn 5, C 0.6 µB (as INCAR.magmom).
    assert moments["Co"] == 0.6 and moments["Mn"] == 5.0 and moments["C"] == 0.6
    # The Co-Mn bond of the pair site, as the CLI builds it (Å).
    co, mn = (atoms.get_chemical_symbols().index(e) for e in ("Co", "Mn"))
    assert 2.0 < atoms.get_distance(co, mn) < 2.8
    # The same bytes as `sacsim build --format xyz`.
    assert sacsim._sacsim.build_xyz("l-co1mn1-nc") == cli_xyz("l-co1mn1-nc")
    assert sacsim._sacsim.build_xyz("co1-nc", cell=(8, 8), vacuum=15.0) == cli_xyz(
        "co1-nc", "--cell", "8x8", "--vacuum", "15"
    )


def test_bad_input_is_a_value_error_with_the_cli_message():
    with pytest.raises(ValueError, match="valid presets"):
        sacsim.build("no-such-preset")


def test_four_threads_at_once_give_the_same_models():
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(lambda _: sacsim._sacsim.build_xyz("l-co1mn1-nc", cell=(10, 10)), range(8)))
    assert len(set(texts)) == 1
