"""Whole-process time and peak memory of `sacsim sample` on the sizes the
issue names (median of --repeat runs; peak RSS from the kernel).

    cargo build --release
    python3 benches/peers/sample_scale.py [--repeat 3]

No other tool builds these samples, so there is no peer ratio; ASE's
`graphene` + `write` on the same sheet is timed beside the first case to
give a scale.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    ("100 x 100 nm, 10,000 sites (1/nm²)", ["--size", "100x100", "--density", "1.0"], "< 1 s"),
    ("50 x 50 nm, 5 nm amorphous support", ["--size", "50x50", "--support", "amorphous", "--support-thickness", "5"], "< 5 s"),
    ("200 x 200 nm, 40,000 sites", ["--size", "200x200", "--density", "1.0"], ""),
]


def run(cmd):
    """Wall time and peak RSS (MiB) of one child process."""
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sacsim", default=str(ROOT / "target/release/sacsim"))
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags, target in CASES:
            runs = [run([args.sacsim, "sample", *flags, "--seed", "1", "-o", f"{tmp}/s"]) for _ in range(args.repeat)]
            wall = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            atoms = open(f"{tmp}/s/sample.xyz").readline().strip()
            print(f"{name:40s} {wall:6.3f} s  peak {rss:7.1f} MiB  {atoms} atoms  (target {target or '-'})")
        code = "from ase.build import graphene; from ase.io import write; write('%s/ase.xyz', graphene(size=(407, 235, 1), vacuum=10.0))" % tmp
        wall, rss = run([sys.executable, "-c", code])
        print(f"{'scale: ASE graphene 380k atoms + write':40s} {wall:6.3f} s  peak {rss:7.1f} MiB")


main()
