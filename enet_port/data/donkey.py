"""The donkeys: image loading, augmentation, class-balanced sampling, data loaders.

Ports imagenet-multiGPU.torch ``donkey.lua`` and ``dataset.lua``'s sampling: the training
transform (shorter side to ``imageSize``, a random ``cropSize`` crop at offset 1..W-crop,
horizontal flip when ``uniform() > 0.5``; per-channel ``(x - mean) / std`` on the training device,
:mod:`feed`), the test transform
(the same scaling, the centre crop at ceil((W-crop)/2)) and ``getByClass`` sampling (a class
uniformly, then an image in it, with replacement). Donkeys are DataLoader workers. Every draw
carries its own seed, so data order and augmentation depend only on (seed, epoch), not on the
number of workers or on resuming.
"""
import math
import random
from dataclasses import dataclass

import torch
from torchvision.transforms.v2 import functional as TF

from .decode import BadImage, Encoded, as_uint8, load_uint8

MAX_REPLACEMENTS = 20
MAX_SCALED_PIXELS = 2 ** 26  # 64 Mpixels (192 MiB of bytes) after scaling: anything more is absurd


def scaled_size(w, h, size):
    """Lua ``image.scale(img, size)`` on the shorter side: (width, height), the longer side truncated."""
    return (size, int(h * size / w)) if w <= h else (int(w * size / h), size)


def scale_short_side(image, size, path=""):
    """A uint8 CHW image with its shorter side ``size``."""
    h, w = image.shape[1:]
    return resize(image, _checked_size(w, h, size, path))


def resize(image, size):
    """torchvision's uint8 bilinear resize with antialiasing: PIL's BILINEAR within one grey
    level (NOTES.md), 2-6x faster."""
    new_w, new_h = size
    if (new_w, new_h) == tuple(image.shape[:0:-1]):
        return image
    return TF.resize(image, [new_h, new_w], interpolation=TF.InterpolationMode.BILINEAR, antialias=True)


def _checked_size(w, h, size, path):
    new_w, new_h = scaled_size(w, h, size)
    if new_w * new_h > MAX_SCALED_PIXELS:
        raise BadImage(f"{path}: {w}x{h} would scale to {new_w}x{new_h}, above {MAX_SCALED_PIXELS} pixels")
    return new_w, new_h


@dataclass(frozen=True)
class Crop:
    """What a transform does to one image: scale to (w, h), crop at (x, y), maybe flip."""
    w: int
    h: int
    x: int
    y: int
    crop: int
    flip: bool = False

    def apply(self, image):
        """The crop of a uint8 CHW image whose memory is HWC, as decoders give it: copying it as
        HWC is a row copy, 7x faster than making it planar (:func:`collate` stacks it NHWC)."""
        out = resize(image, (self.w, self.h))[:, self.y:self.y + self.crop, self.x:self.x + self.crop]
        return (out.flip(2) if self.flip else out).permute(1, 2, 0).contiguous().permute(2, 0, 1)


class Transform:
    """uint8 in, uint8 out: the division by 255 and ``(x - mean) / std`` happen on the training
    device (:class:`~enet_port.data.feed.Normalise`), to the same values as in Lua's float path.
    The draws depend on the image size alone, so that a JPEG decoded on the GPU
    (``--gpu-decode``) gets its :class:`Crop` from the donkey, before it is decoded."""
    output = "uint8"

    def __init__(self, imageSize, cropSize, mean=None, std=None):
        self.size, self.crop = imageSize, cropSize
        self.mean, self.std = mean, std

    def _scaled(self, w, h, path):
        new_w, new_h = _checked_size(w, h, self.size, path)
        if min(new_w, new_h) < self.crop:
            raise BadImage(f"{path}: {new_w}x{new_h} after scaling is smaller than the crop {self.crop}")
        return new_w, new_h

    def train_crop(self, w, h, rng, path=""):
        w, h = self._scaled(w, h, path)
        # Lua: h1 then w1, each ceil(uniform(1e-2, W - crop)): 1..W-crop, never 0 (and crashes when W == crop)
        y = math.ceil(rng.uniform(1e-2, h - self.crop)) if h > self.crop else 0
        x = math.ceil(rng.uniform(1e-2, w - self.crop)) if w > self.crop else 0
        return Crop(w, h, x, y, self.crop, rng.random() > 0.5)

    def test_crop(self, w, h, path=""):
        w, h = self._scaled(w, h, path)
        return Crop(w, h, math.ceil((w - self.crop) / 2), math.ceil((h - self.crop) / 2), self.crop)

    def train(self, image, rng, path=""):
        if isinstance(image, Encoded):
            return image.planned(self.train_crop(*image.size, rng, path))
        image = as_uint8(image)
        return self.train_crop(image.shape[2], image.shape[1], rng, path).apply(image)

    def test(self, image, path=""):
        if isinstance(image, Encoded):
            return image.planned(self.test_crop(*image.size, path))
        image = as_uint8(image)
        return self.test_crop(image.shape[2], image.shape[1], path).apply(image)


class TrainSet(torch.utils.data.Dataset):
    """Keys are ``(image index, draw seed)``; a bad file is replaced by a fresh class-balanced
    draw, up to MAX_REPLACEMENTS times, after which the sample is dropped from its batch."""

    def __init__(self, items, by_class, transform, exif_rotate=False, gpu_decode=False):
        self.items, self.by_class, self.transform = items, by_class, transform
        self.exif_rotate, self.gpu_decode = exif_rotate, gpu_decode

    def __len__(self):
        return len(self.items)

    def __getitem__(self, key):
        index, seed = key
        rng, skipped = random.Random(seed), []
        for _ in range(MAX_REPLACEMENTS):
            path, label = self.items[index]
            try:
                return self.transform.train(load_uint8(path, self.exif_rotate, self.gpu_decode), rng, path), label, skipped
            except BadImage as exc:
                skipped.append(str(exc))
                index = draw(self.by_class, rng)
        return None, None, skipped


class TestSet(torch.utils.data.Dataset):
    """Validation images in order; a bad file is left out of the evaluation and reported."""

    def __init__(self, items, transform, exif_rotate=False, gpu_decode=False):
        self.items, self.transform, self.exif_rotate, self.gpu_decode = items, transform, exif_rotate, gpu_decode

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        path, label = self.items[index]
        try:
            return self.transform.test(load_uint8(path, self.exif_rotate, self.gpu_decode), path), label, []
        except BadImage as exc:
            return None, label, [str(exc)]


def draw(by_class, rng):
    """dataset.lua getByClass: a class uniformly, then an image of it uniformly."""
    images = by_class[rng.randrange(len(by_class))]
    return images[rng.randrange(len(images))]


class ClassBalancedSampler(torch.utils.data.Sampler):
    """``count`` draws of ``(image index, draw seed)``, fixed by (seed, epoch)."""

    def __init__(self, by_class, count, seed, epoch):
        self.by_class, self.count, self.seed, self.epoch = by_class, count, seed, epoch

    def __len__(self):
        return self.count

    def __iter__(self):
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        for _ in range(self.count):
            yield draw(self.by_class, rng), rng.getrandbits(62)


def collate(batch):
    """Stack the good samples (a list when some are JPEGs left for the GPU to decode); keep the
    messages of the files that were skipped."""
    skipped = [msg for _, _, msgs in batch for msg in msgs]
    good = [(x, y) for x, y, _ in batch if x is not None]
    if not good:
        return None, None, skipped
    xs = [x for x, _ in good]
    labels = torch.tensor([y for _, y in good])
    if any(isinstance(x, Encoded) for x in xs):
        return xs, labels, skipped
    if xs[0].dtype == torch.uint8:  # NCHW with NHWC memory: the device makes it planar (feed.py)
        return torch.stack([x.permute(1, 2, 0) for x in xs]).permute(0, 3, 1, 2), labels, skipped
    return torch.stack(xs), labels, skipped


def loader(dataset, batch_size, workers, sampler=None, seed=0, pin_memory=None):
    """``pin_memory``: by default on wherever CUDA is (the main process pins, not the donkeys)."""
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, num_workers=workers, collate_fn=collate,
        generator=torch.Generator().manual_seed(seed), persistent_workers=False,
        pin_memory=torch.cuda.is_available() if pin_memory is None else pin_memory)
