"""The early Torch7 modules (issue 19 item 9): forward values from Torch7's formulas, computed
here with numpy loops as THNN's C loops do them, shape rule == built layer, parameter counts,
MACs, the connection tables of ``nn.tables`` and Torch7's initialisation bounds."""
import math

import numpy as np
import pytest
import torch

from enet_port.model import connection_tables as tables
from enet_port.model.build import build_node
from enet_port.model.registry import ArgumentError, resolve_args
from enet_port.model.shapes import ShapeError, infer, macs, param_count
from enet_port.model.tree import Node
from test_modules_torch7 import _sample_shape

RNG = np.random.default_rng(19)


def run(name, args, x, children=()):
    """Build ``name(args)`` in float64, run it on the batched ``x`` in eval mode, and check that
    the Torch7 shape rule predicts the output's per-sample shape."""
    node = Node(name, list(args), children=list(children))
    module = build_node(node).double().eval()
    with torch.no_grad():
        y = module(x)
    assert _sample_shape(y) == infer(node, _sample_shape(x)), name
    return y, module, node


def rand(*shape, low=-1.0):
    return torch.from_numpy(RNG.uniform(low, 1.0, shape))


def test_square_sqrt_abs_power():
    x = torch.tensor([[0.25, 4.0, 9.0, 2.0]], dtype=torch.float64)
    assert run("nn.Square", [], -x)[0].tolist() == [[0.0625, 16.0, 81.0, 4.0]]
    assert run("nn.Sqrt", [1e-3], x)[0].tolist() == [[0.5, 2.0, 3.0, math.sqrt(2)]]  # THNN ignores eps here
    assert run("nn.Abs", [], -x)[0].tolist() == x.tolist()
    assert run("nn.Power", [3], x)[0][0].tolist() == pytest.approx([v ** 3 for v in x[0].tolist()])
    with pytest.raises(ArgumentError, match="pow"):
        resolve_args(Node("nn.Power", []))  # Power.lua: error without p


def _windows(plane, kh, kw, dh, dw):
    rows, cols = (plane.shape[0] - kh) // dh + 1, (plane.shape[1] - kw) // dw + 1
    for i in range(rows):
        for j in range(cols):
            yield i, j, plane[i * dh:i * dh + kh, j * dw:j * dw + kw]


def test_spatial_subsampling_is_weight_times_the_window_sum_plus_bias():
    x = rand(2, 3, 7, 6)
    y, module, node = run("nn.SpatialSubSampling", [3, 3, 2, 2, 1], x)  # kW 3, kH 2, dW 2, dH 1
    w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
    expected = np.zeros((2, 3, 6, 2))
    for n in range(2):
        for c in range(3):
            for i, j, window in _windows(x[n, c].numpy(), 2, 3, 1, 2):
                expected[n, c, i, j] = b[c] + w[c] * window.sum()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    assert param_count(node) == 6 and macs(node, (3, 7, 6), (3, 6, 2)) == 3 * 6 * 2 * 6
    assert float(module.weight.detach().abs().max()) <= 1 / math.sqrt(6)  # reset(): U(+-1/sqrt(kW*kH))


def test_connection_tables_follow_the_lua_loops():
    assert tables.full(2, 3) == [[1, 1], [2, 1], [1, 2], [2, 2], [1, 3], [2, 3]]
    assert tables.one_to_one(3) == [[1, 1], [2, 2], [3, 3]]
    table = tables.random(6, 4, 2, torch.Generator().manual_seed(0))
    assert [o for _, o in table] == [1, 1, 2, 2, 3, 3, 4, 4]
    first_three = sorted(i for i, o in table if o <= 3)  # 6 // 2 = 3 chunks of one permutation
    assert first_three == [1, 2, 3, 4, 5, 6] and table[6][0] != table[7][0]


def test_spatial_convolution_map_sums_a_cross_correlation_per_connection():
    table = [[1, 1], [2, 1], [2, 2], [3, 2], [1, 3], [1, 3]]  # input 1 feeds output 3 twice
    x = rand(2, 3, 6, 7)
    y, module, node = run("nn.SpatialConvolutionMap", [table, 3, 2, 2, 1], x)
    w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
    expected = np.zeros((2, 3, 5, 3))
    for n in range(2):
        expected[n] += b[:, None, None]
        for k, (i, o) in enumerate(table):
            for r, c, window in _windows(x[n, i - 1].numpy(), 2, 3, 1, 2):
                expected[n, o - 1, r, c] += (window * w[k]).sum()
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    assert param_count(node) == 6 * 2 * 3 + 3 and macs(node, (3, 6, 7), (3, 5, 3)) == 6 * 5 * 3 * 6
    # reset(): each kernel ~ U(+-1/sqrt(kW*kH*connections of its output plane)); output 1 has 2
    assert float(module.weight[0].detach().abs().max()) <= 1 / math.sqrt(6 * 2)


def test_a_full_connection_map_is_a_convolution():
    x = rand(1, 2, 5, 5)
    y, module, node = run("nn.SpatialConvolutionMap", [tables.full(2, 3), 3, 3], x)
    weight = module.weight.detach().reshape(3, 2, 3, 3)  # full(): rows output by output
    conv = torch.nn.functional.conv2d(x, weight, module.bias.detach())
    torch.testing.assert_close(y, conv)
    assert infer(node, (2, 5, 5)) == (3, 3, 3)
    with pytest.raises(ShapeError, match="2 input planes"):
        infer(node, (4, 5, 5))


def test_connection_table_must_be_pairs():
    with pytest.raises(ArgumentError, match="connTable"):
        resolve_args(Node("nn.SpatialConvolutionMap", [[[1, 0]], 3, 3]))


@pytest.mark.parametrize("p", [2, 3])
def test_lp_pooling_is_the_p_root_of_the_window_mean_of_powers(p):
    x = rand(1, 2, 6, 6, low=0.0)
    y, _, node = run("nn.SpatialLPPooling", [2, p, 2, 3], x)  # kW 2, kH 3, strides = kernel
    expected = np.zeros((1, 2, 2, 3))
    for c in range(2):
        for i, j, window in _windows(x[0, c].numpy(), 3, 2, 3, 2):
            expected[0, c, i, j] = (window ** p).mean() ** (1 / p)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    assert param_count(node) == 0


def test_linear_no_bias():
    x = rand(2, 4)
    y, module, node = run("nn.LinearNoBias", [4, 3], x)
    np.testing.assert_allclose(y.numpy(), x.numpy() @ module.weight.detach().numpy().T, rtol=1e-12)
    assert module.bias is None and param_count(node) == 12 and macs(node, (4,), (3,)) == 12


def test_temporal_convolution_reads_kw_frames_frame_by_frame():
    x = rand(2, 9, 4)  # N x T x F
    y, module, node = run("nn.TemporalConvolution", [4, 5, 3, 2], x)
    w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
    assert w.shape == (5, 12)
    expected = np.zeros((2, 4, 5))
    for n in range(2):
        for t in range(4):
            for o in range(5):
                expected[n, t, o] = b[o] + sum(w[o, k * 4 + c] * x[n, t * 2 + k, c].item()
                                               for k in range(3) for c in range(4))
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    assert param_count(node) == 5 * 12 + 5 and macs(node, (9, 4), (4, 5)) == 4 * 5 * 12
    with pytest.raises(ShapeError, match="frames of 4"):
        infer(node, (9, 3))


def test_temporal_max_pooling():
    x = rand(1, 7, 3)
    y, _, node = run("nn.TemporalMaxPooling", [3], x)  # dW = kW
    expected = [[max(x[0, t * 3 + k, c].item() for k in range(3)) for c in range(3)] for t in range(2)]
    assert y[0].tolist() == expected and infer(node, (7, 3)) == (2, 3)


def test_split_table_then_join_table_in_a_sequence():
    x = rand(2, 3, 4)
    split = Node("nn.SplitTable", [1, 2])  # nInputDims 2: the samples are T x F, the input is batched
    join = Node("nn.JoinTable", [1, 1])
    y, _, node = run("nn.Sequential", [], x, children=[split, join])
    torch.testing.assert_close(y, x.reshape(2, 12))
    assert infer(split, (3, 4)) == [(4,)] * 3
    with pytest.raises(ShapeError, match="batch"):
        infer(Node("nn.SplitTable", [1]), (3, 4))  # without nInputDims, dim 1 is the batch


def test_spatial_classifier_classifies_every_pixel():
    x = rand(2, 3, 4, 5)
    y, module, node = run("nn.SpatialClassifier", [], x, children=[Node("nn.Linear", [3, 2])])
    w, b = module[0].weight.detach().numpy(), module[0].bias.detach().numpy()
    expected = np.einsum("ok,nkhw->nohw", w, x.numpy()) + b[None, :, None, None]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)


# the local normalisations, as torch/nn builds them from modules ---------------------------------
def _xcorr_valid(plane, kernel):
    kh, kw = kernel.shape
    return np.array([[(plane[i:i + kh, j:j + kw] * kernel).sum() for j in range(plane.shape[1] - kw + 1)]
                     for i in range(plane.shape[0] - kh + 1)])


def _estimator(x, kernel, planes):
    """meanestimator/stdestimator of one C x H x W sample: SpatialZeroPadding, then (2-D kernel)
    SpatialConvolution(C, 1) with kernel / (sum * C) for every plane, or (1-D kernel) a one-to-one
    SpatialConvolutionMap across and a SpatialConvolution(C, 1) down, each with
    kernel / (sum * sqrt(C)); then Replicate to C planes."""
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim == 2:
        k = kernel / (kernel.sum() * planes)
        padded = np.pad(x, ((0, 0), (k.shape[0] // 2,) * 2, (k.shape[1] // 2,) * 2))
        total = sum(_xcorr_valid(padded[c], k) for c in range(planes))
    else:
        k = kernel / (kernel.sum() * math.sqrt(planes))
        padded = np.pad(x, ((0, 0), (len(k) // 2,) * 2, (len(k) // 2,) * 2))
        across = [_xcorr_valid(padded[c], k[None, :]) for c in range(planes)]
        total = sum(_xcorr_valid(across[c], k[:, None]) for c in range(planes))
    return np.repeat(total[None], planes, axis=0)


def _subtractive(x, kernel):
    coef = _estimator(np.ones_like(x), kernel, x.shape[0])
    return x - _estimator(x, kernel, x.shape[0]) / coef


def _divisive(x, kernel, threshold, thresval):
    coef = _estimator(np.ones_like(x), kernel, x.shape[0])
    std = np.sqrt(_estimator(x ** 2, kernel, x.shape[0])) / coef
    return x / np.where(std > threshold, std, thresval)


# float32 values, as a torch.FloatTensor kernel holds them (the built module keeps them so too)
GAUSS_1D = [float(np.float32(math.exp(-((i - 2) / 1.5) ** 2))) for i in range(5)]
KERNELS = {"2-D": [[float(np.float32(a * b)) for b in GAUSS_1D[1:4]] for a in GAUSS_1D], "1-D": GAUSS_1D}


@pytest.mark.parametrize("kind", sorted(KERNELS))
def test_local_normalisations_follow_the_torch7_module_pipeline(kind):
    kernel = KERNELS[kind]
    x = rand(2, 3, 6, 7) * 3
    sub, _, node = run("nn.SpatialSubtractiveNormalization", [3, kernel], x)
    div = run("nn.SpatialDivisiveNormalization", [3, kernel, 0.4, 0.3], x)[0]
    con = run("nn.SpatialContrastiveNormalization", [3, kernel, 0.4], x)[0]  # thresval = threshold
    for n in range(2):
        sample = x[n].numpy()
        np.testing.assert_allclose(sub[n].numpy(), _subtractive(sample, kernel), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(div[n].numpy(), _divisive(sample, kernel, 0.4, 0.3), rtol=1e-10)
        np.testing.assert_allclose(con[n].numpy(), _divisive(_subtractive(sample, kernel), kernel, 0.4, 0.4),
                                   rtol=1e-10, atol=1e-12)
    assert param_count(node) == 0


def test_normalisation_defaults_and_checks():
    x = rand(1, 1, 10, 10)
    y = run("nn.SpatialContrastiveNormalization", [], x)[0]  # nInputPlane 1, ones(9, 9), 1e-4
    expected = _divisive(_subtractive(x[0].numpy(), np.ones((9, 9))), np.ones((9, 9)), 1e-4, 1e-4)
    np.testing.assert_allclose(y[0].numpy(), expected, rtol=1e-10, atol=1e-12)
    with pytest.raises(ArgumentError, match="ODD"):
        resolve_args(Node("nn.SpatialSubtractiveNormalization", [1, [1, 1, 1, 1]]))
    with pytest.raises(ShapeError, match="3 input planes"):
        infer(Node("nn.SpatialDivisiveNormalization", [3]), (2, 9, 9))
