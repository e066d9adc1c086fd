"""Peer benchmark: a 500 x 500 hexagonal graphene sheet (500,000 atoms)
written as extended XYZ, timed as a whole process, sacsim beside ASE in the
same run.

    cargo build --release
    .venv/bin/python benches/peers/graphene_xyz.py [--size 500] [--repeat 5]

sacsim:  sacsim build --motif pristine --cell 500x500 --format xyz -o DIR
ASE:     python -c "ase.build.graphene(size=(500, 500, 1), vacuum=10); ase.io.write(...)"
Each command runs --repeat times; the median wall time is reported, and the
two outputs are checked to hold the same atoms.
"""
import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def timed(cmd, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=500)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--sacsim", default=str(ROOT / "target/release/sacsim"))
    args = p.parse_args()
    n = args.size
    with tempfile.TemporaryDirectory() as tmp:
        ours = [args.sacsim, "build", "--motif", "pristine", "--cell", f"{n}x{n}", "--format", "xyz", "-o", tmp]
        ase_out = f"{tmp}/ase.xyz"
        ase_code = (
            "from ase.build import graphene; from ase.io import write; "
            f"g = graphene(a=2.46, size=({n}, {n}, 1), vacuum=10.0); g.set_initial_magnetic_moments([0.6] * len(g)); "
            f"write({ase_out!r}, g, format='extxyz')"
        )
        peer = [sys.executable, "-c", ase_code]
        t_ours, all_ours = timed(ours, args.repeat)
        t_ase, all_ase = timed(peer, args.repeat)
        a = Path(f"{tmp}/graphene.xyz").read_text().splitlines()
        b = Path(ase_out).read_text().splitlines()
        # A coordinate that prints as zero may carry either sign depending
        # on the last bit of each code's arithmetic (numpy versions differ):
        # -0.00000000 and 0.00000000 are the same position.
        def unsigned_zero(line):
            return " ".join("0.00000000" if t == "-0.00000000" else t for t in line.split())
        same = a[0] == b[0] and [unsigned_zero(x) for x in a[2:]] == [unsigned_zero(x) for x in b[2:]]
    import ase

    print(f"machine: {platform.processor() or platform.machine()}, {platform.system()} {platform.release()}, python {platform.python_version()}, ase {ase.__version__}")
    print(f"graphene {n}x{n} ({2 * n * n} atoms) -> extended XYZ, whole process, median of {args.repeat}")
    print(f"sacsim {t_ours:8.3f} s   runs {['%.3f' % t for t in all_ours]}")
    print(f"ASE    {t_ase:8.3f} s   runs {['%.3f' % t for t in all_ase]}")
    print(f"ratio  ASE / sacsim = {t_ase / t_ours:.1f}x   (target >= 10x)")
    print(f"atom lines identical to ASE's: {same}")
    if not same:
        sys.exit(1)


main()
