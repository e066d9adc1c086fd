#!/usr/bin/env bash
# Every test sacsim has, on a fresh machine with Rust and Python 3 installed:
# formatting, lints, unit + integration + doc tests, and the interoperability
# tests against the real readers (ASE, pymatgen, rosettasciio, ...), which this script installs
# at pinned versions into a local virtualenv (.venv, ignored by git).
# A missing reader fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
# Real microscope files (DM3, DM4, EMD, TIFF) as hyperspy 1.7.6's wheel
# ships them, for the reader tests against rosettasciio.
FILES=.venv/hyperspy-1.7.6-io
if [ ! -d "$FILES" ]; then
  .venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: hyperspy==1.7.6 -d .venv/wheels
  .venv/bin/python - "$FILES" .venv/wheels/hyperspy-1.7.6-*.whl <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[2]) as z:
    z.extractall(sys.argv[1] + ".tmp", [n for n in z.namelist() if n.startswith("hyperspy/tests/io/")])
PY
  mv "$FILES.tmp" "$FILES"
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --all-features --release -- -D warnings
SACSIM_PYTHON="$PWD/.venv/bin/python" cargo test --release --features interop,net
# The Python package: built from this clone with maturin (pinned in
# pyproject.toml) into .venv, then its tests against the CLI's files.
.venv/bin/python -m pip install --quiet --disable-pip-version-check .
SACSIM_BIN="$PWD/target/release/sacsim" .venv/bin/python -m pytest -q -p no:cacheprovider tests/python/test_package.py
