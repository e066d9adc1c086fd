"""The Python package beside the CLI in the same run: `sacsim.simulate` of
a 20 x 20 nm sample (atoms read once with ASE, not timed) against
`sacsim simulate` of the same sample (whole process, files written), and
the same arrays.

    pip install .   (or scripts/test.sh, which installs it into .venv)
    .venv/bin/python benches/peers/python_simulate.py
"""
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
from ase.io import read

import sacsim

SACSIM = str(Path(__file__).resolve().parents[2] / "target/release/sacsim")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([SACSIM, "sample", "--size", "20x20", "--density", "0.5", "--support", "amorphous",
                        "--support-thickness", "2", "--seed", "1", "-o", f"{tmp}/s"], check=True, capture_output=True)
        cli = []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([SACSIM, "simulate", f"{tmp}/s/sample.xyz", "--dose", "1e5", "-o", f"{tmp}/im"], check=True, capture_output=True)
            cli.append(time.perf_counter() - t)
        atoms = read(f"{tmp}/s/sample.xyz")
        py = []
        for _ in range(3):
            t = time.perf_counter()
            image = sacsim.simulate(atoms, dose=1e5)
            py.append(time.perf_counter() - t)
        same = np.array_equal(image.array, np.load(f"{tmp}/im/image.npy"))
    print(f"{len(atoms)} atoms, {image.array.shape[1]} x {image.array.shape[0]} px")
    print(f"sacsim simulate (CLI, whole process, files)  {sorted(cli)[1]:.3f} s")
    print(f"sacsim.simulate (Python, in process)         {sorted(py)[1]:.3f} s   same array: {same}")


main()
