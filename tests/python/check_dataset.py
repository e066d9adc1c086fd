"""Load a sacsim dataset with pycocotools, parse its YOLO labels and check
the heatmaps with Pillow/numpy against the exact positions.

Loaders as users run them: torchvision's CocoDetection and Detectron2's
register_coco_instances open os.path.join(image_root, file_name) with
image_root = DATASET/images/SPLIT and convert("RGB"); Ultralytics'
check_det_dataset takes the folder of data.yaml as the root when the
file has no `path:` key (8.x: `Path(data.get("path") or
Path(data["yaml_file"]).parent)`), and finds each image's labels by
replacing /images/ with /labels/ and the suffix with .txt.

With a second directory (the same run written as npy), every png8 level
maps back to the float image through meta's grey_scale.

usage: check_dataset.py DATASET_DIR [SAME_RUN_AS_NPY_DIR]
"""
import csv
import json
import os
import sys
from pathlib import Path

import numpy as np
from PIL import Image
from pycocotools.coco import COCO

d = Path(sys.argv[1])
npy_twin = Path(sys.argv[2]) if len(sys.argv) > 2 else None
total_images = 0
# Ultralytics: no `path:`, so the root is data.yaml's folder from any cwd.
yaml_text = (d / "data.yaml").read_text()
assert not any(l.startswith("path:") for l in yaml_text.splitlines()), yaml_text
os.chdir("/")
root = (d / "data.yaml").resolve().parent
for line in yaml_text.splitlines():
    if line.split(":")[0] in ("train", "val", "test"):
        assert (root / line.split(":", 1)[1].strip()).is_dir(), line
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
        # torchvision CocoDetection(root=images/SPLIT) / Detectron2 image_root.
        path = os.path.join(d / "images" / split, info["file_name"])
        rgb = np.asarray(Image.open(path).convert("RGB"))
        assert rgb.shape == (h, w, 3), rgb.shape
        grey = np.asarray(Image.open(path).convert("L"))
        levels = len(np.unique(grey))
        assert levels >= 100, (path, levels)
        raw = np.asarray(Image.open(path))
        assert raw.dtype == np.uint8
        # Ultralytics: labels beside images.
        label = Path(str(path).replace(f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}")).with_suffix(".txt")
        assert label.is_file(), label
        meta = json.loads((d / "meta" / split / f"{stem}.json").read_text())
        g = meta["grey_scale"]
        assert g["top"] == 255 and meta["image_format"] == "png8"
        if npy_twin is not None:
            values = np.load(npy_twin / "images" / split / f"{stem}.npy")
            step = (g["max"] - g["min"]) / 255
            back = g["min"] + raw.astype(float) * step
            inside = (values >= g["min"]) & (values <= g["max"])
            err = np.abs(back - values)[inside].max()
            assert err <= step / 2 + 1e-3 * step, (stem, err, step)
            assert inside.mean() >= 0.998 and values.max() == np.float32(g["max"])
        total_images += 1
manifest = [json.loads(l) for l in (d / "manifest.jsonl").read_text().splitlines()]
assert len(manifest) == total_images
print(f"ok dataset {total_images} images, {sum(m['metals'] for m in manifest)} metal atoms")
