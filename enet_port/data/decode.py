"""An image file as a uint8 CHW RGB tensor: Torch7's ``image.load(path, 3)`` kept in bytes.

donkey.lua's ``loadImage`` decodes with libjpeg/libpng into floats in [0, 1]; we keep the bytes
(4x less to scale, crop, pickle and copy) and divide by 255 on the training device
(:mod:`feed`). JPEGs in RGB or grey go to libjpeg-turbo through ``simplejpeg`` (the same pixels
as PIL's decoder, measured in NOTES.md, and the fastest of the three); ``--gpu-decode`` uses
``torchvision.io.decode_jpeg`` on the device (nvJPEG). Every other file (PNG, CMYK, PNG named
.JPEG, BMP, PPM) goes through PIL as before. The header is read first, so that a
file whose size is absurd is refused before a pixel is allocated: PIL's decompression-bomb
guard stays on, and an aspect ratio above :data:`MAX_ASPECT` is unreadable (a 1x200000 PNG
would become 256x51,200,000 at scaling). High bit depths keep their top 8 bits, as PIL does for
16-bit RGB, instead of saturating to white.
"""
import dataclasses
import io
import warnings
from dataclasses import dataclass

import numpy as np
import simplejpeg
import torch
from PIL import Image, ImageFile, ImageOps
from torchvision.io import ImageReadMode, decode_jpeg

from .. import userpaths

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is a bad file, not a grey one
MAX_ASPECT = 50
FAST_MODES = ("RGB", "L")
FAST_COLORSPACES = ("YCbCr", "RGB", "Gray")  # the same JPEGs, in libjpeg-turbo's words
JPEG_MAGIC = b"\xff\xd8\xff"
SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N", "I")
EXIF_ORIENTATION = 0x0112


class BadImage(Exception):
    """A file that exists but cannot be decoded into an image."""


@dataclass(frozen=True)
class Encoded:
    """``--gpu-decode``: a JPEG's bytes, decoded later on the device; ``crop``: what the
    transform drew for it from its header size."""
    data: torch.Tensor
    size: tuple
    path: str
    crop: object = None

    def planned(self, crop):
        return dataclasses.replace(self, crop=crop)


def load_uint8(path, exif_rotate=False, encoded=False):
    """``path`` as a 3xHxW uint8 tensor, or :class:`BadImage` naming the file and the reason;
    ``encoded``: a JPEG the fast decoder reads stays :class:`Encoded` (other files are decoded)."""
    try:
        data = _read(path)
        # --exif-rotate needs PIL's EXIF reader, --gpu-decode its refusals (nvJPEG decodes later)
        size = None if exif_rotate or encoded else _fast_jpeg_size(data, path)
        if size is None:
            with Image.open(io.BytesIO(data)) as image:  # the header only, and PIL's bomb guard
                check_size(image.size, path)
                if not _fast(image, exif_rotate):
                    image.load()
                    return pil_to_uint8(ImageOps.exif_transpose(image) if exif_rotate else image, path)
                size = image.size
        if encoded:
            return Encoded(torch.frombuffer(bytearray(data), dtype=torch.uint8), size, str(path))
        return jpeg_to_uint8(data)
    except BadImage:
        raise
    except Exception as exc:  # decoders of broken files raise many kinds; all mean "unreadable"
        raise BadImage(f"{path}: {exc}") from None


def _fast_jpeg_size(data, path):
    """(width, height) of a JPEG in RGB or grey from libjpeg-turbo's header reader, checked as
    PIL's header would be (5x faster than opening it with PIL); None for anything else, which PIL
    then reads or refuses."""
    if not data.startswith(JPEG_MAGIC):
        return None
    try:
        h, w, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError:
        return None
    if colorspace not in FAST_COLORSPACES:
        return None
    check_size((w, h), path)
    if Image.MAX_IMAGE_PIXELS and w * h > 2 * Image.MAX_IMAGE_PIXELS:  # PIL's DecompressionBombError
        raise BadImage(f"{path}: {w}x{h} = {w * h} pixels is above twice Image.MAX_IMAGE_PIXELS "
                       f"({Image.MAX_IMAGE_PIXELS}): could be a decompression bomb")
    return w, h


def _read(path):
    try:
        return userpaths.read_bytes(path)
    except userpaths.NotRegularFile as exc:
        raise BadImage(str(exc)) from None


def check_size(size, path):
    w, h = size
    if min(w, h) < 1 or max(w, h) > MAX_ASPECT * min(w, h):
        raise BadImage(f"{path}: {w}x{h} has an aspect ratio above {MAX_ASPECT}:1")


def _fast(image, exif_rotate):
    if image.format != "JPEG" or image.mode not in FAST_MODES:
        return False
    return not (exif_rotate and image.getexif().get(EXIF_ORIENTATION, 1) != 1)


def jpeg_to_uint8(data):
    """libjpeg-turbo through simplejpeg, as a CHW view of its HWC array. A file libjpeg warns
    about (stray bytes before a marker, a damaged or short scan) goes to PIL, which reads some
    of them (as Torch7's ``image.load`` did) and refuses others (a truncated file): the same
    decision as before, on the rare file; ``strict`` is what makes simplejpeg say so."""
    try:
        return torch.from_numpy(simplejpeg.decode_jpeg(data, colorspace="RGB", strict=True)).permute(2, 0, 1)
    except ValueError:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            return pil_to_uint8(image)


def device_jpeg_to_uint8(data, device):
    """torchvision's decoder (nvJPEG on CUDA) for ``--gpu-decode``: a byte tensor or a list of
    them; its warnings are errors too, its notice that its decoders are deprecated (0.29) is not."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        return decode_jpeg(data, mode=ImageReadMode.RGB, device=device)


def pil_to_uint8(image, path=""):
    """A PIL image of any mode as 3xHxW uint8 RGB."""
    if image.mode in SIXTEEN_BIT:
        image = _eight_bits(image, path)
    elif image.mode == "F":
        raise BadImage(f"{path}: floating-point pixels (mode F) have no 8-bit meaning")
    if image.mode != "RGB":
        image = image.convert("RGB")
    data = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    return data.view(image.size[1], image.size[0], 3).permute(2, 0, 1)


def _eight_bits(image, path):
    """16-bit grey (PNG, PPM) to its top 8 bits: PIL's ``convert`` would clip it to 255."""
    values = np.asarray(image).astype(np.int64)
    if values.min() < 0 or values.max() > 65535:
        raise BadImage(f"{path}: {image.mode} pixels outside 0..65535")
    return Image.fromarray((values >> 8).astype(np.uint8), "L")


def as_uint8(image):
    """A transform's input (a decoded tensor, or a PIL image as tests and callers give) as uint8 CHW."""
    return image if isinstance(image, torch.Tensor) else pil_to_uint8(image)


def decode_batch(items, device):
    """A collated ``--gpu-decode`` batch (:class:`Encoded` JPEGs and already decoded uint8 crops)
    as one uint8 batch on ``device``, and the indices kept and the messages of the JPEGs the
    device could not decode (left out of the batch: the donkey that drew them cannot redraw)."""
    jpegs = [x for x in items if isinstance(x, Encoded)]
    try:
        decoded = device_jpeg_to_uint8([x.data for x in jpegs], device) if jpegs else []
    except Exception:  # one bad file fails the whole call: find it, one at a time
        decoded = [_decode_one(x, device) for x in jpegs]
    decoded, out, kept, skipped = iter(decoded), [], [], []
    for i, x in enumerate(items):
        image = next(decoded) if isinstance(x, Encoded) else x.to(device, non_blocking=True)
        if isinstance(image, BadImage):
            skipped.append(str(image))
            continue
        out.append(x.crop.apply(image) if isinstance(x, Encoded) else image)
        kept.append(i)
    return (torch.stack(out) if out else None), kept, skipped


def _decode_one(item, device):
    try:
        return device_jpeg_to_uint8(item.data, device)
    except Exception as exc:
        return BadImage(f"{item.path}: {exc}")
