"""Whole-process time and peak memory of `sacsim simulate` at the sizes of
issue 4 (sample built first, not timed; median of --repeat runs).

    cargo build --release
    python3 benches/peers/simulate_scale.py [--repeat 3]
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


def run(cmd):
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - t0, usage.ru_maxrss / 1024


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--sacsim", default=str(ROOT / "target/release/sacsim"))
    a = p.parse_args()
    cases = [
        ("1024 x 1024 px, 20 x 20 nm, dose 1e5", ["--size", "20x20"], ["--shape", "1024x1024", "--dose", "1e5"], "< 0.3 s"),
        ("4096 x 4096 px, 100 x 100 nm, dose 1e5", ["--size", "100x100", "--density", "1"], ["--shape", "4096x4096", "--dose", "1e5"], "< 5 s, < 1 GB"),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, sample_flags, sim_flags, target in cases:
            run([a.sacsim, "sample", *sample_flags, "-o", f"{tmp}/s"])
            runs = [run([a.sacsim, "simulate", f"{tmp}/s", *sim_flags, "-o", f"{tmp}/im"]) for _ in range(a.repeat)]
            wall = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            print(f"{name:42s} {wall:6.3f} s  peak {rss:7.1f} MiB  (target {target})")


main()
