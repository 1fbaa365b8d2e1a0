"""The built-in sample dataset: small synthetic photos in the ImageNet folder layout.

No Lua counterpart (imagenet-multiGPU.torch needed ImageNet). Made on first use, without any
download, so that ``enet-port train specs/v7.json`` shows the whole loop on any machine. Each
class is a shape of its own colour on a noisy background, learnable in a few batches.
"""
import shutil
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ["circle", "square", "triangle", "hstripes", "vstripes", "cross", "ring", "diamond",
           "dots", "checker"]


def make_sample_dataset(root, train_per_class=100, val_per_class=30, size=256, seed=0):
    """Create ``root/train/<class>/*.JPEG`` and ``root/val/...`` once; returns ``root``."""
    root = Path(root)
    if (root / "train").is_dir() and (root / "val").is_dir():
        return root
    tmp = root.with_name(root.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    rng = np.random.default_rng(seed)
    for split, count in (("train", train_per_class), ("val", val_per_class)):
        for label, name in enumerate(CLASSES):
            folder = tmp / split / name
            folder.mkdir(parents=True)
            for i in range(count):
                _draw(label, size, rng).save(folder / f"{name}_{i:04d}.JPEG", quality=90)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(root)
    return root


def _draw(label, size, rng):
    background = rng.integers(0, 256, (size, size, 3), dtype=np.uint8) // 3
    image = Image.fromarray(background)
    draw = ImageDraw.Draw(image)
    hue = np.array([(37 * label) % 256, (91 * label + 80) % 256, (53 * label + 160) % 256])
    colour = tuple(int(c) for c in np.clip(hue + rng.integers(-30, 30, 3), 0, 255))
    s = int(size * rng.uniform(0.25, 0.4))
    margin = max(1, size // 16)
    cx, cy = (int(v) for v in rng.integers(s + margin, size - s - margin + 1, 2))
    box = (cx - s, cy - s, cx + s, cy + s)
    shape = CLASSES[label]
    if shape in ("circle", "ring"):
        draw.ellipse(box, outline=colour, fill=None if shape == "ring" else colour, width=max(3, s // 5))
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    elif shape in ("triangle", "diamond"):
        points = [(cx, cy - s), (cx + s, cy + s), (cx - s, cy + s)] if shape == "triangle" else \
                 [(cx, cy - s), (cx + s, cy), (cx, cy + s), (cx - s, cy)]
        draw.polygon(points, fill=colour)
    elif shape in ("hstripes", "vstripes"):
        for k in range(-s, s, max(6, s // 4)):
            line = (cx - s, cy + k, cx + s, cy + k) if shape == "hstripes" else (cx + k, cy - s, cx + k, cy + s)
            draw.line(line, fill=colour, width=max(3, s // 10))
    elif shape == "cross":
        draw.rectangle((cx - s, cy - s // 4, cx + s, cy + s // 4), fill=colour)
        draw.rectangle((cx - s // 4, cy - s, cx + s // 4, cy + s), fill=colour)
    elif shape == "dots":
        for dx in (-s // 2, s // 2):
            for dy in (-s // 2, s // 2):
                draw.ellipse((cx + dx - s // 4, cy + dy - s // 4, cx + dx + s // 4, cy + dy + s // 4), fill=colour)
    else:  # checker
        step = max(4, s // 3)
        for i, x in enumerate(range(cx - s, cx + s, step)):
            for j, y in enumerate(range(cy - s, cy + s, step)):
                if (i + j) % 2 == 0:
                    draw.rectangle((x, y, x + step, y + step), fill=colour)
    return image
