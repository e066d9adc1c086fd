"""Write a 2D float32 image as a Velox EMD file (HDF5 via h5py, the layout
Thermo Fisher Velox writes and rosettasciio reads: /Data/Image/<id>/Data
of shape (height, width, frames) and a JSON Metadata column), then check
that rosettasciio reads it back with the same array and pixel size.

usage: write_velox.py IMAGE.npy PIXEL_ANGSTROM OUT.emd
"""
import json
import sys

import h5py
import numpy as np
from rsciio.emd import file_reader

img = np.load(sys.argv[1]).astype(np.float32)
pixel_m = float(sys.argv[2]) * 1e-10
meta = {
    "BinaryResult": {
        "PixelSize": {"width": f"{pixel_m:.12e}", "height": f"{pixel_m:.12e}"},
        "PixelUnitX": "m",
        "PixelUnitY": "m",
        "Offset": {"x": "0", "y": "0"},
        "ImageSize": {"width": str(img.shape[1]), "height": str(img.shape[0])},
        "Detector": "HAADF",
    },
    "Optics": {"AccelerationVoltage": "80000", "BeamConvergence": "0.03"},
    "Scan": {"DwellTime": "2e-06", "ScanSize": {"width": str(img.shape[1]), "height": str(img.shape[0])}},
    "Core": {"MetadataDefinitionVersion": "7.9", "MetadataSchemaVersion": "v1/2013/07"},
    "Detectors": {"Detector-0": {"DetectorName": "HAADF", "DetectorType": "ScanningDetector"}},
    "General": {"Title": "HAADF"},
    "Acquisition": {"AcquisitionStartDatetime": {"DateTime": "1600000000"}},
}
text = json.dumps(meta).encode()
column = np.zeros((len(text) + 64, 1), dtype=np.uint8)
column[: len(text), 0] = np.frombuffer(text, dtype=np.uint8)
with h5py.File(sys.argv[3], "w") as f:
    f["Version"] = np.array([json.dumps({"format": "Velox", "version": "2"}).encode()])
    g = f.create_group("Data/Image/0123456789abcdef0123456789abcdef")
    g.create_dataset("Data", data=img[:, :, None])
    g.create_dataset("Metadata", data=column)
sig = file_reader(sys.argv[3])
image = [s for s in sig if np.asarray(s["data"]).ndim == 2][0]
assert np.array_equal(image["data"], img), "rosettasciio reads other values"
scale = {a["name"]: (a["scale"], a["units"]) for a in image["axes"]}
print("ok", scale)
