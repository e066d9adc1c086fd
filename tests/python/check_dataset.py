"""Load a sacsim dataset with pycocotools, parse its YOLO labels and check
the heatmaps with Pillow/numpy against the exact positions.

usage: check_dataset.py DATASET_DIR
"""
import csv
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from pycocotools.coco import COCO

d = Path(sys.argv[1])
total_images = 0
for split in ["train", "val", "test"]:
    ann = d / "annotations" / f"instances_{split}.json"
    coco = COCO(str(ann))
    for img_id in coco.getImgIds():
        info = coco.loadImgs(img_id)[0]
        stem = Path(info["file_name"]).stem
        positions = list(csv.DictReader(open(d / "positions" / split / f"{stem}.csv")))
        anns = coco.loadAnns(coco.getAnnIds(imgIds=img_id))
        # One annotation per metal atom in the image.
        assert len(anns) == len(positions), (split, stem, len(anns), len(positions))
        w, h = info["width"], info["height"]
        for a in anns:
            x, y, bw, bh = a["bbox"]
            assert 0 <= x and 0 <= y and x + bw <= w + 1e-6 and y + bh <= h + 1e-6, a["bbox"]
            kx, ky, v = a["keypoints"]
            assert x <= kx <= x + bw and y <= ky <= y + bh and v == 2
        # YOLO: class xc yc w h in 0-1, one line per atom.
        lines = (d / "labels" / split / f"{stem}.txt").read_text().splitlines()
        assert len(lines) == len(positions)
        for line in lines:
            c, xc, yc, bw, bh = line.split()
            vals = [float(v) for v in (xc, yc, bw, bh)]
            assert int(c) >= 0 and all(0.0 <= v <= 1.0 for v in vals), line
            assert vals[0] - vals[2] / 2 >= -1e-6 and vals[0] + vals[2] / 2 <= 1 + 1e-6
        # Heatmap maxima on the labelled atoms.
        hm = np.asarray(Image.open(d / "heatmaps" / split / f"{stem}.png")).astype(float)
        assert hm.shape == (h, w)
        for p in positions:
            x, y = float(p["x_px"]), float(p["y_px"])
            ix, iy = int(round(x)), int(round(y))
            if 2 <= ix < w - 2 and 2 <= iy < h - 2:
                win = hm[iy - 2:iy + 3, ix - 2:ix + 3]
                assert win.max() >= 0.8 * 65535 and hm[iy, ix] == win.max(), (stem, x, y)
        img = np.asarray(Image.open(d / info["file_name"]))
        assert img.shape == (h, w) and img.dtype == np.uint16
        total_images += 1
manifest = [json.loads(l) for l in (d / "manifest.jsonl").read_text().splitlines()]
assert len(manifest) == total_images
print(f"ok dataset {total_images} images, {sum(m['metals'] for m in manifest)} metal atoms")
