#!/usr/bin/env bash
# Every test sacsim has, on a fresh machine with Rust and Python 3 installed:
# formatting, lints, unit + integration + doc tests, and the interoperability
# tests against the real readers (ASE, pymatgen), which this script installs
# at pinned versions into a local virtualenv (.venv, ignored by git).
# A missing reader fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt

cargo fmt --all -- --check
cargo clippy --all-targets --all-features --release -- -D warnings
SACSIM_PYTHON="$PWD/.venv/bin/python" cargo test --release --features interop
