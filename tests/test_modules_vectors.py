"""The dimension, pair and mapping records (issue 19, round two): forward values from the
torch/nn Lua rules written here with numpy, shape rule == built layer, the batch kept out of
reach of a Lua dim, parameter counts of the containers' modules."""
import math

import numpy as np
import pytest
import torch

from enet_port.model.registry import lookup, resolve_args
from enet_port.model.shapes import ShapeError, infer, macs, param_count
from enet_port.model.tree import Node
from test_modules_classic import rand, run


def test_unsqueeze_counts_the_batch_unless_num_input_dims_says_so():
    x = rand(2, 3, 4)
    assert run("nn.Unsqueeze", [2], x)[0].shape == (2, 1, 3, 4)  # pos 2 of the batched tensor
    assert run("nn.Unsqueeze", [1, 2], x)[0].shape == (2, 1, 3, 4)  # 2 input dims: the batch is left out
    assert run("nn.Unsqueeze", [3, 2], x)[0].shape == (2, 3, 4, 1)
    with pytest.raises(ShapeError, match="before the batch"):
        infer(Node("nn.Unsqueeze", [1]), (3, 4))


def test_replicate_copies_along_its_dim():
    x = rand(2, 3)
    y = run("nn.Replicate", [4, 2], x)[0]  # dim 2 of the batched tensor
    assert y.shape == (2, 4, 3) and all(torch.equal(y[:, k], x) for k in range(4))
    y = run("nn.Replicate", [5, 1, 1], x)[0]  # ndim 1: a 2-D input is a batch, so dim 1 moves to 2
    assert y.shape == (2, 5, 3)
    with pytest.raises(ShapeError, match="before the batch"):
        infer(Node("nn.Replicate", [4]), (3,))


def test_select_max_min():
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(run("nn.Select", [2, 3], x)[0].numpy(), x.numpy()[:, 2])
    np.testing.assert_array_equal(run("nn.Select", [-1, -2], x)[0].numpy(), x.numpy()[:, :, 2])
    np.testing.assert_array_equal(run("nn.Max", [3], x)[0].numpy(), x.numpy().max(2))
    np.testing.assert_array_equal(run("nn.Min", [1, 2], x)[0].numpy(), x.numpy().min(1))  # batched: dim 1 + 1
    with pytest.raises(ShapeError, match="batch"):
        infer(Node("nn.Select", [1, 1]), (3, 4))
    with pytest.raises(ShapeError, match="index outside"):
        infer(Node("nn.Select", [2, 4]), (3, 4))


def test_pairs():
    a, b = rand(3, 5), rand(3, 5)
    an, bn = a.numpy(), b.numpy()
    np.testing.assert_allclose(run("nn.CDivTable", [], [a, b + 2])[0].numpy(), an / (bn + 2))
    np.testing.assert_array_equal(run("nn.CMinTable", [], [a, b, -a])[0].numpy(), np.minimum(np.minimum(an, bn), -an))
    np.testing.assert_allclose(run("nn.DotProduct", [], [a, b])[0].numpy(), (an * bn).sum(1))
    for p in (1, 2, 3):
        expected = [sum(abs(u - v) ** p for u, v in zip(r, s)) ** (1 / p) for r, s in zip(an, bn)]
        np.testing.assert_allclose(run("nn.PairwiseDistance", [p], [a, b])[0].numpy(), expected)
    cos = [r @ s / math.sqrt((r @ r + 1e-12) * (s @ s + 1e-12)) for r, s in zip(an, bn)]
    np.testing.assert_allclose(run("nn.CosineDistance", [], [a, b])[0].numpy(), cos)
    assert infer(Node("nn.DotProduct", []), [(5,), (5,)]) == ()  # one number per sample
    with pytest.raises(ShapeError, match="one shape"):
        infer(Node("nn.CosineDistance", []), [(5,), (4,)])


def test_mm_multiplies_each_samples_matrices():
    a, b = rand(2, 3, 4), rand(2, 5, 4)
    y, _, node = run("nn.MM", [False, True], [a, b])
    np.testing.assert_allclose(y.numpy(), np.stack([m @ n.T for m, n in zip(a.numpy(), b.numpy())]))
    assert macs(node, [(3, 4), (5, 4)], (3, 5)) == 3 * 4 * 5
    c = rand(2, 4, 3)  # transA: each sample's a' (3 x 4) times b' (4 x 5)
    y, _, node = run("nn.MM", [True, True], [c, b])
    np.testing.assert_allclose(y.numpy(), np.stack([m.T @ n.T for m, n in zip(c.numpy(), b.numpy())]), rtol=1e-6)
    with pytest.raises(ShapeError, match="cannot multiply"):
        infer(Node("nn.MM", []), [(3, 4), (5, 4)])


def test_map_table_runs_its_one_module_on_every_entry():
    linear = Node("nn.Linear", [4, 2])
    xs = [rand(3, 4), rand(3, 4)]
    ys, module, node = run("nn.MapTable", [], xs, children=[linear])
    w, bias = module[0].weight.detach().numpy(), module[0].bias.detach().numpy()
    for x, y in zip(xs, ys):
        np.testing.assert_allclose(y.numpy(), x.numpy() @ w.T + bias)
    assert sum(p.numel() for p in module.parameters()) == 4 * 2 + 2  # one module, shared


def test_bottle_fuses_the_leading_dims():
    x = rand(2, 5, 4)  # a batch of 5 x 4 samples: Linear(4, 3) sees 10 x 4
    y, module, node = run("nn.Bottle", [], x, children=[Node("nn.Linear", [4, 3])])
    w, bias = module[0].weight.detach().numpy(), module[0].bias.detach().numpy()
    np.testing.assert_allclose(y.numpy(), x.numpy() @ w.T + bias)
    assert y.shape == (2, 5, 3) and infer(node, (5, 4)) == (5, 3)
    x = rand(2, 3, 5, 4)  # two leading dims fused (2 * 3 * 5 rows) and split again in their order
    y, module, node = run("nn.Bottle", [], x, children=[Node("nn.Linear", [4, 3])])
    w, bias = module[0].weight.detach().numpy(), module[0].bias.detach().numpy()
    np.testing.assert_allclose(y.numpy(), x.numpy() @ w.T + bias, rtol=1e-6)
    x = rand(2, 3, 4, 4)  # nInputDim 4: a spatial convolution on 3 x 4 x 4 samples, as they are
    y, module, node = run("nn.Bottle", [4], x, children=[Node("nn.SpatialConvolution", [3, 2, 3, 3])])
    assert y.shape == (2, 2, 2, 2)
    with pytest.raises(ShapeError, match="nOutputDim"):
        infer(Node("nn.Bottle", [2, 3], children=[Node("nn.Linear", [4, 3])]), (5, 4))
    assert param_count(node) == 0
    bottle = Node("nn.Bottle", [2, 1], children=[Node("nn.Linear", [4, 3])])  # Bottle.lua: nInputDim - nOutputDim
    assert lookup("nn.Bottle").fields(resolve_args(bottle), bottle) == {"dimDelta": 1}


def test_euclidean_cosine_bilinear():
    x = rand(3, 4)
    y, module, node = run("nn.Euclidean", [4, 2], x)
    w = module.weight.detach().numpy()  # inputSize x outputSize: a centre per column
    assert w.shape == (4, 2) and param_count(node) == 8
    np.testing.assert_allclose(y.numpy(), [[np.linalg.norm(r - w[:, j]) for j in range(2)] for r in x.numpy()])
    y, module, node = run("nn.Cosine", [4, 2], x)
    w = module.weight.detach().numpy()  # outputSize x inputSize
    assert w.shape == (2, 4)
    wide = run("nn.Cosine", [1, 16], rand(2, 1))[1].weight  # reset(): 1/sqrt(weight:size(1)), the outputs
    assert wide.abs().max() <= 1 / math.sqrt(16)
    np.testing.assert_allclose(y.numpy(), [[r @ w[j] / ((np.linalg.norm(w[j]) + 1e-12) * (np.linalg.norm(r) + 1e-12))
                                            for j in range(2)] for r in x.numpy()])
    a, b = rand(3, 4), rand(3, 5)
    y, module, node = run("nn.Bilinear", [4, 5, 2], [a, b])
    w, bias = module.weight.detach().numpy(), module.bias.detach().numpy()
    np.testing.assert_allclose(y.numpy(), [[r @ w[k] @ s + bias[k] for k in range(2)] for r, s in zip(a.numpy(), b.numpy())])
    assert param_count(node) == 2 * 4 * 5 + 2 and param_count(Node("nn.Bilinear", [4, 5, 2, False])) == 40
    with pytest.raises(ShapeError, match="vectors of 4 and 5"):
        infer(node, [(5,), (4,)])


def test_bilinear_reset_draws_from_its_first_input_size():
    # Bilinear.lua reset(): stdv = 1/sqrt(weight:size(2)), the first input's size (4 here, not 100)
    weight = run("nn.Bilinear", [4, 100, 50], [rand(1, 4), rand(1, 100)])[1].weight.detach().abs()
    assert 0.45 < weight.max() <= 0.5
