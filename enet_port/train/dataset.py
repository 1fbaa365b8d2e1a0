"""The file index, its cache, and the mean/std estimate: ``dataset.lua`` and ``donkey.lua``'s setup.

Ports imagenet-multiGPU.torch's scan of ``DATA/train/<class>/*`` and ``DATA/val/<class>/*``
(extensions jpg, jpeg, png, ppm, bmp in any case; val uses train's class numbering; an empty
class is an error), the ``trainCache``/``testCache`` reuse (rebuilt here when the cache was made
for another data path) and ``meanstdCache`` (per-channel mean of per-image means, and mean of
per-image unbiased standard deviations, over random training crops on the [0, 1] scale).
"""
import json
from pathlib import Path

import torch

from . import donkey
from ..atomic import atomic_write_text
from ..errors import DataError

EXTENSIONS = {".jpg", ".jpeg", ".png", ".ppm", ".bmp"}
INDEX_VERSION = 1
MEANSTD_SAMPLES = 10000


def scan(root):
    """``{"classes": [...], "train": [[path, label]...], "val": [...]}`` for an ImageNet folder."""
    root = Path(root)
    train = root / "train"
    if not train.is_dir():
        raise DataError(str(root), "no train/ folder (expected train/<class>/* and val/<class>/*)")
    classes = sorted(p.name for p in train.iterdir() if p.is_dir())
    if not classes:
        raise DataError(str(train), "no class folders")
    index = {"classes": classes, "train": _files(train, classes, required=True)}
    val = root / "val"
    if not val.is_dir():
        raise DataError(str(root), "no val/ folder")
    extra = sorted(p.name for p in val.iterdir() if p.is_dir() and p.name not in classes)
    if extra:
        raise DataError(str(val / extra[0]), "class folder not present in train/")
    index["val"] = _files(val, classes, required=False)
    return index


def _files(folder, classes, required):
    items = []
    for label, name in enumerate(classes):
        files = sorted(p for p in (folder / name).glob("*")
                       if p.suffix.lower() in EXTENSIONS and p.is_file()) if (folder / name).is_dir() else []
        if required and not files:
            raise DataError(str(folder / name), "class has zero samples")
        items += [[str(p), label] for p in files]
    return items


def load_index(data, cache):
    """The index of ``data``, from ``cache/index.json`` when it was made for the same folder and
    no class folder changed since (Lua reused the cache on the path alone)."""
    data = str(Path(data).resolve())
    path = Path(cache) / "index.json"
    stamp = folder_stamp(data)
    if path.is_file():
        try:
            cached = json.loads(path.read_text())
            if (cached.get("data"), cached.get("version"), cached.get("stamp")) == (data, INDEX_VERSION, stamp):
                return cached
        except (OSError, json.JSONDecodeError):
            pass  # a damaged cache is rebuilt, never trusted
    index = {"version": INDEX_VERSION, "data": data, "stamp": stamp, **scan(data)}
    atomic_write_text(path, json.dumps(index))
    return index


def folder_stamp(root):
    """Modification times of the split and class folders: adding or removing a file changes one."""
    folders = [p for split in ("train", "val") for p in [Path(root) / split, *sorted((Path(root) / split).glob("*/"))]
               if p.is_dir()]
    return [[str(p.relative_to(root)), p.stat().st_mtime_ns] for p in folders]


def by_class(items, n_classes):
    groups = [[] for _ in range(n_classes)]
    for i, (_, label) in enumerate(items):
        groups[label].append(i)
    return groups


def load_meanstd(index, cache, opt):
    """Cached mean/std for this data, image and crop size; estimated when missing or stale."""
    path = Path(cache) / "meanstd.json"
    key = {"data": index["data"], "imageSize": opt["imageSize"], "cropSize": opt["cropSize"]}
    if path.is_file():
        try:
            cached = json.loads(path.read_text())
            if all(cached.get(k) == v for k, v in key.items()):
                return cached["mean"], cached["std"]
        except (OSError, json.JSONDecodeError, KeyError):
            pass
    mean, std = estimate_meanstd(index, opt)
    atomic_write_text(path, json.dumps({**key, "mean": mean, "std": std}))
    return mean, std


def estimate_meanstd(index, opt):
    """donkey.lua: means over one set of random crops, standard deviations over another.

    Lua draws 10,000 crops for each; we draw min(10,000, training images) (NOTES.md).
    """
    count = min(MEANSTD_SAMPLES, len(index["train"]))
    groups = by_class(index["train"], len(index["classes"]))
    dataset = donkey.TrainSet(index["train"], groups, donkey.Transform(opt["imageSize"], opt["cropSize"]))
    stats = []
    for part in (1, 2):
        sampler = donkey.ClassBalancedSampler(groups, count, opt["manualSeed"], -part)
        total, good = torch.zeros(3), 0
        for x, _, _ in donkey.loader(dataset, 64, opt["nDonkeys"], sampler, opt["manualSeed"]):
            if x is None:
                continue
            flat = x.flatten(2)
            total += (flat.mean(2) if part == 1 else flat.std(2, unbiased=True)).sum(0)
            good += len(x)
        if not good:
            raise DataError(f"{index['data']}/train", "no training image could be read (mean/std estimate)")
        stats.append((total / good).tolist())
    return stats[0], stats[1]
