"""The uint8 decode path: the values reaching the network against the float path (PIL decode,
PIL bilinear scaling, [0, 1] floats, (x - mean) / std in the donkey), odd files, absurd sizes and
16-bit images."""
import io
import math
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import simplejpeg
import torch
from PIL import Image

from enet_port.data import decode, donkey, feed
from enet_port.train.train import Device
from conftest import ROOT

MEAN, STD = [0.48, 0.45, 0.40], [0.23, 0.22, 0.21]
CPU = Device(torch.device("cpu"))


def float_path_train(path, size, crop, seed):
    """What reached the network before: PIL decode, PIL BILINEAR to the short side, Lua's offsets,
    [0, 1] floats, flip, (x - mean) / std."""
    image = Image.open(path).convert("RGB")
    w, h = image.size
    new = (size, int(h * size / w)) if w <= h else (int(w * size / h), size)
    image = image.resize(new, Image.BILINEAR) if new != (w, h) else image
    rng = random.Random(seed)
    y = math.ceil(rng.uniform(1e-2, new[1] - crop)) if new[1] > crop else 0  # donkey.lua: h1 first
    x = math.ceil(rng.uniform(1e-2, new[0] - crop)) if new[0] > crop else 0
    out = torch.from_numpy(np.asarray(image.crop((x, y, x + crop, y + crop))).copy()).permute(2, 0, 1).float() / 255
    if rng.random() > 0.5:
        out = out.flip(2)
    return (out - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)


def uint8_path_train(path, size, crop, seed):
    transform = donkey.Transform(size, crop, MEAN, STD)
    x = donkey.collate([(transform.train(decode.load_uint8(path), random.Random(seed), str(path)), 0, [])])[0]
    assert x.dtype == torch.uint8
    return feed.normaliser(transform, "cpu")(x)[0]


def photo(tmp_path, size, name="photo.JPEG"):
    """A smooth, noisy picture as a JPEG of ``size``."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) % 256], 2)
    rgb = (rgb + np.random.default_rng(0).integers(0, 40, rgb.shape)).clip(0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / name, "JPEG", quality=90)
    return tmp_path / name


def test_network_sees_the_float_path_values_without_scaling(tmp_path):
    path = photo(tmp_path, (300, 256))  # short side already imageSize: decode, crop, flip only
    for seed in range(6):
        torch.testing.assert_close(uint8_path_train(path, 256, 224, seed), float_path_train(path, 256, 224, seed),
                                   rtol=0, atol=1e-5)


@pytest.mark.parametrize("size", [(500, 375), (224, 224), (375, 500)])
def test_network_sees_the_float_path_values_within_one_grey_level_when_scaled(tmp_path, size):
    path = photo(tmp_path, size)
    for seed in range(3):
        got, want = uint8_path_train(path, 256, 224, seed), float_path_train(path, 256, 224, seed)
        levels = (got - want) * torch.tensor(STD).view(3, 1, 1) * 255
        assert levels.abs().max() <= 1 + 1e-3 and levels.abs().mean() < 0.05


def test_real_photos_decode_to_pils_pixels(imagenette):
    for path in sorted(Path(imagenette).glob("train/*/*.JPEG"))[::80]:
        want = torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy()).permute(2, 0, 1)
        assert torch.equal(decode.load_uint8(path), want), path


def test_fast_path_reads_grey_jpeg_as_pil_does(tmp_path):
    Image.fromarray(np.arange(64 * 48, dtype=np.uint8).reshape(48, 64) % 251).save(tmp_path / "g.JPEG", "JPEG")
    want = np.asarray(Image.open(tmp_path / "g.JPEG").convert("RGB"))
    assert torch.equal(decode.load_uint8(tmp_path / "g.JPEG").permute(1, 2, 0), torch.from_numpy(want.copy()))


def test_cmyk_jpeg_reads_as_pil_converts_it(tmp_path):
    """CMYK JPEGs go to PIL: libjpeg-turbo's own CMYK->RGB differs from PIL's (by 2 levels on 70%
    of these values), and Torch7 read them through PIL's rules too (the float path)."""
    pixels = np.random.default_rng(0).integers(0, 255, (40, 48, 4)).astype(np.uint8)
    Image.fromarray(pixels, "CMYK").save(tmp_path / "cmyk.JPEG", "JPEG", quality=90)
    want = np.asarray(Image.open(tmp_path / "cmyk.JPEG").convert("RGB"))
    assert torch.equal(decode.load_uint8(tmp_path / "cmyk.JPEG").permute(1, 2, 0), torch.from_numpy(want.copy()))


def png(width, height, depth=8, colour=0, rows=None, stored_rows=None):
    """A PNG written by hand (zlib), so that absurd sizes cost a few bytes; ``stored_rows``: how
    many rows the data really holds (the header alone decides the size checks)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = rows if rows is not None else b"\x00" * (width * depth // 8)
    raw = zlib.compress(b"".join(b"\x00" + row for _ in range(height if stored_rows is None else stored_rows)))
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(1, 20000), (200000, 1), (3, 400)])
def test_absurd_aspect_ratios_are_unreadable_before_decoding(tmp_path, size):
    path = tmp_path / "thin.png"
    path.write_bytes(png(*size))
    with pytest.raises(decode.BadImage, match=r"thin.png: .*aspect ratio above 50:1"):
        decode.load_uint8(path)


def test_a_scaled_size_above_the_limit_is_unreadable():
    with pytest.raises(decode.BadImage, match=r"big.png: 200x100 would scale to 20000x10000"):
        donkey.Transform(10000, 224).train(torch.zeros(3, 100, 200, dtype=torch.uint8), random.Random(0), "big.png")


def test_decompression_bomb_guard_stays_on(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png(20000, 10000, stored_rows=1))  # 2e8 pixels, over twice PIL's MAX_IMAGE_PIXELS
    with pytest.raises(decode.BadImage, match="bomb.png: .*decompression bomb"):
        decode.load_uint8(path)


def jpeg_claiming(tmp_path, width, height):
    """A small JPEG whose frame header (SOF0) is rewritten to claim ``width`` x ``height``: the
    size checks must refuse it from the header, before libjpeg-turbo allocates or decodes."""
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (9, 8, 7)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")  # marker, length (2), precision (1), height (2), width (2)
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    path = tmp_path / "claims.JPEG"
    path.write_bytes(bytes(data))
    return path


def test_jpeg_bomb_is_refused_from_its_header(tmp_path):
    pixels = 2 * Image.MAX_IMAGE_PIXELS + 1  # PIL's DecompressionBombError threshold, as PIL reads it
    path = jpeg_claiming(tmp_path, 20000, pixels // 20000 + 1)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)
    with pytest.raises(decode.BadImage, match=r"claims.JPEG: 20000x\d+ .*decompression bomb"):
        decode.load_uint8(path)


def test_jpeg_absurd_aspect_is_refused_from_its_header(tmp_path):
    with pytest.raises(decode.BadImage, match=r"claims.JPEG: 16x60000 has an aspect ratio above 50:1"):
        decode.load_uint8(jpeg_claiming(tmp_path, 16, 60000))


def test_gpu_decode_keeps_pils_refusals(tmp_path):
    """--gpu-decode hands JPEG bytes to nvJPEG later, so the donkey reads the header with PIL,
    which refuses a 12-bit frame that libjpeg-turbo's header reader would pass (the batch could
    only drop it, not redraw it)."""
    path = jpeg_claiming(tmp_path, 16, 16)
    data = bytearray(path.read_bytes())
    data[data.index(b"\xff\xc0") + 4] = 12  # the frame's sample precision
    path.write_bytes(bytes(data))
    assert simplejpeg.decode_jpeg_header(bytes(data))[:2] == (16, 16)
    for encoded in (False, True):
        with pytest.raises(decode.BadImage, match="claims.JPEG"):
            decode.load_uint8(path, encoded=encoded)


def damaged_jpegs(good):
    """Damage as files in the wild have it: stray bytes before the end marker, flipped bits in the
    scan, a cut; ``good`` is a JPEG's bytes."""
    flipped = bytearray(good)
    for k in (len(good) // 3, len(good) // 2, 2 * len(good) // 3):
        flipped[k] ^= 0x10
    return {"stray.JPEG": good[:-2] + b"\x12\x34\x56\x78" + good[-2:], "flipped.JPEG": bytes(flipped),
            "short.JPEG": good[:len(good) * 2 // 3], "noend.JPEG": good[:-2]}


@pytest.mark.parametrize("size", [(96, 64), (500, 375)])
def test_damaged_jpegs_are_read_or_refused_as_pil_does(tmp_path, size):
    """libjpeg-turbo warns about all four; PIL (and Torch7's image.load, which overrides only
    libjpeg's error_exit) reads the stray bytes and flipped bits and refuses the cut files. The
    decoder must decide as PIL does, and read PIL's pixels."""
    read = set()
    for name, data in damaged_jpegs(photo(tmp_path, size).read_bytes()).items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError):  # libjpeg-turbo warns about each
            simplejpeg.decode_jpeg(data, strict=True)
        try:
            want = torch.from_numpy(np.asarray(Image.open(tmp_path / name).convert("RGB")).copy()).permute(2, 0, 1)
        except OSError:
            with pytest.raises(decode.BadImage, match=name):
                decode.load_uint8(tmp_path / name)
            continue
        assert torch.equal(decode.load_uint8(tmp_path / name), want), name
        read.add(name)
    assert read == {"stray.JPEG", "flipped.JPEG"}


def test_sixteen_bit_grey_keeps_its_top_eight_bits(tmp_path):
    path = tmp_path / "deep.png"
    values = [0, 257, 40000, 65535]  # big-endian 16-bit samples
    path.write_bytes(png(4, 2, depth=16, rows=b"".join(struct.pack(">H", v) for v in values)))
    image = decode.load_uint8(path)
    assert image.shape == (3, 2, 4)
    assert image[:, 0].tolist() == [[v >> 8 for v in values]] * 3  # 40000 -> 156, not 255


def test_sixteen_bit_rgb_matches_pils_eight_bit_reading(tmp_path):
    path = tmp_path / "rgb16.png"
    path.write_bytes(png(2, 1, depth=16, colour=2, rows=struct.pack(">6H", 0, 40000, 65535, 512, 256, 255)))
    assert decode.load_uint8(path)[:, 0].T.tolist() == [[0, 156, 255], [2, 1, 0]]


def test_device_feed_moves_normalises_and_keeps_float_batches(tmp_path):
    x = torch.tensor([0, 255], dtype=torch.uint8).view(1, 1, 1, 2).expand(2, 3, 1, 2).contiguous()
    dev = Device(torch.device("cpu"), channels_last=True)
    normalise = feed.Normalise(MEAN, STD, "cpu")
    [(got, y, bad)] = list(feed.DeviceFeed([(x, torch.tensor([1, 2]), ["b"])], dev, normalise))
    want = (torch.tensor([0.0, 1.0]).view(1, 1, 1, 2) - torch.tensor(MEAN).view(1, 3, 1, 1)) / \
        torch.tensor(STD).view(1, 3, 1, 1)
    torch.testing.assert_close(got, want.expand(2, 3, 1, 2))
    assert got.is_contiguous(memory_format=torch.channels_last) and bad == ["b"] and y.tolist() == [1, 2]
    floats = torch.randn(2, 3, 4, 4)
    assert torch.equal(normalise(floats), floats)
    assert list(feed.DeviceFeed([(None, None, ["c"])], CPU, normalise)) == [(None, None, ["c"])]


def test_gpu_decode_batches_equal_the_donkey_batches(tmp_path):
    """--gpu-decode's path run on the CPU: the donkey draws the crop from the header, the feed
    decodes the batch; a PNG named .JPEG is decoded in the donkey; a truncated JPEG is left out."""
    paths = [photo(tmp_path, (300, 260), "a.JPEG"), photo(tmp_path, (260, 400), "b.JPEG")]
    Image.open(paths[0]).save(tmp_path / "png.JPEG", "PNG")
    (tmp_path / "cut.JPEG").write_bytes(paths[1].read_bytes()[:2000])
    items = [[str(p), i] for i, p in enumerate(paths + [tmp_path / "png.JPEG", tmp_path / "cut.JPEG"])]
    transform = donkey.Transform(256, 224, MEAN, STD)
    normalise = feed.normaliser(transform, "cpu")

    def batch(gpu_decode):
        test_set = donkey.TestSet(items, transform, gpu_decode=gpu_decode)
        [got] = list(feed.DeviceFeed(donkey.loader(test_set, 4, 0), CPU, normalise))
        return got

    (x, y, bad), (gx, gy, gbad) = batch(False), batch(True)
    assert y.tolist() == gy.tolist() == [0, 1, 2] and len(bad) == len(gbad) == 1 and "cut.JPEG" in gbad[0]
    assert torch.equal(x, gx)
    train_set = donkey.TrainSet(items[:3], [[0, 1, 2]], transform, gpu_decode=True)
    x = feed.DeviceFeed(donkey.loader(train_set, 3, 0, [(0, 7), (1, 8), (2, 9)]), CPU, normalise)
    want = torch.stack([uint8_path_train(items[i][0], 256, 224, seed) for i, seed in ((0, 7), (1, 8), (2, 9))])
    assert torch.equal(next(iter(x))[0], want)


def test_gpu_decode_is_refused_on_the_cpu(tmp_path):
    from click.testing import CliRunner
    from enet_port.cli import main
    result = CliRunner().invoke(main, ["train", str(ROOT / "tests" / "specs" / "tiny.json"), "--device", "cpu",
                                       "--gpu-decode", "-data", str(tmp_path), "-cache", str(tmp_path)])
    assert result.exit_code == 2 and result.stderr.strip() == ("enet-port: --gpu-decode: needs a CUDA device (it "
                                                               "decodes with nvJPEG); this run is on the CPU")
