"""SpatialConvolutionLocal, the adaptive poolings and TemporalSubSampling (issue 19 round two):
forward values from THNN's rules written here as numpy loops, torch/nn's weight layouts and
defaults, parameter counts by hand; SpatialFractionalMaxPooling refused in one line."""
import itertools
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from enet_port.lua.tracer import LuaError, trace_lua
from enet_port.model.build import build_node
from enet_port.model.registry import ArgumentError, resolve_args
from enet_port.model.shapes import ShapeError, infer, param_count, param_tensors
from enet_port.model.tree import Node
from enet_port.t7.load import import_t7
from enet_port.t7.reader import T7Error
from test_modules_classic import rand, run

sys.path.insert(0, str(Path(__file__).parent))
from t7writer import dumps  # noqa: E402
from test_t7_fields import m  # noqa: E402


def test_convolution_local_has_kernels_per_position():
    x = rand(2, 2, 5, 4)
    # nIn 2, nOut 3, iW 4, iH 5, kW 2, kH 3, dW 1, dH 2, padW 1 (padH = padW)
    y, module, node = run("nn.SpatialConvolutionLocal", [2, 3, 4, 5, 2, 3, 1, 2, 1], x)
    w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
    oh, ow = (5 + 2 - 3) // 2 + 1, (4 + 2 - 2) // 1 + 1
    assert w.shape == (oh, ow, 3, 2, 3, 2) and b.shape == (3, oh, ow)  # as SpatialConvolutionLocal.lua stores them
    assert param_tensors(node) == {"weight": [oh, ow, 3, 2, 3, 2], "bias": [3, oh, ow]}  # the record's too
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros((2, 3, oh, ow))
    for n, o, i, j in itertools.product(range(2), range(3), range(oh), range(ow)):
        expected[n, o, i, j] = b[o, i, j] + (w[i, j, o] * padded[n, :, 2 * i:2 * i + 3, j:j + 2]).sum()
    np.testing.assert_allclose(y.numpy(), expected)
    assert param_count(node) == oh * ow * 3 * 2 * 3 * 2 + 3 * oh * ow == 3 * 5 * (36 + 3)
    with pytest.raises(ShapeError, match="expects 2x5x4"):
        infer(node, (2, 6, 4))  # its weights are per position: checkInputSize
    with pytest.raises(ArgumentError, match="less than 1"):
        resolve_args(Node("nn.SpatialConvolutionLocal", [2, 3, 2, 2, 3, 3]))


def test_adaptive_poolings_cover_thnns_windows():
    x = rand(1, 2, 5, 7)
    for name, reduce in (("nn.SpatialAdaptiveMaxPooling", np.max), ("nn.SpatialAdaptiveAveragePooling", np.mean)):
        y = run(name, [3, 2], x)[0].numpy()  # W 3, H 2
        assert y.shape == (1, 2, 2, 3)
        for c, i, j in itertools.product(range(2), range(2), range(3)):
            rows = slice(math.floor(i * 5 / 2), math.ceil((i + 1) * 5 / 2))
            cols = slice(math.floor(j * 7 / 3), math.ceil((j + 1) * 7 / 3))
            assert y[0, c, i, j] == pytest.approx(reduce(x.numpy()[0, c, rows, cols]))


def test_temporal_subsampling_weighs_the_window_sum_per_feature():
    x = rand(2, 7, 3)
    y, module, node = run("nn.TemporalSubSampling", [3, 3, 2], x)
    w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
    expected = np.stack([x.numpy()[:, 2 * t:2 * t + 3].sum(1) * w + b for t in range(3)], 1)
    np.testing.assert_allclose(y.numpy(), expected)
    assert param_count(node) == 6 and np.abs(w).max() <= 1 / math.sqrt(3)


def test_fractional_max_pooling_is_refused_in_one_line(tmp_path):
    lua = tmp_path / "net.lua"
    lua.write_text("require 'nn'\nlocal net = nn.Sequential()\n"
                   "net:add(nn.SpatialFractionalMaxPooling(2, 2, 0.5, 0.5))\n"
                   "return net\n")
    with pytest.raises(LuaError) as exc:
        trace_lua(lua)
    assert exc.value.where == f"{lua}:3" and "drawn at random" in exc.value.message
    path = tmp_path / "frac.t7"
    path.write_bytes(dumps(m("nn.Sequential", modules=[m("nn.SpatialFractionalMaxPooling", poolSizeW=2, poolSizeH=2,
                                                         ratioW=0.5, ratioH=0.5, newRandomPool=False)])))
    with pytest.raises(T7Error, match=r"modules\[1\].*SpatialFractionalMaxPooling is not supported.*random") as exc:
        import_t7(path, (1, 8, 8))
    assert "\n" not in str(exc.value)


def test_dilated_max_pooling_takes_taps_dilation_apart():
    x = rand(1, 2, 7, 8)
    # kW 2, kH 3, dW 2, dH 1, no pads, dilationW 3, dilationH 2: spans 4 wide and 5 high
    node = Node("nn.SpatialDilatedMaxPooling", [2, 3, 2, 1, 0, 0, 3, 2], modifiers=[("ceil",)])
    with torch.no_grad():
        y = build_node(node).double()(x)
    # ceil: W (8 - 4) / 2 -> 3 windows; H (7 - 5) / 1 -> 3; THNN keeps no window past the input here
    assert y.shape == (1,) + infer(node, (2, 7, 8)) == (1, 2, 3, 3)
    expected = np.zeros((2, 3, 3))
    for c, i, j in itertools.product(range(2), range(3), range(3)):
        expected[c, i, j] = x.numpy()[0, c, i:i + 5:2, 2 * j:2 * j + 4:3].max()
    np.testing.assert_allclose(y.numpy()[0], expected)
    # span 3, stride 9 on 8: ceil(5 / 9) + 1 = 2 windows, the second starting at 9, past the input;
    # without pads THNN keeps it, as SpatialMaxPooling's: -inf (PyTorch alone gives 1)
    node = Node("nn.SpatialDilatedMaxPooling", [2, 2, 9, 9, 0, 0, 2, 2], modifiers=[("ceil",)])
    with torch.no_grad():
        y = build_node(node).double()(rand(1, 1, 8, 8))
    assert y.shape == (1, 1) + infer(node, (1, 8, 8))[1:] == (1, 1, 2, 2) and torch.isinf(y[0, 0, 1, 1])


def test_cudnn_clipped_relu():
    x = torch.tensor([[-2.0, 0.5, 3.0, 9.0]], dtype=torch.float64)
    assert run("cudnn.ClippedReLU", [6], x)[0].tolist() == [[0.0, 0.5, 3.0, 6.0]]
    with pytest.raises(ArgumentError, match="ceiling"):
        resolve_args(Node("cudnn.ClippedReLU", [0]))
