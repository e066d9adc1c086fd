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
    assert sacsim._sacsim.build_xyz("l-co1mn1-nc")[0] == cli_xyz("l-co1mn1-nc")
    assert sacsim._sacsim.build_xyz("co1-nc", cell=(8, 8), vacuum=15.0)[0] == cli_xyz(
        "co1-nc", "--cell", "8x8", "--vacuum", "15"
    )


def test_build_takes_every_flag_of_the_cli():
    from ase.constraints import FixAtoms

    # A motif with its metals on a rectangular cell, rotated, with an
    # adsorbate, shells-based selective dynamics and a moment override.
    kwargs = dict(metals="Fe,Ni", rect=(7, 4), a=2.47, vacuum=18.0, orientation=1,
                  adsorbate="OH@Fe", adsorbate_rotation=30.0, free_shells=1, magmom={"Fe": 3.0})
    atoms = sacsim.build("m2n6-bridged", **kwargs)
    text, _ = sacsim._sacsim.build_xyz(
        "m2n6-bridged", metals=["Fe", "Ni"], rect=(7, 4), a=2.47, vacuum=18.0, orientation=1,
        adsorbate="OH@Fe", adsorbate_rotation=30.0, free_shells=1, magmom=[("Fe", 3.0)])
    assert text == cli_xyz(
        "--motif", "m2n6-bridged", "--metals", "Fe,Ni", "--rect", "7x4", "--a", "2.47",
        "--vacuum", "18", "--orientation", "1", "--adsorbate", "OH@Fe",
        "--adsorbate-rotation", "30", "--free-shells", "1", "--magmom", "Fe=3")
    # Rectangular cell: 7a along x, 4a√3 along y, vacuum on c.
    assert atoms.cell.lengths()[:2] == pytest.approx((7 * 2.47, 4 * 2.47 * 3 ** 0.5), abs=1e-6)
    symbols = atoms.get_chemical_symbols()
    assert symbols.count("Fe") == 1 and symbols.count("Ni") == 1 and symbols.count("H") == 1
    # ASE sees the moments and the selective dynamics.
    fe = symbols.index("Fe")
    assert atoms.get_initial_magnetic_moments()[fe] == 3.0
    (fix,) = [c for c in atoms.constraints if isinstance(c, FixAtoms)]
    fixed = set(fix.index.tolist())
    # One free shell: the metals, the hydroxyl and the six N bonded to
    # the metals relax; every carbon is fixed.
    free = sorted(symbols[i] for i in range(len(atoms)) if i not in fixed)
    assert free == ["Fe", "H", "N", "N", "N", "N", "N", "N", "Ni", "O"]
    # O-H of the hydroxyl sits above Fe (z up), the metals' own heights.
    o = symbols.index("O")
    assert atoms.positions[o, 2] - atoms.positions[fe, 2] > 1.5
    info = atoms.info["sacsim"]
    assert info["motif"] == "m2n6-bridged" and info["metals"] == ["Fe", "Ni"]
    assert info["cell"] == {"shape": "rectangular", "n": 7, "m": 4, "a_angstrom": 2.47, "vacuum_angstrom": 18.0}
    assert info["name"] == "FeNi-m2n6-bridged-OH-Fe" and info["free_shells"] == 1


def test_build_refuses_what_the_cli_refuses():
    with pytest.raises(ValueError, match="not both"):
        sacsim.build("co1-nc", cell=(6, 6), rect=(6, 4))
    with pytest.raises(ValueError, match="own metals"):
        sacsim.build("co1-nc", metals="Mn")
    with pytest.raises(ValueError, match="adsorbate"):
        sacsim.build("co1-nc", adsorbate="XY@Co")
    with pytest.raises(ValueError, match="element"):
        sacsim.build("mn4", metals="Xx")


def test_bad_input_is_a_value_error_with_the_cli_message():
    # A name that is neither a preset nor a motif: both lists offered.
    with pytest.raises(ValueError, match=r"name a preset \(co1-nc, .*l-co1mn1-nc.*motifs: pristine, mn4"):
        sacsim.build("no-such-preset")


def test_four_threads_at_once_give_the_same_models():
    with ThreadPoolExecutor(4) as pool:
        texts = list(pool.map(lambda _: sacsim._sacsim.build_xyz("l-co1mn1-nc", cell=(10, 10))[0], range(8)))
    assert len(set(texts)) == 1


def test_simulate_gives_the_cli_image():
    import numpy as np
    from ase.io import read

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SACSIM, "build", "l-co1mn1-nc", "--format", "xyz", "-o", f"{tmp}/m"], check=True, capture_output=True)
        (xyz,) = Path(f"{tmp}/m").glob("*.xyz")
        subprocess.run([SACSIM, "simulate", str(xyz), "--dose", "1e5", "--seed", "3", "-o", f"{tmp}/im"], check=True, capture_output=True)
        cli = np.load(f"{tmp}/im/image.npy")
        image = sacsim.simulate(read(xyz), dose=1e5, seed=3)
    assert image.array.dtype == np.float32 and image.array.shape == cli.shape
    assert np.array_equal(image.array, cli)
    assert image.pixel_size[0] == pytest.approx(0.1, rel=0.02)
    # Co and Mn stand out of graphene: the brightest pixels are metal
    # peaks, far above the carbon lattice (Z^1.7: ~6x per atom).
    assert image.array.max() > 3 * np.percentile(image.array, 99)


def test_to_hyperspy_has_the_axes_hyperspy_reads_from_the_cli_tiff():
    import hyperspy.api as hs
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SACSIM, "sample", "--size", "4x3", "--density", "1", "--seed", "2", "-o", f"{tmp}/s"], check=True, capture_output=True)
        subprocess.run([SACSIM, "simulate", f"{tmp}/s", "--pixel", "0.125", "--kv", "60", "--dose", "1e5", "-o", f"{tmp}/im"], check=True, capture_output=True)
        from_file = hs.load(f"{tmp}/im/image.tiff")
        image = sacsim.simulate(sacsim.sample(size_nm=(4, 3), density=1.0, seed=2), pixel=0.125, kv=60, dose=1e5)
        signal = image.to_hyperspy()
        # Saved and read back by hyperspy's own format, nothing is lost.
        signal.save(f"{tmp}/image.hspy")
        again = hs.load(f"{tmp}/image.hspy")
    assert np.array_equal(signal.data, from_file.data) and np.array_equal(again.data, image.array)
    for ours, theirs in zip(signal.axes_manager.signal_axes, from_file.axes_manager.signal_axes):
        assert ours.size == theirs.size and ours.units == theirs.units == "nm"
        assert ours.scale == pytest.approx(theirs.scale, rel=1e-6)
        assert ours.offset == pytest.approx(theirs.offset, abs=1e-6)
    # 0.125 Å pixels are 0.0125 nm; x is the column axis.
    assert signal.axes_manager["x"].size == image.array.shape[1]
    assert signal.axes_manager["x"].scale == pytest.approx(0.0125, rel=0.01)
    tem = again.metadata.Acquisition_instrument.TEM
    assert tem.beam_energy == 60.0 and tem.convergence_angle == 30.0
    assert again.original_metadata.sacsim.acquisition.dose_e_per_a2 == 1e5


def test_simulate_rejects_bad_settings_with_the_cli_message():
    atoms = sacsim.build("co1-nc")
    with pytest.raises(ValueError, match="pixel"):
        sacsim.simulate(atoms, pixel=-1.0)
    with pytest.raises(ValueError, match="invalid imaging"):
        sacsim.simulate(atoms, no_such_key=1)


def test_detect_finds_the_cli_atoms():
    import csv

    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SACSIM, "sample", "--size", "6x6", "--density", "1", "--seed", "2", "-o", f"{tmp}/s"], check=True, capture_output=True)
        subprocess.run([SACSIM, "simulate", f"{tmp}/s", "--dose", "1e5", "--seed", "2", "-o", f"{tmp}/im"], check=True, capture_output=True)
        for method in ("classical", "net"):
            subprocess.run([SACSIM, "detect", f"{tmp}/im", "--method", method, "-o", f"{tmp}/d_{method}"], check=True, capture_output=True)
        truth = list(csv.DictReader(open(f"{tmp}/im/atoms.csv")))
        params = __import__("json").load(open(f"{tmp}/im/params.json"))
        array = np.load(f"{tmp}/im/image.npy")
        for method in ("classical", "net"):
            cli = list(csv.DictReader(open(f"{tmp}/d_{method}/detections.csv")))
            found = sacsim.detect(array, pixel_size=params["pixel_angstrom"], method=method)
            # The same atoms at the same places as the CLI.
            assert len(found["x"]) == len(cli)
            assert np.allclose(found["x_px"], [float(r["x_px"]) for r in cli], atol=1e-3)
            assert np.allclose(found["y_px"], [float(r["y_px"]) for r in cli], atol=1e-3)
            # Nearly every metal of the field within 0.5 Å (atoms at the
            # frame's edge may be cut), and no atom where none is.
            near = [
                np.hypot(found["x_px"] - float(t["x_px"]), found["y_px"] - float(t["y_px"])).min() * params["pixel_angstrom"][0] < 0.5
                for t in truth
            ]
            assert sum(near) >= 0.9 * len(truth), (method, sum(near), len(truth))
            assert len(found["x"]) <= len(truth)
    with pytest.raises(ValueError, match="pixel_size"):
        sacsim.detect(array)


def test_simulate_from_four_threads_gives_the_same_arrays():
    import numpy as np

    atoms = sacsim.build("l-co1mn1-nc")
    with ThreadPoolExecutor(4) as pool:
        images = list(pool.map(lambda _: sacsim.simulate(atoms, dose=1e4, seed=5).array, range(4)))
    assert all(np.array_equal(images[0], im) for im in images[1:])
    # Shot noise at 1e4 e/Å²: whole electron counts whose total is the
    # clean image's beam fraction times dose x pixel area, within 5 σ.
    clean = sacsim.simulate(atoms)
    k = 1e4 * clean.pixel_size[0] * clean.pixel_size[1]
    expected = float(clean.array.sum()) * k
    assert np.all(images[0] == np.round(images[0]))
    assert abs(float(images[0].sum()) - expected) < 5 * expected**0.5, (images[0].sum(), expected)


def test_read_image_keeps_the_calibration_of_sacsim_tiffs_and_refuses_bare_files():
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SACSIM, "sample", "--size", "5x4", "--density", "1", "--seed", "4", "-o", f"{tmp}/s"], check=True, capture_output=True)
        subprocess.run([SACSIM, "simulate", f"{tmp}/s", "--pixel", "0.125", "-o", f"{tmp}/im"], check=True, capture_output=True)
        image = sacsim.read_image(f"{tmp}/im/image.tiff")
        npy = np.load(f"{tmp}/im/image.npy")
        assert np.array_equal(image.array, npy)
        # The calibrated float32 TIFF carries its pixel size (0.125 Å, split
        # into whole pixels over the field).
        assert image.pixel_size[0] == pytest.approx(0.125, rel=0.01)
        np.save(f"{tmp}/bare.npy", npy)
        with pytest.raises(ValueError, match="pixel"):
            sacsim.read_image(f"{tmp}/bare.npy")
        assert sacsim.read_image(f"{tmp}/bare.npy", pixel_size=0.2).pixel_size == (0.2, 0.2)
        with pytest.raises(OSError):
            sacsim.read_image(f"{tmp}/missing.tiff")


def test_sample_is_the_cli_sample_and_images_like_it():
    import numpy as np

    s = sacsim.sample(size_nm=(6, 5), density=1.0, support="amorphous", support_thickness_nm=1.0, seed=7)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SACSIM, "sample", "--size", "6x5", "--density", "1", "--support", "amorphous",
                        "--support-thickness", "1", "--seed", "7", "-o", f"{tmp}/s"], check=True, capture_output=True)
        assert s._xyz == Path(f"{tmp}/s/sample.xyz").read_text()
        n_sites = len(Path(f"{tmp}/s/sites.csv").read_text().splitlines()) - 1
        subprocess.run([SACSIM, "simulate", f"{tmp}/s", "--dose", "1e5", "-o", f"{tmp}/im"], check=True, capture_output=True)
        cli = np.load(f"{tmp}/im/image.npy")
    assert len(s.sites) == n_sites
    # 30 nm² at 1 site/nm²: about 30 sites (Poisson placement, min separation).
    assert 15 <= n_sites <= 40
    assert len(s.atoms) > 1000  # sheet + 1 nm of carbon
    image = sacsim.simulate(s, dose=1e5)
    assert np.array_equal(image.array, cli)
    # The truth is atoms.csv's: every metal of the sample, with its pixel.
    assert len(image.truth) == sum(int(r["n_metals"]) for r in s._rows)
    assert all(0 <= t["x_px"] < image.array.shape[1] + 0.5 for t in image.truth)


def test_analyze_equals_the_cli_statistics():
    import json

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SACSIM, "sample", "--size", "30x30", "--density", "0.5", "--mix", "l-comn:1", "--seed", "5",
                        "-o", f"{tmp}/s"], check=True, capture_output=True)
        subprocess.run([SACSIM, "analyze", f"{tmp}/s", "-o", f"{tmp}/a"], check=True, capture_output=True)
        cli = json.load(open(f"{tmp}/a/stats.json"))
    s = sacsim.sample(size_nm=(30, 30), density=0.5, mix="l-comn:1", seed=5)
    ours = sacsim.analyze(s)
    assert ours == cli
    # Every site of L-Co1Mn1-NC holds a Co-Mn pair: nearly all metals have
    # their nearest neighbour inside the 0.2-0.3 nm pair window.
    assert ours["points"] == 2 * len(s.sites)
    assert ours["pair_fraction_by_elements"]["Co-Mn"] > 0.99
    with pytest.raises(ValueError, match="periodic box"):
        sacsim.analyze([[0.0, 0.0], [1.0, 1.0]])


def test_the_quickstart_notebook_runs():
    import nbformat
    from nbclient import NotebookClient

    path = Path(__file__).resolve().parents[2] / "examples/quickstart.ipynb"
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        # Its cells assert the science (atom count, Co-Mn pairs above chance).
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp}}).execute()
        assert (Path(tmp) / "quickstart.png").stat().st_size > 10_000


DATASET = """
[run]
seed = 4
image_format = "npy"
[imaging]
shape = [96, 96]
"""


def test_dataset_writes_the_cli_bytes():
    with tempfile.TemporaryDirectory() as tmp:
        Path(f"{tmp}/ds.toml").write_text(DATASET)
        subprocess.run([SACSIM, "dataset", "--count", "3", "--config", f"{tmp}/ds.toml", "-o", f"{tmp}/cli"], check=True, capture_output=True)
        assert sacsim.dataset(3, config=DATASET, out=f"{tmp}/py") == 3
        assert sacsim.dataset(3, config=f"{tmp}/ds.toml", out=f"{tmp}/py") == 0  # resumed: nothing to do
        cli = sorted(p.relative_to(f"{tmp}/cli") for p in Path(f"{tmp}/cli").rglob("*") if p.is_file() and p.name != "params.json")
        py = sorted(p.relative_to(f"{tmp}/py") for p in Path(f"{tmp}/py").rglob("*") if p.is_file() and p.name != "params.json")
        assert cli == py and len(cli) > 10
        for rel in cli:
            assert (Path(f"{tmp}/cli") / rel).read_bytes() == (Path(f"{tmp}/py") / rel).read_bytes(), rel


STUDY = """
[study]
seed = 3
reactions = []
[sample]
size_nm = [6.0, 6.0]
density_per_nm2 = 0.6
[imaging]
pixel_angstrom = 0.12
[acquisition]
dose_e_per_a2 = 1e5
[[catalyst]]
name = "L-Co1Mn1-NC"
preset = "l-co1mn1-nc"
mix = "l-comn:1"
"""


def test_run_gives_the_summary_of_a_study():
    with tempfile.TemporaryDirectory() as tmp:
        rows = sacsim.run(STUDY, out=f"{tmp}/study")
        assert (Path(tmp) / "study/report.html").is_file()
    (row,) = rows
    # Every site is a Co-Mn pair: the measured pair fraction recovers it.
    assert row["pair_fraction_truth"] == 1.0
    assert row["pair_fraction"][0] > 0.9
