"""fb.resnet.torch's ImageNet data pipeline, draw for draw.

Ports fb.resnet.torch ``datasets/transforms.lua`` (Scale, CenterCrop, RandomSizedCrop,
ColorJitter as a RandomOrder of Brightness/Contrast/Saturation, Lighting, ColorNormalize,
HorizontalFlip), ``datasets/imagenet.lua`` (the mean/std and PCA constants; ``preprocess()``:
the train and val compositions), the epoch order of ``dataloader.lua`` (a random permutation of
the training set, the last partial batch kept) and torch/image's bicubic ``image.scale``
(``generic/image.c`` ``scaleCubic_rowcol``: separable, width first, corners aligned, edges
extrapolated linearly, float arithmetic, unclamped).

Lua draws from one Torch generator; here each image gets its own ``random.Random`` (as in
:mod:`donkey`), consumed in the Lua order: ``torch.uniform(a, b)`` is ``rng.uniform(a, b)``
(both ``a + (b - a) * u``), ``torch.random(a, b)`` is ``rng.getrandbits(32) % (b + 1 - a) + a``
as TH computes it, ``torch.randperm(n)`` is TH's swap loop on
``THRandom_random() % (n - i)`` with ``rng.getrandbits(32)``, ``Tensor:normal(0, s)`` is
``rng.gauss(0, s)`` (both Box-Muller on two uniforms, the sine value kept for the next call).
"""
import math
import random

import numpy as np
import torch

from .decode import BadImage, as_uint8

# imagenet.lua: "Computed from random subset of ImageNet training images"
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
PCA_EIGVAL = (0.2175, 0.0188, 0.0045)
PCA_EIGVEC = ((-0.5675, 0.7192, 0.4009),
              (-0.5808, -0.0045, -0.8140),
              (-0.5836, -0.6948, 0.4203))
JITTER = 0.4  # brightness, contrast and saturation of imagenet.lua's ColorJitter
LIGHTING_STD = 0.1
# below this, RandomSizedCrop can draw a crop 0 pixels wide (Lua then reads garbage)
MIN_AREA = 16


def torch_round(x):
    """``torch.round`` of a number: C ``round``, halves away from zero (Python rounds to even)."""
    whole = math.floor(abs(x))
    return int(math.copysign(whole + (abs(x) - whole >= 0.5), x))


def torch_random(a, b, rng):
    """``torch.random(a, b)``: TH's ``THRandom_random() % (b + 1 - a) + a``, a to b inclusive."""
    return rng.getrandbits(32) % (b + 1 - a) + a


def _cubic_rows(img, dst_len):
    """``scaleCubic_rowcol`` along dim 1 of a float CHW tensor: ``dst_len`` rows."""
    src_len = img.shape[1]
    if dst_len == src_len:
        return img
    if src_len == 1:  # Lua leaves the last row unset here; it is the same row
        return img.expand(-1, dst_len, -1).contiguous()
    f32 = np.float32
    scale = f32(src_len - 1) / f32(max(dst_len - 1, 1))
    si_f = np.arange(dst_len - 1, dtype=f32) * scale
    si_i = si_f.astype(np.int64)
    x = torch.from_numpy(si_f - si_i.astype(f32)).view(1, -1, 1)

    def rows(idx):
        return img.index_select(1, torch.from_numpy(np.clip(idx, 0, src_len - 1)))

    p0, p1, p2, p3 = rows(si_i - 1), rows(si_i), rows(si_i + 1), rows(si_i + 2)
    # past an edge, the point is extrapolated; si_i grows, so that is a few first / last rows
    first, last = int((si_i == 0).sum()), int((si_i + 2 >= src_len).sum())
    p0[:, :first] = 2 * p1[:, :first] - p2[:, :first]
    p3[:, dst_len - 1 - last:] = 2 * p2[:, dst_len - 1 - last:] - p1[:, dst_len - 1 - last:]
    a1, a2, a3 = p2 - p0, 2 * p0 - 5 * p1 + 4 * p2 - p3, 3 * (p1 - p2) + p3 - p0
    inner = a1 + x * (a2 + x * a3)
    # C: a0 + 0.5 * x * inner, where the double literal 0.5 makes the last steps double
    value = (p1.double() + 0.5 * x.double() * inner.double()).float()
    return torch.cat([value, img[:, src_len - 1:]], 1)


def scale_bicubic(img, width, height):
    """``image.scale(img, width, height, 'bicubic')``: the rows to ``width``, then the columns."""
    wide = _cubic_rows(img.transpose(1, 2).contiguous(), int(width)).transpose(1, 2).contiguous()
    return _cubic_rows(wide, int(height))


def scale_size(w, h, size):
    """transforms.lua Scale's target (width, height); ``image.scale`` truncates the sizes."""
    if w < h:
        return size, int(h / w * size)
    return int(w / h * size), size


def scale(img, size):
    """transforms.lua ``Scale(size)``: the smaller edge to ``size``, bicubic."""
    h, w = img.shape[1:]
    if (w <= h and w == size) or (h <= w and h == size):
        return img
    return scale_bicubic(img, *scale_size(w, h, size))


def crop(img, x1, y1, x2, y2):
    """``image.crop``: 0-based corners, the end excluded."""
    return img[:, y1:y2, x1:x2]


def center_crop(img, size):
    h, w = img.shape[1:]
    x1, y1 = math.ceil((w - size) / 2), math.ceil((h - size) / 2)
    return crop(img, x1, y1, x1 + size, y1 + size)


def random_sized_crop(img, size, rng):
    """Up to 10 tries of 8%-100% of the area with aspect ratio 3/4-4/3 (w = round(sqrt(area *
    ratio)), h = round(sqrt(area / ratio)), swapped with probability 1/2, offsets
    ``torch.random(0, H - h)``), scaled to size x size; then Scale + CenterCrop."""
    h_in, w_in = img.shape[1:]
    for _ in range(10):
        target_area = rng.uniform(0.08, 1.0) * (h_in * w_in)
        aspect = rng.uniform(3 / 4, 4 / 3)
        w = torch_round(math.sqrt(target_area * aspect))
        h = torch_round(math.sqrt(target_area / aspect))
        if rng.random() < 0.5:
            w, h = h, w
        if h <= h_in and w <= w_in:
            y1 = torch_random(0, h_in - h, rng)
            x1 = torch_random(0, w_in - w, rng)
            return scale_bicubic(crop(img, x1, y1, x1 + w, y1 + h), size, size)
    return center_crop(scale(img, size), size)


def blend(img1, img2, alpha):
    """``img1:mul(alpha):add(1 - alpha, img2)``."""
    return img1 * alpha + (1 - alpha) * img2


def grayscale(img):
    grey = 0.299 * img[0] + 0.587 * img[1] + 0.114 * img[2]
    return grey.expand_as(img)


def brightness(img, var, rng):
    return blend(img, torch.zeros_like(img), 1.0 + rng.uniform(-var, var))


def contrast(img, var, rng):
    mean = grayscale(img)[0].double().mean().item()
    return blend(img, torch.full_like(img, mean), 1.0 + rng.uniform(-var, var))


def saturation(img, var, rng):
    return blend(img, grayscale(img), 1.0 + rng.uniform(-var, var))


def randperm(n, rng):
    """``torch.randperm(n)`` - 1: TH swaps entry i with entry i + random() % (n - i)."""
    perm = list(range(n))
    for i in range(n - 1):
        z = rng.getrandbits(32) % (n - i)
        perm[i], perm[i + z] = perm[i + z], perm[i]
    return perm


def color_jitter(img, rng, b=JITTER, c=JITTER, s=JITTER):
    """ColorJitter: the non-zero ones of Brightness, Contrast, Saturation (in that table order)
    applied in the order of ``RandomOrder``'s randperm; no clamping."""
    ts = [(f, var) for f, var in ((brightness, b), (contrast, c), (saturation, s)) if var != 0]
    if not ts:
        return img
    for i in randperm(len(ts), rng):
        f, var = ts[i]
        img = f(img, var, rng)
    return img


def lighting_rgb(alpha):
    """Lighting's per-channel offset: ``eigvec * (alpha * eigval)`` summed along each row."""
    vec, val = torch.tensor(PCA_EIGVEC), torch.tensor(PCA_EIGVAL)
    return (vec * torch.tensor(alpha, dtype=torch.float32).view(1, 3) * val.view(1, 3)).sum(1)


def lighting(img, rng, alphastd=LIGHTING_STD):
    if alphastd == 0:
        return img
    alpha = [rng.gauss(0, alphastd) for _ in range(3)]
    return img + lighting_rgb(alpha).view(3, 1, 1)


def color_normalize(img, mean=MEAN, std=STD):
    return (img - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)


def horizontal_flip(img, rng, prob=0.5):
    return img.flip(2) if rng.random() < prob else img


class FbTransform:
    """imagenet.lua ``preprocess()`` with the interface of :class:`donkey.Transform`; its
    ColorJitter and Lighting work on floats, so its output is already normalised."""
    output = "float"

    def __init__(self, imageSize=256, cropSize=224, mean=MEAN, std=STD):
        self.size, self.crop = imageSize, cropSize
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)

    def _tensor(self, image, path):
        image = as_uint8(image)
        h, w = image.shape[1:]
        if w * h < MIN_AREA:
            raise BadImage(f"{path}: {w}x{h} has fewer than {MIN_AREA} pixels")
        return image.float().div_(255)

    def train(self, image, rng, path=""):
        """RandomSizedCrop, ColorJitter, Lighting, ColorNormalize, HorizontalFlip."""
        img = random_sized_crop(self._tensor(image, path), self.crop, rng)
        img = lighting(color_jitter(img, rng), rng)
        return horizontal_flip(self.normalize(img), rng)

    def test(self, image, path=""):
        """Scale(256), ColorNormalize, CenterCrop(224)."""
        img = scale(self._tensor(image, path), self.size)
        if min(img.shape[1:]) < self.crop:
            raise BadImage(f"{path}: {img.shape[2]}x{img.shape[1]} after scaling is smaller than the crop {self.crop}")
        return center_crop(self.normalize(img), self.crop)

    def normalize(self, img):
        return (img - self.mean) / self.std


class PermutationSampler(torch.utils.data.Sampler):
    """dataloader.lua: each epoch a random permutation of the whole set (no class balancing);
    keys ``(image index, draw seed)`` as :class:`donkey.ClassBalancedSampler` gives them;
    ``count`` (-epochSize batches) stops the epoch early."""

    def __init__(self, n, seed, epoch, count=None):
        self.n, self.seed, self.epoch = n, seed, epoch
        self.count = n if count is None else min(count, n)

    def __len__(self):
        return self.count

    def __iter__(self):
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        for i, index in enumerate(randperm(self.n, rng)):
            if i == self.count:
                return
            yield index, rng.getrandbits(62)
