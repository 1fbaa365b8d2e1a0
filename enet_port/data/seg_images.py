"""The images ``predict`` writes for a segmentation: colour labels, a legend, an overlay.

Lua counterpart: ENet-training's ``visualize`` scripts, which coloured each pixel's most likely
class with the dataset's colours and showed it beside (or blended over) the input frame. The
overlay here is the input resized to the label size (PIL BICUBIC) blended half and half with
the colour labels (PIL ``Image.blend``: input * 0.5 + colours * 0.5).
"""
import numpy as np
from PIL import Image, ImageDraw

from ..atomic import atomic_write

ROW, SWATCH, WIDTH = 20, 16, 220
OVERLAY_ALPHA = 0.5


def colour_image(labels, colours):
    return Image.fromarray(colours[labels])


def legend_image(names, colours):
    """One row per class: its colour swatch and its 0-based index and name."""
    image = Image.new("RGB", (WIDTH, ROW * len(names) + 4), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for i, (name, colour) in enumerate(zip(names, colours)):
        top = 2 + i * ROW
        draw.rectangle([4, top + 2, 4 + SWATCH, top + 2 + SWATCH], fill=tuple(int(c) for c in colour),
                       outline=(0, 0, 0))
        draw.text((SWATCH + 12, top + 5), f"{i} {name}", fill=(0, 0, 0))
    return image


def overlay_image(input_path, colours):
    """The input image under the colour labels ``colours`` (a PIL image), at their size."""
    with Image.open(input_path) as image:
        base = image.convert("RGB").resize(colours.size, Image.BICUBIC)
    return Image.blend(base, colours, OVERLAY_ALPHA)


def write_png(path, image):
    atomic_write(path, lambda f: image.save(f, format="PNG"))


def write_labels(stem, labels, n_classes):
    """Label indices beside ``stem`` (a path without suffix): a uint8 PNG, or ``.npy`` past 256
    classes; returns the path written."""
    if n_classes <= 256:
        path = stem.with_name(stem.name + "_labels.png")
        write_png(path, Image.fromarray(labels.astype(np.uint8), mode="L"))
    else:
        path = stem.with_name(stem.name + "_labels.npy")
        atomic_write(path, lambda f: np.save(f, labels.astype(np.int64)))
    return path
