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

import torch
from torchvision.transforms.v2 import functional as TF

from .decode import BadImage, as_uint8, load_uint8

MAX_REPLACEMENTS = 20
MAX_SCALED_PIXELS = 2 ** 26  # 64 Mpixels (192 MiB of bytes) after scaling: anything more is absurd


def scaled_size(w, h, size):
    """Lua ``image.scale(img, size)`` on the shorter side: (width, height), the longer side truncated."""
    return (size, int(h * size / w)) if w <= h else (int(w * size / h), size)


def scale_short_side(image, size, path=""):
    """A uint8 CHW image with its shorter side ``size``: torchvision's uint8 bilinear resize with
    antialiasing, PIL's BILINEAR within one grey level (NOTES.md)."""
    h, w = image.shape[1:]
    new_w, new_h = scaled_size(w, h, size)
    if (new_w, new_h) == (w, h):
        return image
    if new_w * new_h > MAX_SCALED_PIXELS:
        raise BadImage(f"{path}: {w}x{h} would scale to {new_w}x{new_h}, above {MAX_SCALED_PIXELS} pixels")
    return TF.resize(image, [new_h, new_w], interpolation=TF.InterpolationMode.BILINEAR, antialias=True)


class Transform:
    """uint8 in, uint8 out: the division by 255 and ``(x - mean) / std`` happen on the training
    device (:class:`~enet_port.train.feed.Normalise`), to the same values as in Lua's float path."""
    output = "uint8"

    def __init__(self, imageSize, cropSize, mean=None, std=None):
        self.size, self.crop = imageSize, cropSize
        self.mean, self.std = mean, std

    def _scaled(self, image, path):
        image = scale_short_side(as_uint8(image), self.size, path)
        if min(image.shape[1:]) < self.crop:
            raise BadImage(f"{path}: {image.shape[2]}x{image.shape[1]} after scaling is smaller than the crop {self.crop}")
        return image

    def train(self, image, rng, path=""):
        image = self._scaled(image, path)
        h, w = image.shape[1:]
        # Lua: ceil(uniform(1e-2, W - crop)) is 1..W-crop, never 0 (and crashes when W == crop)
        x = math.ceil(rng.uniform(1e-2, w - self.crop)) if w > self.crop else 0
        y = math.ceil(rng.uniform(1e-2, h - self.crop)) if h > self.crop else 0
        out = image[:, y:y + self.crop, x:x + self.crop]
        if rng.random() > 0.5:
            out = out.flip(2)
        return out.contiguous()

    def test(self, image, path=""):
        image = self._scaled(image, path)
        h, w = image.shape[1:]
        x, y = math.ceil((w - self.crop) / 2), math.ceil((h - self.crop) / 2)
        return image[:, y:y + self.crop, x:x + self.crop].contiguous()


class TrainSet(torch.utils.data.Dataset):
    """Keys are ``(image index, draw seed)``; a bad file is replaced by a fresh class-balanced
    draw, up to MAX_REPLACEMENTS times, after which the sample is dropped from its batch."""

    def __init__(self, items, by_class, transform, exif_rotate=False):
        self.items, self.by_class, self.transform = items, by_class, transform
        self.exif_rotate = exif_rotate

    def __len__(self):
        return len(self.items)

    def __getitem__(self, key):
        index, seed = key
        rng, skipped = random.Random(seed), []
        for _ in range(MAX_REPLACEMENTS):
            path, label = self.items[index]
            try:
                return self.transform.train(load_uint8(path, self.exif_rotate), rng, path), label, skipped
            except BadImage as exc:
                skipped.append(str(exc))
                index = draw(self.by_class, rng)
        return None, None, skipped


class TestSet(torch.utils.data.Dataset):
    """Validation images in order; a bad file is left out of the evaluation and reported."""

    def __init__(self, items, transform, exif_rotate=False):
        self.items, self.transform, self.exif_rotate = items, transform, exif_rotate

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        path, label = self.items[index]
        try:
            return self.transform.test(load_uint8(path, self.exif_rotate), path), label, []
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
    """Stack the good samples; keep the messages of the files that were skipped."""
    skipped = [msg for _, _, msgs in batch for msg in msgs]
    good = [(x, y) for x, y, _ in batch if x is not None]
    if not good:
        return None, None, skipped
    return torch.stack([x for x, _ in good]), torch.tensor([y for _, y in good]), skipped


def loader(dataset, batch_size, workers, sampler=None, seed=0):
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, sampler=sampler, num_workers=workers, collate_fn=collate,
        generator=torch.Generator().manual_seed(seed), persistent_workers=False,
        pin_memory=torch.cuda.is_available())
