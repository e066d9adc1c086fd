"""Read a `sacsim simulate` output with numpy, tifffile and Pillow and check
that the three image files and params.json agree.

usage: check_image.py SIM_DIR
"""
import json
import sys
from pathlib import Path

import numpy as np
import tifffile
from PIL import Image

d = Path(sys.argv[1])
params = json.loads((d / "params.json").read_text())
ny, nx = params["image_shape_ny_nx"]
img = np.load(d / "image.npy")
acq = params["acquisition"]
# With an ADC the files hold the integers a microscope writes.
bits = acq.get("adc_bits")
want = np.float32 if bits is None else (np.uint8 if bits <= 8 else np.uint16 if bits <= 16 else np.uint32)
assert img.dtype == want and img.shape == (ny, nx), (img.dtype, img.shape)
tif = tifffile.imread(d / "image.tiff")
assert tif.dtype == want and tif.shape == (ny, nx)
assert np.array_equal(tif, img), "TIFF and npy differ"
if bits is not None:
    # Mean read-out = gain x dose x pixel area x clean + offset (0.5 %).
    clean = np.load(d / "clean.npy").astype(np.float64)
    area = params["pixel_angstrom"][0] * params["pixel_angstrom"][1]
    expect = acq["gain"] * params["dose_in_effect_e_per_a2"] * area * clean.mean() + acq["offset"]
    assert abs(img.mean() / expect - 1) < 5e-3, (img.mean(), expect)
# The TIFF carries its calibration as ImageJ writes it: Fiji and hyperspy
# show nm, and the origin as ImageJ's xorigin/yorigin (pixels).
with tifffile.TiffFile(d / "image.tiff") as t:
    ij = t.imagej_metadata
    assert ij is not None and ij["unit"] == "nm", ij
    page = t.pages[0]
    for tag, k in (("XResolution", 0), ("YResolution", 1)):
        num, den = page.tags[tag].value
        pixel_nm = den / num
        want = params["pixel_angstrom"][k] / 10.0
        assert abs(pixel_nm - want) <= 1e-6 * want, (tag, pixel_nm, want)
    for key, k in (("xorigin", 0), ("yorigin", 1)):
        origin_a = -float(ij[key]) * params["pixel_angstrom"][k]
        assert abs(origin_a - params["origin_angstrom"][k]) < 1e-6, (key, origin_a, params["origin_angstrom"])
# rosettasciio (hyperspy's reader) finds the same scale in nm.
from rsciio.tiff import file_reader

sig = file_reader(str(d / "image.tiff"))[0]
assert np.array_equal(sig["data"], img) and sig["data"].dtype == img.dtype
for ax in sig["axes"]:
    k = 0 if ax["name"] in ("x", "width") else 1
    assert ax["units"] == "nm", ax
    assert abs(ax["scale"] - params["pixel_angstrom"][k] / 10.0) <= 1e-9 * ax["scale"], (ax, params["pixel_angstrom"])
    assert abs(ax["offset"] - params["origin_angstrom"][k] / 10.0) <= 1e-9, (ax, params["origin_angstrom"])
png = np.asarray(Image.open(d / "image.png"))
assert png.dtype in (np.uint16, np.int32) and png.shape == (ny, nx), (png.dtype, png.shape)
lo, hi = params["png_scale"]["min"], params["png_scale"]["max"]
back = lo + png.astype(np.float64) / 65535.0 * (hi - lo)
err = np.abs(back - img).max() / (hi - lo)
assert err <= 0.5 / 65535 + 1e-9, err
if (d / "clean.npy").exists():
    clean = np.load(d / "clean.npy")
    assert clean.shape == img.shape
# The truth table's metals sit on bright pixels of the clean image.
rows = [l.split(",") for l in (d / "atoms.csv").read_text().splitlines()[1:]]
ref = np.load(d / "clean.npy") if (d / "clean.npy").exists() else img
for r in rows:
    x, y = float(r[7]), float(r[8])
    ix, iy = int(round(x)), int(round(y))
    if 2 <= ix < nx - 2 and 2 <= iy < ny - 2:
        win = ref[iy - 2:iy + 3, ix - 2:ix + 3]
        assert win.max() > 5 * np.median(ref), (r, win.max(), np.median(ref))
print(f"ok image {nx}x{ny}, png error {err:.2e} of range, {len(rows)} truth atoms")
