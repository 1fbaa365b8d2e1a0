"""Segmentation output people can read (issue 22, item 7): the dataset's own colours where the
model's classes are named, a legend, and the colours over the input image."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from enet_port.cli import main
from enet_port.model.build import build
from conftest import ROOT

FIXTURES = ROOT.parent / "shared" / "fixtures" / "torch7"
# cityscapesScripts labels.py, the 19 train ids in order, after ENet-training's 'Unlabeled' (black)
CITYSCAPES_ENET = [(0, 0, 0), (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
                   (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152), (70, 130, 180),
                   (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100), (0, 80, 100), (0, 0, 230),
                   (119, 11, 32)]
# CamVid label_colors.txt in ENet-training's loadCamVid.lua order: Void, Sky, Building, Column-Pole, Road,
# Sidewalk, Tree, Sign-Symbol, Fence, Car, Pedestrian, Bicyclist
CAMVID_ENET = [(0, 0, 0), (128, 128, 128), (128, 0, 0), (192, 192, 128), (128, 64, 128), (0, 0, 192),
               (128, 128, 0), (192, 128, 128), (64, 64, 128), (64, 0, 128), (64, 64, 0), (0, 128, 192)]


def predict(*args):
    result = CliRunner().invoke(main, ["predict", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def outputs(folder, stem):
    read = {k: np.asarray(Image.open(folder / f"{stem}_{k}.png")) for k in ("labels", "color", "legend", "overlay")}
    return read["labels"], read["color"], read["legend"], read["overlay"]


def check_images(labels, colour, legend, overlay, expected, image_path):
    for k in np.unique(labels):
        assert (colour[labels == k] == expected[k]).all(), k
    assert legend.shape[0] == 20 * len(expected) + 4
    for i, rgb in enumerate(expected):  # the middle of each row's swatch
        assert tuple(legend[2 + 20 * i + 10, 12]) == rgb, i
    with Image.open(image_path) as image:
        base = np.asarray(image.convert("RGB").resize((labels.shape[1], labels.shape[0]), Image.BICUBIC), float)
    assert np.abs(overlay - (base + colour) / 2).max() <= 1


@pytest.fixture
def cityscapes():
    if not (FIXTURES / "enet-cityscapes.net").is_file():
        pytest.skip(f"the Torch7 fixtures are not at {FIXTURES} (the shared/ folder beside the checkout)")
    return FIXTURES / "enet-cityscapes.net", FIXTURES / "frankfurt_000000_001236_leftImg8bit.png"


def test_a_cityscapes_enet_gets_the_cityscapes_colours_legend_and_overlay(cityscapes, tmp_path):
    model, image = cityscapes
    predict(model, image, "--size", "640x320", "-o", tmp_path, "--classes", "cityscapes")
    labels, colour, legend, overlay = outputs(tmp_path, image.stem)
    check_images(labels, colour, legend, overlay, CITYSCAPES_ENET, image)
    assert (colour[220:270, 220:420] == (128, 64, 128)).all(-1).mean() > 0.8  # the road ahead, in road's purple


@pytest.fixture
def own_model(tmp_path):
    """A 1x1 convolution to 12 classes: a segmentation model of our own, with its weights."""
    spec = tmp_path / "seg.json"
    spec.write_text(json.dumps({"name": "seg", "recipe": "regimes-55", "input": [3, 8, 8],
                                "features": [{"nn.SpatialConvolution": [3, 12, 1, 1]}], "classifier": []}))
    torch.manual_seed(0)
    torch.save({"model": build(spec).state_dict()}, spec.with_suffix(".pt"))
    image = tmp_path / "in.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(image)
    return spec, image


def test_own_model_camvid_names_and_a_names_file(own_model, tmp_path):
    spec, image = own_model
    predict(spec, image, "-o", tmp_path / "camvid", "--classes", "camvid")
    check_images(*outputs(tmp_path / "camvid", "in"), CAMVID_ENET, image)
    names = tmp_path / "names.txt"
    names.write_text("Road\nSky\nCar\nPerson\n" + "".join(f"thing {i}\n" for i in range(8)))
    predict(spec, image, "-o", tmp_path / "named", "--classes", names)
    # four Cityscapes names of twelve (CamVid has three of them): not half, so the generic colours
    generic = [((i & 1) * 128 + (i >> 3 & 1) * 64, (i >> 1 & 1) * 128, (i >> 2 & 1) * 128) for i in range(12)]
    check_images(*outputs(tmp_path / "named", "in"), generic, image)
    wrong = CliRunner().invoke(main, ["predict", str(spec), str(image), "-o", str(tmp_path), "--classes", "cityscapes"])
    assert wrong.exit_code == 2 and "ENet-training's models have 20 classes (19 without the first" in wrong.stderr


def test_a_names_file_mostly_cityscapes_takes_its_colours(own_model, tmp_path):
    spec, image = own_model
    names = ["road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "vegetation", "sky",
             "person", "car", "mine"]
    Path(tmp_path / "names.txt").write_text("\n".join(names))
    predict(spec, image, "-o", tmp_path, "--classes", tmp_path / "names.txt")
    expected = [CITYSCAPES_ENET[i] for i in (1, 2, 3, 4, 5, 6, 7, 9, 11, 12, 14)] + [(192, 128, 0)]  # 11 = 0b1011
    check_images(*outputs(tmp_path, "in"), expected, image)
