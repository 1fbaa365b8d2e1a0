"""The point-wise records and CMul/CAdd (issue 19, round two): forward values from Torch7's
formulas (THNN's C rules written here with numpy), shape rule == built layer, parameter counts
and the argument checks of the Lua constructors."""
import math

import numpy as np
import pytest
import torch

from enet_port.model.registry import ArgumentError, resolve_args
from enet_port.model.shapes import ShapeError, infer, param_count
from enet_port.model.tree import Node
from test_modules_classic import rand, run

X = torch.tensor([[-30.0, -2.0, -0.5, -0.25, 0.0, 0.3, 0.5, 2.0, 12.0]], dtype=torch.float64)
V = X.numpy()[0]


def values(name, args, x=X):
    return run(name, args, x)[0].numpy()[0]


def test_exp_log_softsign_logsigmoid():
    np.testing.assert_allclose(values("nn.Exp", []), [math.exp(v) for v in V])
    np.testing.assert_allclose(values("nn.Log", [], X.abs() + 1), [math.log(abs(v) + 1) for v in V])
    np.testing.assert_allclose(values("nn.SoftSign", []), [v / (1 + abs(v)) for v in V])
    np.testing.assert_allclose(values("nn.LogSigmoid", []), [-math.log1p(math.exp(-v)) for v in V])


def test_softplus_keeps_x_past_the_threshold_of_20():
    # THNN SoftPlus.c: beta*x > threshold (20) ? x : log(1 + exp(beta*x)) / beta
    for beta in (1.0, 2.0):
        expected = [v if v * beta > 20 else math.log1p(math.exp(beta * v)) / beta for v in V]
        np.testing.assert_allclose(values("nn.SoftPlus", [beta]), expected)
    assert values("nn.SoftPlus", [2])[-1] == 12.0  # 24 > 20: x itself, no log
    assert resolve_args(Node("nn.SoftPlus", [])) == {"beta": 1.0}


def test_hard_and_soft_shrink():
    lam = 0.4
    np.testing.assert_allclose(values("nn.HardShrink", [lam]), [v if abs(v) > lam else 0 for v in V])
    np.testing.assert_allclose(values("nn.SoftShrink", [lam]),
                               [v - lam if v > lam else v + lam if v < -lam else 0 for v in V])
    assert resolve_args(Node("nn.HardShrink", []))["lambda"] == 0.5  # HardShrink.lua: lam or 0.5


def test_gradient_reversal_and_l1_penalty_pass_the_input_on():
    # GradientReversal.lua: output:set(input); L1Penalty.lua: self.output = input (both act in the backward)
    for name, args in (("nn.GradientReversal", [0.5]), ("nn.L1Penalty", [1e-3, True])):
        assert torch.equal(run(name, args, X)[0], X)
    assert resolve_args(Node("nn.L1Penalty", [1e-3])) == {"l1weight": 1e-3, "sizeAverage": False, "provideOutput": True}


def test_softmin_is_torch7s_softmax_of_minus_x():
    x = rand(2, 5)
    e = np.exp(-x.numpy())
    np.testing.assert_allclose(run("nn.SoftMin", [], x)[0].numpy(), e / e.sum(1, keepdims=True))
    with pytest.raises(ShapeError, match="1-D or 3-D"):
        infer(Node("nn.SoftMin", []), (3, 4))  # THNN would normalise a 3-D batch across the batch


def test_rrelu_evaluates_with_the_mean_slope_and_trains_with_draws_in_its_range():
    lower, upper = 0.1, 0.3
    np.testing.assert_allclose(values("nn.RReLU", [lower, upper]), [v if v > 0 else v * 0.2 for v in V])
    assert resolve_args(Node("nn.RReLU", [])) == {"lower": 1 / 8, "upper": 1 / 3, "inplace": False,
                                                   "channelwise": False}
    _, module, _ = run("nn.RReLU", [lower, upper], X)
    slopes = module.train()(-torch.ones(1000, dtype=torch.float64)[None]).neg()
    assert lower <= slopes.min() and slopes.max() <= upper and slopes.std() > 0.03
    with pytest.raises(ArgumentError, match="lower <= upper"):
        resolve_args(Node("nn.RReLU", [0.5, 0.2]))


def test_cmul_multiplies_flat_and_counts_its_weight():
    x = rand(2, 3, 2, 2)
    y, module, node = run("nn.CMul", [3, 4], x)  # 12 elements: the sample's, viewed flat
    w = module.weight.detach().numpy()
    np.testing.assert_allclose(y.numpy(), x.numpy() * w.reshape(1, 3, 2, 2))
    assert param_count(node) == 12 and module.weight.shape == (3, 4)
    assert abs(w).max() <= 1 / math.sqrt(12)  # CMul.lua reset(): U(+-1/sqrt(#weight))
    y, module, _ = run("nn.CMul", [1], x)
    np.testing.assert_allclose(y.numpy(), x.numpy() * module.weight.item())
    with pytest.raises(ShapeError, match="has 3 elements"):
        infer(Node("nn.CMul", [3]), (3, 2, 2))  # Torch7's expandAs of 1x3 to Nx12 fails


def test_cadd_broadcasts_a_bias_of_the_batched_dims():
    x = rand(2, 3, 2, 2)
    y, module, node = run("nn.CAdd", [1, 3, 1, 1], x)  # one value per plane
    np.testing.assert_allclose(y.numpy(), x.numpy() + module.bias.detach().numpy())
    assert param_count(node) == 3
    y, module, _ = run("nn.CAdd", [12], x)  # flat, as a bias of the sample's elements
    np.testing.assert_allclose(y.numpy(), x.numpy() + module.bias.detach().numpy().reshape(1, 3, 2, 2))
    with pytest.raises(ShapeError, match="broadcast"):
        infer(Node("nn.CAdd", [1, 2, 1, 1]), (3, 2, 2))
    with pytest.raises(ArgumentError, match="sizes"):
        resolve_args(Node("nn.CAdd", []))


def test_spatial_log_softmax_and_cudnn_batchnorm():
    x = rand(2, 3, 2, 2)
    e = np.exp(x.numpy())
    expected = np.log(e / e.sum(1, keepdims=True))
    for name in ("nn.SpatialLogSoftMax", "cudnn.SpatialLogSoftMax"):
        np.testing.assert_allclose(run(name, [], x)[0].numpy(), expected)
    x = rand(4, 3)
    y, module, node = run("cudnn.BatchNormalization", [3, 1e-3], x)
    mean, var = module.running_mean.numpy(), module.running_var.numpy()
    expected = (x.numpy() - mean) / np.sqrt(var + 1e-3) * module.weight.detach().numpy() + module.bias.detach().numpy()
    np.testing.assert_allclose(y.numpy(), expected)
    assert param_count(node) == 6


@pytest.mark.parametrize("name, field", [("nn.CMul", "weight"), ("nn.CAdd", "bias")])
def test_cmul_cadd_reset_draws_from_their_element_count(name, field):
    # CMul.lua / CAdd.lua reset(): U(+-1/sqrt(nElement)); 400 draws reach past 0.9 of the bound
    drawn = getattr(run(name, [20, 20], torch.zeros(1, 20, 20, dtype=torch.float64))[1], field).detach().abs()
    assert 0.9 / math.sqrt(400) < drawn.max() <= 1 / math.sqrt(400)
