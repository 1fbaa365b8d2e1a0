"""nnx's nn.SpatialNormalization (issue 19): forward values against the nnx Lua pipeline redone
by hand in numpy (SpatialPadding, a one-to-one SpatialConvolutionMap per plane, Sum(1),
Replicate(nf), CDivTable, CSubTable, Square, Sqrt, Threshold), and its shape and MAC rules."""
import math

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from enet_port.cli import main
from enet_port.lua.tracer import trace_lua
from enet_port.model import connection_tables as tables
from enet_port.model.registry import ArgumentError, resolve_args
from enet_port.model.shapes import infer, macs, param_count
from enet_port.model.tree import Node
from test_modules_classic import run

RNG = np.random.default_rng(1919)


def _padding(x, pad_l, pad_r, pad_t, pad_b):
    """nnx SpatialPadding(pad_l, pad_r, pad_t, pad_b) of a C x H x W map (zeros)."""
    c, h, w = x.shape
    out = np.zeros((c, h + pad_t + pad_b, w + pad_l + pad_r))
    out[:, pad_t:pad_t + h, pad_l:pad_l + w] = x
    return out


def _convo_pass(x, ker):
    """One nnx estimator pass: pad, each plane valid-correlated with ker, Sum(1), Replicate(nf)."""
    kh, kw = ker.shape
    pw, ph = kw // 2, kh // 2
    padded = _padding(x, pw, pw - (1 - kw % 2), ph, ph - (1 - kh % 2))
    c, h, w = x.shape
    summed = np.zeros((h, w))
    for plane in range(c):
        for i in range(h):
            for j in range(w):
                summed[i, j] += np.sum(padded[plane, i:i + kh, j:j + kw] * ker)
    return np.repeat(summed[None], c, axis=0)


def _nnx_forward(x, kernels, threshold=None):
    kernels = [np.asarray(k, dtype=np.float64) / np.sum(k) for k in kernels]  # ker:div(ker:sum())

    def convo(y):
        for ker in kernels:
            y = _convo_pass(y, ker)
        return y
    coef = convo(np.ones_like(x))
    zero_mean = x - convo(x) / coef
    std = np.sqrt(convo(zero_mean ** 2)) / coef
    t = threshold if threshold is not None else max(std.mean(), 1e-3)
    return zero_mean / np.where(std > t, std, t)  # nn.Threshold(t, t): x > t keeps x


GAUSS = [[np.exp(-((i - 2) ** 2 + (j - 1) ** 2) / 3.0) for j in range(3)] for i in range(5)]
CASES = {"2-D 5x3": ([GAUSS], None), "2-D even 4x2, fixed threshold": ([[[1, 2], [2, 3], [1, 1], [3, 1]]], 0.4),
         "pair of 1-D (5x1, 1x3)": ([[[1], [3], [5], [3], [1]], [[1, 2, 1]]], None)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_forward_follows_the_nnx_pipeline(case):
    kernels, threshold = CASES[case]
    kernel = kernels[0] if len(kernels) == 1 else kernels
    x = torch.from_numpy(RNG.uniform(-1, 2, (2, 3, 7, 6)))
    x[1] *= 0.001  # a nearly flat sample: its adaptive threshold is the floor 1e-3
    args = [3, kernel] + ([threshold] if threshold is not None else [])
    y, _, node = run("nn.SpatialNormalization", args, x)
    for n in range(2):
        np.testing.assert_allclose(y[n].numpy(), _nnx_forward(x[n].numpy(), kernels, threshold),
                                   rtol=1e-10, atol=1e-12)
    assert param_count(node) == 0


def test_adaptive_threshold_is_per_sample_and_floored():
    x = torch.from_numpy(RNG.uniform(-1, 1, (1, 1, 5, 5)) * 1e-6)  # std far below 1e-3
    y = run("nn.SpatialNormalization", [1, [[1, 1, 1]] * 3], x)[0]
    expected = _nnx_forward(x[0].numpy(), [[[1, 1, 1]] * 3])
    np.testing.assert_allclose(y[0].numpy(), expected, rtol=1e-10)
    assert np.abs(y.numpy()).max() < 1e-2  # divided by 1e-3, not by its own tiny std


def test_shape_macs_and_checks():
    node = Node("nn.SpatialNormalization", [4, [[1, 1, 1], [1, 1, 1]]])
    assert infer(node, (4, 10, 12)) == (4, 10, 12)
    assert macs(node, (4, 10, 12), (4, 10, 12)) == 2 * 4 * 10 * 12 * 6  # convo and convostd, a 2x3 kernel
    pair = Node("nn.SpatialNormalization", [4, [[[1], [1], [1]], [[1, 1, 1]]]])
    assert macs(pair, (4, 10, 12), (4, 10, 12)) == 2 * 4 * 10 * 12 * (3 + 3)
    with pytest.raises(ArgumentError, match="provide kernel"):
        resolve_args(Node("nn.SpatialNormalization", [4]))
    with pytest.raises(ArgumentError, match="2-D"):
        resolve_args(Node("nn.SpatialNormalization", [4, [1, 2, 1]]))
    with pytest.raises(ArgumentError, match="sums to 0"):
        resolve_args(Node("nn.SpatialNormalization", [4, [[1, -1]]]))


DEMO = """require 'nnx'
require 'image'
local model = nn.Sequential()
model:add(nn.SpatialNormalization(1, image.gaussian(3)))
model:add(nn.SpatialNormalization{nInputPlane = 1, kernel = image.gaussian(5), threshold = 0.5})
local kv = image.gaussian1D(5):resize(5, 1)
model:add(nn.SpatialNormalization(1, {kv, kv:t()}))
return model
"""


def _gauss(i, size):  # image.gaussian's formula, sigma 0.25, centred (image/init.lua)
    return math.exp(-((i - (size + 1) / 2) / (0.25 * size)) ** 2 / 2)


def test_the_tracer_reads_the_positional_table_and_pair_forms(tmp_path):
    path = tmp_path / "demo.lua"
    path.write_text(DEMO)
    first, named, pair = trace_lua(path).model.children
    assert first.args == [1, [[pytest.approx(_gauss(i, 3) * _gauss(j, 3)) for j in (1, 2, 3)] for i in (1, 2, 3)]]
    assert named.args[0] == 1 and len(named.args[1]) == 5 and named.args[2] == 0.5
    column = [[pytest.approx(_gauss(i, 5))] for i in range(1, 6)]
    assert pair.args == [1, [column, [[v[0] for v in column]]]]  # {5x1, its transpose 1x5}
    assert infer(pair, (1, 8, 8)) == (1, 8, 8)


def test_diff_compares_kernel_tables(tmp_path):
    """Tables nested two and three deep (a 2-D kernel, a pair) are arguments like any other."""
    path = tmp_path / "demo.lua"
    path.write_text(DEMO)
    spec = tmp_path / "demo.json"
    assert CliRunner().invoke(main, ["import-lua", str(path), "-o", str(spec), "--input", "1x16x16"]).exit_code == 0
    same = CliRunner().invoke(main, ["diff", str(spec), str(path)])
    assert same.exit_code == 0 and "identical" in same.output, same.output
    path.write_text(DEMO.replace("threshold = 0.5", "threshold = 0.4"))
    changed = CliRunner().invoke(main, ["diff", str(spec), str(path)])
    assert changed.exit_code == 1 and "features[1]" in changed.output and "arguments differ" in changed.output


TUTORIAL = """require 'nnx'
local m = nn.Sequential()
m:add(nn.SpatialConvolutionMap(nn.tables.random(3, 16, 1), 5, 5))
m:add(nn.Tanh())
m:add(nn.SpatialConvolutionMap(nn.tables.full(16, 4), 3, 3))
m:add(nn.SpatialConvolutionMap(nn.tables.oneToOne(4), 1, 1))
m:add(nn.SpatialLinear(4, 2))
return m
"""


def test_nn_tables_and_spatial_linear_in_the_tracer(tmp_path):
    path = tmp_path / "tutorial.lua"
    path.write_text(TUTORIAL)
    model = trace_lua(path).model
    random, _, full, one, linear = model.children
    assert full.args[0] == tables.full(16, 4) and one.args[0] == tables.one_to_one(4)
    rows = random.args[0]
    assert [out for _, out in rows] == list(range(1, 17))  # nto = 1: one input plane per output, in order
    for start in (0, 3, 6, 9, 12):  # nin // nto = 3 chunks use up one permutation of the 3 inputs
        assert sorted(src for src, _ in rows[start:start + 3]) == [1, 2, 3]
    assert linear.args == [4, 2]
    assert sum(param_count(c) for c in model.children) == (16 * 25 + 16) + (64 * 9 + 4) + (4 + 4) + (4 * 2 + 2)
