"""Segmentation class names and colours of the datasets ENet was trained on.

Lua counterpart: ENet-training's ``data/loadCityscapes.lua`` and ``data/loadCamVid.lua`` (the
class lists its models predict, in this order: index k is Torch7 label k + 1) and the colours of
the datasets' own definitions: Cityscapes' ``cityscapesscripts/helpers/labels.py`` (the 19
train ids) and CamVid's ``label_colors.txt`` (the 11 classes of the usual split, Void black).
A model whose class names are known is coloured with its dataset's palette, matched by name.
"""
import numpy as np

# Cityscapes labels.py: name -> colour of the 19 train ids, in train-id order
CITYSCAPES = {
    "road": (128, 64, 128), "sidewalk": (244, 35, 232), "building": (70, 70, 70), "wall": (102, 102, 156),
    "fence": (190, 153, 153), "pole": (153, 153, 153), "traffic light": (250, 170, 30),
    "traffic sign": (220, 220, 0), "vegetation": (107, 142, 35), "terrain": (152, 251, 152),
    "sky": (70, 130, 180), "person": (220, 20, 60), "rider": (255, 0, 0), "car": (0, 0, 142),
    "truck": (0, 0, 70), "bus": (0, 60, 100), "train": (0, 80, 100), "motorcycle": (0, 0, 230),
    "bicycle": (119, 11, 32), "unlabeled": (0, 0, 0),
}
# CamVid label_colors.txt: the 11 classes and Void
CAMVID = {
    "sky": (128, 128, 128), "building": (128, 0, 0), "column pole": (192, 192, 128), "road": (128, 64, 128),
    "sidewalk": (0, 0, 192), "tree": (128, 128, 0), "sign symbol": (192, 128, 128), "fence": (64, 64, 128),
    "car": (64, 0, 128), "pedestrian": (64, 64, 0), "bicyclist": (0, 128, 192), "void": (0, 0, 0),
}
PALETTES = {"cityscapes": CITYSCAPES, "camvid": CAMVID}

# ENet-training's class lists (loadCityscapes.lua, loadCamVid.lua): the unlabelled class first
CLASS_LISTS = {
    "cityscapes": ["Unlabeled", "Road", "Sidewalk", "Building", "Wall", "Fence", "Pole", "TrafficLight",
                   "TrafficSign", "Vegetation", "Terrain", "Sky", "Person", "Rider", "Car", "Truck", "Bus",
                   "Train", "Motorcycle", "Bicycle"],
    "camvid": ["Void", "Sky", "Building", "Column-Pole", "Road", "Sidewalk", "Tree", "Sign-Symbol", "Fence", "Car",
               "Pedestrian", "Bicyclist"],
}


def _key(name):
    return "".join(c for c in str(name).lower() if c.isalnum())


def class_names(dataset, n_classes):
    """ENet-training's names for a ``dataset`` model with ``n_classes`` outputs: the full list,
    or without its unlabelled first class (a model of the train ids alone); None otherwise."""
    names = CLASS_LISTS[dataset]
    return names if n_classes == len(names) else names[1:] if n_classes == len(names) - 1 else None


def palette_for(names):
    """``(dataset or None, colours)``: the dataset whose classes cover most of ``names`` (at least
    half) gives each its colour; the rest, or every class when none fits, a generic colour."""
    keys = [_key(n) for n in names]
    best, matched = None, 0
    for dataset, colours in PALETTES.items():
        known = {_key(k) for k in colours}
        count = sum(k in known for k in keys)
        if count > matched:
            best, matched = dataset, count
    colours = generic(len(names))
    if best is None or 2 * matched < len(names):
        return None, colours
    by_key = {_key(k): v for k, v in PALETTES[best].items()}
    for i, key in enumerate(keys):
        if key in by_key:
            colours[i] = by_key[key]
    return best, colours


def generic(n):
    """n distinct colours: the bits of the class index spread over R, G and B, high bits first."""
    colours = np.zeros((max(n, 1), 3), dtype=np.uint8)
    for index in range(n):
        value, c = [0, 0, 0], index
        for bit in range(7, -1, -1):
            for channel in range(3):
                value[channel] |= ((c >> channel) & 1) << bit
            c >>= 3
        colours[index] = value
    return colours
