"""Global average pooling at a -cropSize other than the spec's input (enet_port.model.global_pool):
fitted when its window covers the whole feature map at the spec's own input, left alone otherwise."""
import json

import pytest
import torch

from enet_port.errors import SpecError
from enet_port.model.build import build
from enet_port.model.spec import expand, load_spec, output_shape
from conftest import ROOT

V7 = ROOT / "specs" / "v7.json"


def last_pool(model):
    return [m for m in model.modules() if type(m).__name__ == "Torch7AvgPool2d"][-1]


def test_v7_at_128_equals_the_same_weights_with_a_hand_built_4x4_pooling():
    torch.manual_seed(0)
    fitted = build(V7, classes=10, input_shape=(3, 128, 128)).eval()
    written = build(V7, classes=10).eval()  # at the spec's 224: its 7x7 pooling as written
    written.load_state_dict(fitted.state_dict())
    features = written[0]
    assert last_pool(written).kernel_size in ((7, 7), 7) and last_pool(fitted).kernel_size in ((4, 4), 4)
    features[len(features) - 1] = torch.nn.AvgPool2d(4)  # 128 / 32 = 4: the whole last map
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        assert torch.allclose(fitted(x), written(x), atol=1e-6)
    # the 224 model as written does not take 128 crops, as Torch7 would not
    with pytest.raises(RuntimeError):
        build(V7, classes=10)(x)


def spec_file(tmp_path, features, shape=(3, 32, 32)):
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"name": "s", "recipe": "exp-v7", "input": list(shape), "features": features,
                                "classifier": []}))
    return load_spec(path)


CONV = {"nn.SpatialConvolution": [3, 4, 3, 3, 2, 2, 1, 1]}  # 32 -> 16


def test_a_pooling_that_does_not_cover_its_input_is_not_changed(tmp_path):
    spec = spec_file(tmp_path, [CONV, {"nn.SpatialAveragePooling": [4, 4, 4, 4]}])  # 16 -> 4: not global
    tree = expand(spec, input_shape=(3, 64, 64))
    assert tree.fitted_pools == [] and tree.children[1].args == [4, 4, 4, 4]
    assert output_shape(spec, input_shape=(3, 64, 64)) == (4, 8, 8)  # 32 / 4, the window as written


def test_padding_makes_a_pooling_not_global(tmp_path):
    spec = spec_file(tmp_path, [CONV, {"nn.SpatialAveragePooling": [16, 16, 1, 1, 1, 1]}])  # 16+2 -> 3
    assert expand(spec, input_shape=(3, 64, 64)).fitted_pools == []


@pytest.mark.parametrize("args, fitted_args", [
    ([16, 16, 1, 1, 0, 0], [8, 8, 1, 1, 0, 0]),  # stride 1 (the ENet specs) stays 1
    ([16, 16, 16, 16], [8, 8, 8, 8]),  # a stride written equal to the kernel follows it
    ([16, 16], [8, 8]),  # cudnn's default stride is the kernel itself
])
def test_a_global_pooling_takes_the_map_of_another_input(tmp_path, args, fitted_args):
    spec = spec_file(tmp_path, [CONV, {"cudnn.SpatialAveragePooling": args}])
    tree = expand(spec, input_shape=(3, 16, 16))
    assert tree.children[1].args == fitted_args
    assert [(f.kernel, f.fitted) for f in tree.fitted_pools] == [((16, 16), (8, 8))]
    assert output_shape(spec, input_shape=(3, 16, 16)) == (4, 1, 1)
    assert expand(spec).children[1].args == args and expand(spec).fitted_pools == []  # at its own input


def test_only_the_pooling_that_covers_the_map_is_fitted(tmp_path):
    spec = spec_file(tmp_path, [CONV, {"nn.SpatialAveragePooling": [2, 2, 2, 2]},  # 16 -> 8, kept
                                {"nn.SpatialAveragePooling": [8, 8, 1, 1]}])  # 8 -> 1, global
    tree = expand(spec, input_shape=(3, 64, 64))
    assert tree.children[1].args == [2, 2, 2, 2] and tree.children[2].args == [16, 16, 1, 1]
    assert [str(f) for f in tree.fitted_pools] == [f"{spec.path}: features[2]: 8x8 -> 16x16"]


def test_a_crop_too_small_for_the_body_still_fails_naming_the_module(tmp_path):
    spec = spec_file(tmp_path, [CONV, {"nn.SpatialConvolution": [4, 4, 5, 5]},  # needs 5x5 of the map
                                {"nn.SpatialAveragePooling": [12, 12]}])
    with pytest.raises(SpecError, match=r"features\[1\]"):
        expand(spec, input_shape=(3, 6, 6))
