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
from .filelist import FileList
from ..atomic import atomic_write_text
from ..errors import DataError

EXTENSIONS = {".jpg", ".jpeg", ".png", ".ppm", ".bmp"}
INDEX_VERSION = 2
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
    skipped = []
    index = {"classes": classes, "train": _files(train, classes, required=True, skipped=skipped)}
    val = root / "val"
    if not val.is_dir():
        raise DataError(str(root), "no val/ folder")
    extra = sorted(p.name for p in val.iterdir() if p.is_dir() and p.name not in classes)
    if extra:
        raise DataError(str(val / extra[0]), "class folder not present in train/")
    index["val"] = _files(val, classes, required=False, skipped=skipped)
    index["skipped"] = skipped
    return index


def _files(folder, classes, required, skipped=None):
    items = []
    for label, name in enumerate(classes):
        files = []
        if (folder / name).is_dir():
            for p in sorted((folder / name).iterdir()):
                if p.suffix.lower() not in EXTENSIONS:
                    continue
                if p.is_file():  # follows symlinks: a link to an image is an image
                    files.append(p)
                elif skipped is not None:
                    skipped.append(f"{p}: {_why_not_a_file(p)}")
        if required and not files:
            raise DataError(str(folder / name), "class has zero samples")
        items += [[str(p), label] for p in files]
    return items


def _why_not_a_file(path):
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "symbolic link loop"
        except OSError:
            return "dangling symbolic link"
    return "a directory, not an image file" if path.is_dir() else "not a regular file"


def scan_val(root, classes=None):
    """``(items, classes)`` of ``root/val`` alone (``enet-port test``): labels follow ``classes``
    (the training run's), or the sorted val class folders when the run did not record them."""
    val = Path(root) / "val"
    if not val.is_dir():
        raise DataError(str(root), "no val/ folder")
    found = sorted(p.name for p in val.iterdir() if p.is_dir())
    classes = list(classes) if classes else found
    extra = [c for c in found if c not in classes]
    if extra:
        raise DataError(str(val / extra[0]), "class folder not among the model's classes")
    return _files(val, classes, required=False), classes


def load_index(data, cache):
    """The index of ``data``, from ``cache/index.json`` when it was made for the same folder and
    no class folder changed since (Lua reused the cache on the path alone); its file lists as
    :class:`~enet_port.data.filelist.FileList` arrays."""
    data = str(Path(data).resolve())
    path = Path(cache) / "index.json"
    stamp = folder_stamp(data)
    if path.is_file():
        try:
            cached = json.loads(path.read_text())
            if (cached.get("data"), cached.get("version"), cached.get("stamp")) == (data, INDEX_VERSION, stamp):
                return as_arrays(cached)
        except (OSError, json.JSONDecodeError):
            pass  # a damaged cache is rebuilt, never trusted
    index = {"version": INDEX_VERSION, "data": data, "stamp": stamp, **scan(data)}
    atomic_write_text(path, json.dumps(index))
    return as_arrays(index)


def as_arrays(index):
    return {**index, "train": FileList.from_items(index["train"]), "val": FileList.from_items(index["val"])}


def folder_stamp(root):
    """Modification times of the split and class folders: adding or removing a file changes one."""
    folders = [p for split in ("train", "val") for p in [Path(root) / split, *sorted((Path(root) / split).glob("*/"))]
               if p.is_dir()]
    return [[str(p.relative_to(root)), p.stat().st_mtime_ns] for p in folders]


def by_class(items, n_classes):
    if isinstance(items, FileList):
        return items.by_class(n_classes)
    groups = [[] for _ in range(n_classes)]
    for i, (_, label) in enumerate(items):
        groups[label].append(i)
    return groups


def load_meanstd(index, cache, image_size, crop_size, seed, workers, exif_rotate=False):
    """Cached mean/std for this data, image and crop size; estimated when missing or stale."""
    path = Path(cache) / "meanstd.json"
    key = {"data": index["data"], "imageSize": image_size, "cropSize": crop_size, "exif_rotate": exif_rotate}
    if path.is_file():
        try:
            cached = json.loads(path.read_text())
            if all(cached.get(k) == v for k, v in key.items()):
                return cached["mean"], cached["std"]
        except (OSError, json.JSONDecodeError, KeyError):
            pass
    mean, std = estimate_meanstd(index, image_size, crop_size, seed, workers, exif_rotate)
    atomic_write_text(path, json.dumps({**key, "mean": mean, "std": std}))
    return mean, std


def estimate_meanstd(index, image_size, crop_size, seed, workers, exif_rotate=False):
    """donkey.lua: means over one set of random crops, standard deviations over another.

    Lua draws 10,000 crops for each; we draw min(10,000, training images) (NOTES.md).
    """
    count = min(MEANSTD_SAMPLES, len(index["train"]))
    groups = by_class(index["train"], len(index["classes"]))
    dataset = donkey.TrainSet(index["train"], groups, donkey.Transform(image_size, crop_size),
                               exif_rotate)
    stats = []
    for part in (1, 2):
        sampler = donkey.ClassBalancedSampler(groups, count, seed, -part)
        total, good = torch.zeros(3), 0
        for x, _, _ in donkey.loader(dataset, 64, workers, sampler, seed):
            if x is None:
                continue
            flat = x.float().div_(255).flatten(2)  # the donkeys give uint8; Lua's images were [0, 1]
            total += (flat.mean(2) if part == 1 else flat.std(2, unbiased=True)).sum(0)
            good += len(x)
        if not good:
            raise DataError(f"{index['data']}/train", "no training image could be read (mean/std estimate)")
        stats.append((total / good).tolist())
    return stats[0], stats[1]
