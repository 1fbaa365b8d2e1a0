"""The donkeys: formats that must load, bad files, class balance, the index and mean/std caches."""
import io
import json
from collections import Counter

import pytest
import torch
from PIL import Image

from enet_port.data import dataset as data
from enet_port.data import decode, donkey
from enet_port.errors import DataError


def jpeg(path, size=(48, 40), colour=(200, 30, 30), mode="RGB", fmt="JPEG", **kw):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour if mode == "RGB" else colour[0] if mode in ("L", "P") else (0, 200, 200, 0)).save(
        path, fmt, **kw)
    return path


def test_every_existing_image_kind_loads_as_rgb(tmp_path):
    grey = jpeg(tmp_path / "grey.JPEG", mode="L")
    cmyk = jpeg(tmp_path / "cmyk.JPEG", mode="CMYK")
    palette = jpeg(tmp_path / "palette.png", mode="P", fmt="PNG")
    png_named_jpeg = jpeg(tmp_path / "png.JPEG", fmt="PNG")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    rotated = jpeg(tmp_path / "rotated.JPEG", size=(48, 40), exif=exif.tobytes())
    for path in (grey, cmyk, palette, png_named_jpeg):
        image = decode.load_uint8(path)
        assert image.dtype == torch.uint8 and image.shape == (3, 40, 48)
    assert decode.load_uint8(rotated).shape == (3, 40, 48)  # as stored: Torch7's image.load ignores EXIF
    assert decode.load_uint8(rotated, exif_rotate=True).shape == (3, 48, 40)


@pytest.mark.parametrize("content", [b"", b"this is not an image\n", "truncated"])
def test_undecodable_files_raise_bad_image(tmp_path, content):
    path = tmp_path / "bad.JPEG"
    if content == "truncated":
        buffer = io.BytesIO()
        Image.new("RGB", (64, 64), (1, 2, 3)).save(buffer, "JPEG")
        content = buffer.getvalue()[:300]
    path.write_bytes(content)
    with pytest.raises(donkey.BadImage, match="bad.JPEG"):
        decode.load_uint8(path)


def test_sampler_is_class_balanced_whatever_the_class_sizes():
    groups = [[0], list(range(1, 11)), list(range(11, 111))]
    draws = [i for i, _ in donkey.ClassBalancedSampler(groups, 30000, seed=2, epoch=1)]
    per_class = Counter(0 if i == 0 else 1 if i <= 10 else 2 for i in draws)
    assert all(abs(per_class[c] / 30000 - 1 / 3) < 0.015 for c in range(3))
    in_big_class = Counter(i for i in draws if i > 10)
    assert len(in_big_class) == 100 and max(in_big_class.values()) < 3 * min(in_big_class.values())
    again = list(donkey.ClassBalancedSampler(groups, 50, seed=2, epoch=1))
    assert again == list(donkey.ClassBalancedSampler(groups, 50, seed=2, epoch=1))
    assert again != list(donkey.ClassBalancedSampler(groups, 50, seed=2, epoch=2))


def test_transforms_follow_the_lua_offsets():
    transform = donkey.Transform(40, 32)
    image = torch.zeros(3, 40, 80, dtype=torch.uint8)
    assert donkey.scale_short_side(image, 20).shape == (3, 20, 40)
    rng = __import__("random").Random(0)
    assert transform.train(image, rng).shape == (3, 32, 32)
    assert transform.test(Image.new("RGB", (60, 40))).shape == (3, 32, 32)


def make_tree(root, classes, per_class, val_per_class=1):
    for c in classes:
        for i in range(per_class):
            jpeg(root / "train" / c / f"{i}.JPEG")
        for i in range(val_per_class):
            jpeg(root / "val" / c / f"{i}.JPEG")


def test_index_is_cached_and_rebuilt_for_another_data_path(tmp_path):
    make_tree(tmp_path / "a", ["x", "y"], 2)
    make_tree(tmp_path / "b", ["p", "q", "r"], 1)
    cache = tmp_path / "cache"
    first = data.load_index(tmp_path / "a", cache)
    assert first["classes"] == ["x", "y"] and len(first["train"]) == 4
    second = data.load_index(tmp_path / "b", cache)
    assert second["classes"] == ["p", "q", "r"]
    (cache / "index.json").write_text("{broken")
    assert data.load_index(tmp_path / "b", cache)["classes"] == ["p", "q", "r"]
    jpeg(tmp_path / "b" / "train" / "q" / "new.JPEG")
    assert len(data.load_index(tmp_path / "b", cache)["train"]) == 4  # a new file is seen


def test_scan_errors_name_the_folder(tmp_path):
    make_tree(tmp_path / "d", ["x"], 1)
    (tmp_path / "d" / "train" / "empty").mkdir()
    with pytest.raises(DataError, match=r"train/empty: class has zero samples"):
        data.scan(tmp_path / "d")
    with pytest.raises(DataError, match="no train/ folder"):
        data.scan(tmp_path / "nowhere")


def test_meanstd_cache_depends_on_sizes(tmp_path):
    make_tree(tmp_path / "d", ["x", "y"], 3)
    index = data.load_index(tmp_path / "d", tmp_path / "c")
    mean, std = data.load_meanstd(index, tmp_path / "c", 36, 32, seed=1, workers=0)
    assert mean == pytest.approx([200 / 255, 30 / 255, 30 / 255], abs=0.02) and max(std) < 0.05
    cached = json.loads((tmp_path / "c" / "meanstd.json").read_text())
    assert cached["imageSize"] == 36
    data.load_meanstd(index, tmp_path / "c", 40, 32, seed=1, workers=0)
    assert json.loads((tmp_path / "c" / "meanstd.json").read_text())["imageSize"] == 40
