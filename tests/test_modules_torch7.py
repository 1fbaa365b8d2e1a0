"""The Torch7 module records added for real model files: forward values from the Torch7 formulas
(computed here, element by element where it matters), shape rule == built layer, parameters."""
import math

import pytest
import torch

from enet_port.model import registry
from enet_port.model.build import build_node
from enet_port.model.shapes import ShapeError, infer, param_count, param_tensors
from enet_port.model.tree import Node


def run(name, args, x, children=(), modifiers=()):
    """Build ``name(args)``, run it on ``x`` (batched) in eval mode, and check that the Torch7
    shape rule predicts the PyTorch output's per-sample shape."""
    node = Node(name, list(args), modifiers=list(modifiers), children=list(children))
    module = build_node(node).eval()
    with torch.no_grad():
        y = module(x)
    assert _sample_shape(y) == infer(node, _sample_shape(x)), name
    return y, module, node


def _sample_shape(value):
    if isinstance(value, (list, tuple)):
        return [_sample_shape(v) for v in value]
    return tuple(value.shape[1:])


X = torch.tensor([[-2.0, -0.5, 0.0, 1e-7, 0.5, 3.0, 7.0]], dtype=torch.float64)


def test_threshold_defaults_and_values():
    y, _, node = run("nn.Threshold", [], X)
    # th = 1e-6, v = 0: y = x where x > th
    assert y.tolist() == [[0.0, 0.0, 0.0, 0.0, 0.5, 3.0, 7.0]]
    y, _, _ = run("nn.Threshold", [0.4, -1, True], X)
    assert y.tolist() == [[-1.0, -1.0, -1.0, -1.0, 0.5, 3.0, 7.0]]
    assert registry.lookup("nn.Threshold").lua_fields(registry.resolve_args(node), node) == \
        {"threshold": 1e-6, "val": 0.0, "inplace": False}


def test_relu6_leaky_elu():
    assert run("nn.ReLU6", [], X)[0].tolist() == [[0.0, 0.0, 0.0, 1e-7, 0.5, 3.0, 6.0]]
    leaky = run("nn.LeakyReLU", [], X)[0][0].tolist()
    assert leaky == pytest.approx([-0.02, -0.005, 0.0, 1e-7, 0.5, 3.0, 7.0])
    elu = run("nn.ELU", [0.5], X)[0][0].tolist()
    assert elu == pytest.approx([0.5 * (math.exp(v) - 1) if v <= 0 else v for v in X[0].tolist()])


def test_tanh_sigmoid_nn_and_cudnn():
    for ns in ("nn", "cudnn"):
        assert run(f"{ns}.Tanh", [], X)[0][0].tolist() == pytest.approx([math.tanh(v) for v in X[0].tolist()])
        assert run(f"{ns}.Sigmoid", [], X)[0][0].tolist() == \
            pytest.approx([1 / (1 + math.exp(-v)) for v in X[0].tolist()])


def _softmax(values):
    e = [math.exp(v) for v in values]
    return [v / sum(e) for v in e]


def test_softmax_over_features_and_planes():
    x = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = run("nn.SoftMax", [], x)[0]
    assert y[0].tolist() == pytest.approx(_softmax([1, 2, 3])) and y[1].tolist() == pytest.approx([1 / 3] * 3)
    img = torch.arange(12.0).reshape(1, 3, 2, 2)
    for name in ("nn.SoftMax", "nn.SpatialSoftMax", "cudnn.SpatialSoftMax"):
        y = run(name, [], img)[0]
        assert y[0, :, 1, 0].tolist() == pytest.approx(_softmax([2, 6, 10]))  # per pixel, across planes


def test_cudnn_softmax_is_one_distribution_per_image():
    img = torch.arange(12.0).reshape(1, 3, 2, 2) / 4
    y = run("cudnn.SoftMax", [], img)[0]
    assert y.flatten().tolist() == pytest.approx(_softmax((torch.arange(12.0) / 4).tolist()))


def test_softmax_refuses_two_d_samples_that_thnn_would_mix_across_the_batch():
    with pytest.raises(ShapeError, match="1-D or 3-D"):
        infer(Node("nn.SoftMax", []), (4, 5))


def test_constants_mul_add():
    assert run("nn.MulConstant", [-2.5], X)[0].tolist() == [[v * -2.5 for v in X[0].tolist()]]
    assert run("nn.AddConstant", [3, True], X)[0][0].tolist() == pytest.approx([v + 3 for v in X[0].tolist()])
    torch.manual_seed(0)
    y, mul, node = run("nn.Mul", [], X)
    w = mul.weight.item()
    assert -1 <= w <= 1 and y[0].tolist() == pytest.approx([v * w for v in X[0].tolist()])
    assert param_tensors(node) == {"weight": [1]}
    x = torch.arange(12.0).reshape(2, 2, 3)
    y, add, node = run("nn.Add", [6], x)
    b = add.bias.tolist()
    assert all(abs(v) <= 1 / math.sqrt(6) for v in b)
    assert y[1].flatten().tolist() == pytest.approx([v + b[i] for i, v in enumerate(range(6, 12))])
    assert param_count(node) == 6 and param_count(Node("nn.Add", [6, True])) == 1
    with pytest.raises(ShapeError, match="bias of 5"):
        infer(Node("nn.Add", [5]), (2, 3))


def test_normalize_p_norm_with_eps():
    x = torch.tensor([[3.0, -4.0], [1.0, 1.0]])
    y = run("nn.Normalize", [2], x)[0]
    assert y[0].tolist() == pytest.approx([3 / math.sqrt(25 + 1e-10), -4 / math.sqrt(25 + 1e-10)])
    y = run("nn.Normalize", [1, 0.5], x)[0]
    assert y[1].tolist() == pytest.approx([1 / 2.5, 1 / 2.5])  # (|1| + |1| + eps) ^ 1
    y = run("nn.Normalize", [2, 0.5], x)[0]
    assert y[1].tolist() == pytest.approx([1 / math.sqrt(2.5)] * 2)  # Normalize.lua: (sum |x|^p + eps)^(1/p)
    with pytest.raises(ShapeError, match="1-D"):
        infer(Node("nn.Normalize", [2]), (3, 4, 4))


def _lrn(x, c, size, alpha, beta, k):
    """Torch7's cross-map LRN at plane c of a 1-D vector of planes."""
    lo, hi = max(0, c - (size - 1) // 2), min(len(x), c + (size - 1) // 2 + 1)
    scale = k + alpha / size * sum(v * v for v in x[lo:hi])
    return x[c] * scale ** -beta


@pytest.mark.parametrize("name, args, expect", [
    ("nn.SpatialCrossMapLRN", [3], (3, 1e-4, 0.75, 1.0)),
    ("nn.SpatialCrossMapLRN", [3, 0.5, 0.5, 2], (3, 0.5, 0.5, 2.0)),
    ("cudnn.SpatialCrossMapLRN", [], (5, 1e-4, 0.75, 1.0)),
    ("inn.SpatialCrossResponseNormalization", [5, 0.1, 0.75, 1], (5, 0.1, 0.75, 1.0))])
def test_cross_map_lrn(name, args, expect):
    planes = [1.0, 2.0, -3.0, 4.0, 0.5, 6.0]
    x = torch.tensor(planes).reshape(1, 6, 1, 1).expand(1, 6, 2, 2).contiguous()
    y = run(name, args, x)[0]
    assert y[0, :, 1, 1].tolist() == pytest.approx([_lrn(planes, c, *expect) for c in range(6)], rel=1e-5)


def test_spatial_convolution_mm_is_a_convolution_with_a_2d_weight():
    y, conv, node = run("nn.SpatialConvolutionMM", [3, 4, 3, 5, 1, 2, 1], torch.randn(2, 3, 8, 8))
    assert conv.padding == (1, 1) and conv.kernel_size == (5, 3) and conv.stride == (2, 1)
    assert param_tensors(node) == {"weight": [4, 3 * 5 * 3], "bias": [4]}
    assert param_count(node) == sum(p.numel() for p in conv.parameters())


def test_up_sampling_nearest_and_bilinear_align_corners():
    x = torch.tensor([[[[0.0, 3.0], [6.0, 9.0]]]])
    y = run("nn.SpatialUpSamplingNearest", [2], x)[0]
    assert y[0, 0].tolist() == [[0, 0, 3, 3], [0, 0, 3, 3], [6, 6, 9, 9], [6, 6, 9, 9]]
    y = run("nn.SpatialUpSamplingBilinear", [3], x)[0]
    # (2 - 1) * (3 - 1) + 2 = 4 rows; corners kept; a step of a third between them
    assert y[0, 0].flatten().tolist() == pytest.approx([2 * i + j for i in range(4) for j in range(4)])


def test_reflection_and_replication_padding_defaults():
    x = torch.tensor([[[[1.0, 2.0, 3.0]]]])
    y = run("nn.SpatialReflectionPadding", [2, 1, 0, 0], x)[0]
    assert y[0, 0].tolist() == [[3, 2, 1, 2, 3, 2]]
    y = run("nn.SpatialReplicationPadding", [1], x)[0]  # pad_r, pad_t, pad_b default to pad_l
    assert y[0, 0].tolist() == [[1, 1, 2, 3, 3]] * 3


def test_dropout_versions():
    x = torch.ones(4, 1000)
    assert torch.equal(run("nn.Dropout", [0.2], x)[0], x)  # v2: evaluation passes through
    assert torch.allclose(run("nn.Dropout", [0.2, True], x)[0], x * 0.8)  # v1: scaled in evaluation
    torch.manual_seed(0)
    y = run("nn.Dropout", [0.2, False, False, True], x)[0]  # stochasticInference drops in eval too
    assert set(y.unique().tolist()) == {0.0, 1.25}


def test_view_with_minus_one_follows_torch7_batchsize():
    """View.lua's batchsize(): with a -1 and no setNumInputDims it finds no batch and views the
    whole batched tensor as the sizes, so (B, 16, 3, 3) through View(-1, 144) is (B, 144) and
    View(-1) is one vector of B*144 (samples mixed: refused); with setNumInputDims(3) a -1 is per
    sample."""
    x = torch.arange(2 * 16 * 3 * 3, dtype=torch.float32).view(2, 16, 3, 3)
    y = run("nn.View", [-1, 144], x)[0]
    assert torch.equal(y, x.view(-1, 144))  # Torch7's input:view(-1, 144) of the whole batch
    y = run("nn.View", [-1], x, modifiers=[("setNumInputDims", 3)])[0]
    assert torch.equal(y, x.view(2, 144))
    for sizes in ([-1], [144, -1], [-1, 72]):
        with pytest.raises(ShapeError, match="views the whole batch"):
            infer(Node("nn.View", sizes), (16, 3, 3))
