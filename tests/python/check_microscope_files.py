"""Every 2D image in the DM3, DM4, EMD and TIFF test files that hyperspy
1.7.6's wheel ships (real microscope-written samples) reads in sacsim with
the same array and the same pixel size as rosettasciio reads it.

usage: check_microscope_files.py SACSIM FILES_DIR

A file rosettasciio returns no real 2D image for (spectra, stacks, complex
FFTs, RGB) must be refused by sacsim with a one-line `sacsim:` message and
exit code 1 or 2, never a crash. Prints `ok N compared, M calibrated`.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from rsciio.digitalmicrograph import file_reader as dm_reader
from rsciio.emd import file_reader as emd_reader
from rsciio.tiff import file_reader as tiff_reader

SACSIM, ROOT = sys.argv[1], Path(sys.argv[2])
ANGSTROM = {"Å": 1.0, "nm": 10.0, "µm": 1e4, "um": 1e4, "pm": 0.01, "m": 1e10}
# Layouts sacsim does not read, with the reason (checked to be refused).
NOT_READ = {
    "Si100_2x1x1_3D.emd": "a prismatic 'realslices' simulation output, not a microscope file",
}


def real_2d(signals):
    out = []
    for s in signals:
        d = np.asarray(s["data"])
        if d.ndim == 2 and d.dtype.kind in "biuf" and d.dtype.names is None:
            out.append(s)
    return out


def angstrom_pixel(s):
    axes = sorted(s["axes"], key=lambda a: a.get("index_in_array", 0))
    px = []
    for a in axes[::-1]:  # x is the last array axis
        unit = ANGSTROM.get(a.get("units") or "")
        if unit is None:
            return None
        px.append(float(a["scale"]) * unit)
    return px if all(1e-3 <= p <= 1e4 for p in px) else None


compared = calibrated = refused = 0
files = sorted(p for p in ROOT.rglob("*") if p.suffix.lower() in (".dm3", ".dm4", ".emd", ".tif", ".tiff"))
assert len(files) >= 60, f"only {len(files)} test files under {ROOT}"
for f in files:
    reader = dm_reader if f.suffix.lower() in (".dm3", ".dm4") else emd_reader if f.suffix.lower() == ".emd" else tiff_reader
    try:
        want = real_2d(reader(str(f), lazy=False))
    except Exception:  # rosettasciio cannot read it (e.g. JPEG without imagecodecs)
        want = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o.npy"
        pixel = angstrom_pixel(want[0]) if want else None
        cmd = [SACSIM, "convert", str(f), "-o", str(out)] + ([] if pixel else ["--pixel-size", "1"])
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if not want or f.name in NOT_READ:
            if r.returncode != 0:
                assert r.returncode in (1, 2), (f, r.returncode, r.stderr)
                assert r.stderr.startswith("sacsim:") and len(r.stderr.strip().splitlines()) == 1, (f, r.stderr)
                assert "panicked" not in r.stderr, (f, r.stderr)
                refused += 1
            continue
        assert r.returncode == 0, (f, r.stderr)
        got = np.load(out)
        # DM and NCEM: the first image; Velox files with several images:
        # one of them (sacsim reads the first by name).
        matches = [s for s in want if np.asarray(s["data"]).shape == got.shape
                   and np.allclose(np.asarray(s["data"], dtype=np.float64), got, rtol=1e-6, atol=0)]
        assert matches, (f, got.shape, [np.asarray(s["data"]).shape for s in want])
        compared += 1
        if pixel:
            meta = json.loads(Path(str(out) + ".json").read_text())
            assert "the file's" in meta["calibration_from"], (f, meta)
            for k in range(2):
                assert abs(meta["pixel_angstrom"][k] - pixel[k]) <= 1e-6 * pixel[k], (f, meta["pixel_angstrom"], pixel)
            calibrated += 1
assert compared >= 30 and calibrated >= 8 and refused >= 20, (compared, calibrated, refused)
print(f"ok {compared} compared, {calibrated} calibrated, {refused} refused")
