"""The donkeys: image loading, augmentation, class-balanced sampling, data loaders.

Ports imagenet-multiGPU.torch ``donkey.lua`` and ``dataset.lua``'s sampling: the training
transform (shorter side to ``imageSize``, a random ``cropSize`` crop at offset 1..W-crop,
horizontal flip when ``uniform() > 0.5``, per-channel ``(x - mean) / std``), the test transform
(the same scaling, the centre crop at ceil((W-crop)/2)) and ``getByClass`` sampling (a class
uniformly, then an image in it, with replacement). Donkeys are DataLoader workers. Every draw
carries its own seed, so data order and augmentation depend only on (seed, epoch), not on the
number of workers or on resuming.
"""
import math
import random

import torch
from PIL import Image, ImageFile, ImageOps

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is a bad file, not a grey one
MAX_REPLACEMENTS = 20


class BadImage(Exception):
    """A file that exists but cannot be decoded into an image."""


def load_rgb(path, exif_rotate=False):
    """Decode any format PIL recognises (whatever the extension) as RGB; as stored, since
    Torch7's ``image.load`` ignores the EXIF orientation, unless ``exif_rotate``."""
    try:
        with Image.open(path) as image:
            image.load()
            return (ImageOps.exif_transpose(image) if exif_rotate else image).convert("RGB")
    except Exception as exc:  # decoders of broken files raise many kinds; all mean "unreadable"
        raise BadImage(f"{path}: {exc}") from None


def scale_short_side(image, size):
    """Lua ``image.scale(img, size)`` on the shorter side; the longer side is truncated."""
    w, h = image.size
    if w <= h:
        new = (size, int(h * size / w))
    else:
        new = (int(w * size / h), size)
    return image.resize(new, Image.BILINEAR) if new != (w, h) else image


def to_tensor(image):
    data = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    return data.view(image.size[1], image.size[0], 3).permute(2, 0, 1).float().div_(255)


class Transform:
    def __init__(self, imageSize, cropSize, mean=None, std=None):
        self.size, self.crop = imageSize, cropSize
        self.mean = torch.tensor(mean).view(3, 1, 1) if mean is not None else None
        self.std = torch.tensor(std).view(3, 1, 1) if std is not None else None

    def _check(self, image, path):
        if min(image.size) < self.crop:
            raise BadImage(f"{path}: {image.size[0]}x{image.size[1]} after scaling is smaller than the crop {self.crop}")

    def train(self, image, rng, path=""):
        image = scale_short_side(image, self.size)
        self._check(image, path)
        w, h = image.size
        # Lua: ceil(uniform(1e-2, W - crop)) is 1..W-crop, never 0 (and crashes when W == crop)
        x = math.ceil(rng.uniform(1e-2, w - self.crop)) if w > self.crop else 0
        y = math.ceil(rng.uniform(1e-2, h - self.crop)) if h > self.crop else 0
        out = to_tensor(image.crop((x, y, x + self.crop, y + self.crop)))
        if rng.random() > 0.5:
            out = out.flip(2)
        return self.normalize(out)

    def test(self, image, path=""):
        image = scale_short_side(image, self.size)
        self._check(image, path)
        w, h = image.size
        x, y = math.ceil((w - self.crop) / 2), math.ceil((h - self.crop) / 2)
        return self.normalize(to_tensor(image.crop((x, y, x + self.crop, y + self.crop))))

    def normalize(self, x):
        return (x - self.mean) / self.std if self.mean is not None else x


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
                return self.transform.train(load_rgb(path, self.exif_rotate), rng, path), label, skipped
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
            return self.transform.test(load_rgb(path, self.exif_rotate), path), label, []
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
