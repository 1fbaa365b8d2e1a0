"""The volumetric records (issue 19 round two: C3D-style video models): forward values from
THNN's rules written here with numpy loops, the constructors' defaults, shape rule == built
layer, and C3D's (Tran et al. 2015) parameter count and output shape by hand."""
import itertools
import math

import numpy as np
import pytest
import torch

from enet_port.model.build import build_node
from enet_port.model.registry import ArgumentError, resolve_args
from enet_port.model.shapes import infer, macs, param_count
from enet_port.model.tree import Node
from test_modules_classic import rand, run


def test_nn_pads_default_to_the_previous_pad_cudnn_to_zero():
    # VolumetricConvolution.lua: padW = padW or padT, padH = padH or padW; cudnn's: each or 0
    nn_args = resolve_args(Node("nn.VolumetricConvolution", [2, 3, 3, 3, 3, 1, 1, 1, 1]))
    cudnn_args = resolve_args(Node("cudnn.VolumetricConvolution", [2, 3, 3, 3, 3, 1, 1, 1, 1]))
    assert (nn_args["padW"], nn_args["padH"]) == (1, 1) and (cudnn_args["padW"], cudnn_args["padH"]) == (0, 0)


def _conv3d(x, w, b, stride, pad):
    """THNN's cross-correlation: out[o,t,i,j] = b[o] + sum over c, kt, kh, kw of w * padded x."""
    x = np.pad(x, [(0, 0)] + [(p, p) for p in pad])
    (_, kt, kh, kw), (dt, dh, dw) = w.shape[1:], stride
    shape = [(s - k) // d + 1 for s, k, d in zip(x.shape[1:], (kt, kh, kw), stride)]
    out = np.zeros([w.shape[0]] + shape)
    for o, t, i, j in itertools.product(range(w.shape[0]), *map(range, shape)):
        out[o, t, i, j] = b[o] + (w[o] * x[:, t * dt:t * dt + kt, i * dh:i * dh + kh, j * dw:j * dw + kw]).sum()
    return out


def test_volumetric_convolution_is_thnns_cross_correlation():
    x = rand(1, 2, 4, 5, 6)
    # nIn 2, nOut 3, kT 2, kW 3, kH 2, dT 1, dW 2, dH 1, padT 1 (so padW = padH = 1)
    y, module, node = run("nn.VolumetricConvolution", [2, 3, 2, 3, 2, 1, 2, 1, 1], x)
    w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
    assert w.shape == (3, 2, 2, 2, 3)  # nOut x nIn x kT x kH x kW
    np.testing.assert_allclose(y.numpy()[0], _conv3d(x.numpy()[0], w, b, (1, 1, 2), (1, 1, 1)))
    assert np.abs(w).max() <= 1 / math.sqrt(2 * 2 * 3 * 2)  # reset(): 1/sqrt(kT*kW*kH*nIn)
    assert param_count(node) == 3 * 2 * 12 + 3


def test_full_convolution_scatters_each_input_through_the_kernel():
    x = rand(1, 2, 2, 3, 2)
    # nIn 2, nOut 1, kT kW kH 2, strides 2, no pads, adjT 1: output (s - 1) * 2 + 2 (+1 in time)
    y, module, node = run("nn.VolumetricFullConvolution", [2, 1, 2, 2, 2, 2, 2, 2, 0, 0, 0, 1], x)
    w, b = module.weight.detach().numpy(), module.bias.detach().numpy()
    assert w.shape == (2, 1, 2, 2, 2) and y.shape == (1, 1, 5, 6, 4)
    expected = np.full((1, 5, 6, 4), b[0])
    for c, t, i, j in itertools.product(range(2), range(2), range(3), range(2)):
        expected[:, 2 * t:2 * t + 2, 2 * i:2 * i + 2, 2 * j:2 * j + 2] += x.numpy()[0, c, t, i, j] * w[c]
    np.testing.assert_allclose(y.numpy()[0], expected)
    with pytest.raises(ArgumentError, match="adjW, adjH and adjT"):
        resolve_args(Node("nn.VolumetricFullConvolution", [2, 1, 2, 2, 2, 1, 1, 1, 0, 0, 0, 1]))


def _windows(x, k, d, ceil):
    size = [math.ceil((s - kk) / dd) + 1 if ceil else (s - kk) // dd + 1 for s, kk, dd in zip(x.shape, k, d)]
    for idx in itertools.product(*map(range, size)):
        yield idx, x[tuple(slice(i * dd, i * dd + kk) for i, kk, dd in zip(idx, k, d))], size


def test_max_and_average_pooling_keep_thnns_ceil_windows():
    x = rand(1, 2, 5, 4, 4)
    y, _, _ = run("nn.VolumetricMaxPooling", [2, 2, 2], x)
    assert y.shape == (1, 2, 2, 2, 2)
    expected = np.zeros((2, 2, 2, 2))
    for c in range(2):
        for idx, window, _ in _windows(x.numpy()[0, c], (2, 2, 2), (2, 2, 2), False):
            expected[(c,) + idx] = window.max()
    np.testing.assert_allclose(y.numpy()[0], expected)
    # kT 1 with dT 3 on 5 frames, :ceil(): THNN keeps a third window, starting past the input
    # (frame 6 of 5; only a padded pooling drops it), the maximum of nothing: -inf
    node = Node("nn.VolumetricMaxPooling", [1, 2, 2, 3, 2, 2], modifiers=[("ceil",)])
    with torch.no_grad():
        y = build_node(node).double()(x)
    assert y.shape == (1,) + infer(node, (2, 5, 4, 4)) == (1, 2, 3, 2, 2)
    assert torch.equal(y[:, :, 2], torch.full((1, 2, 2, 2), -math.inf, dtype=torch.float64))
    frames = x.numpy()[0][:, [0, 3]].reshape(2, 2, 2, 2, 2, 2).max(axis=(3, 5))
    np.testing.assert_allclose(y.numpy()[0, :, :2], frames)
    x = rand(1, 1, 4, 2, 2)
    y, _, _ = run("cudnn.VolumetricAveragePooling", [2, 2, 2], x)
    means = [w.mean() for _, w, _ in _windows(x.numpy()[0, 0], (2, 2, 2), (2, 2, 2), False)]
    np.testing.assert_allclose(y.numpy().ravel(), means)
    with pytest.raises(ArgumentError, match="half of kernel"):  # THNN: kT/2 >= padT, ...
        resolve_args(Node("nn.VolumetricMaxPooling", [2, 2, 2, 1, 1, 1, 2]))


def test_batchnorm_and_dropout_per_plane():
    x = rand(2, 3, 2, 2, 2)
    y, module, node = run("nn.VolumetricBatchNormalization", [3], x)
    mean, var = module.running_mean.numpy()[:, None, None, None], module.running_var.numpy()[:, None, None, None]
    w, b = (v.detach().numpy()[:, None, None, None] for v in (module.weight, module.bias))
    np.testing.assert_allclose(y.numpy(), (x.numpy() - mean) / np.sqrt(var + 1e-5) * w + b)
    assert param_count(node) == 6
    np.testing.assert_allclose(run("nn.VolumetricDropout", [0.2], x)[0].numpy(), x.numpy() * 0.8)  # eval: x(1-p)
    _, module, _ = run("nn.VolumetricDropout", [0.5], x)
    kept = module.train()(torch.ones(4, 8, 3, 3, 3, dtype=torch.float64))
    assert all(len(plane.unique()) == 1 for plane in kept.reshape(32, -1))  # a whole plane kept or dropped


def _conv(n_in, n_out):
    return Node("nn.VolumetricConvolution", [n_in, n_out, 3, 3, 3, 1, 1, 1, 1, 1, 1])


def _c3d():
    """C3D (Tran et al. 2015, Sports-1M): 3x3x3 convolutions, stride 1, pad 1; pool1 1x2x2, the
    rest 2x2x2 (pool5 padded 0, 1, 1), fc6 and fc7 4096, 487 classes."""
    def pool(*args):
        return Node("nn.VolumetricMaxPooling", list(args))
    relu = [Node("nn.ReLU", [])]
    layers = [_conv(3, 64)] + relu + [pool(1, 2, 2, 1, 2, 2), _conv(64, 128)] + relu + [pool(2, 2, 2)]
    for n_in, n_out in ((128, 256), (256, 512), (512, 512)):
        layers += [_conv(n_in, n_out)] + relu + [_conv(n_out, n_out)] + relu
        layers += [pool(2, 2, 2, 2, 2, 2, 0, 1, 1) if n_in == 512 else pool(2, 2, 2)]
    layers += [Node("nn.View", [8192]), Node("nn.Linear", [8192, 4096])] + relu + [Node("nn.Dropout", [0.5])]
    layers += [Node("nn.Linear", [4096, 4096])] + relu + [Node("nn.Dropout", [0.5]), Node("nn.Linear", [4096, 487])]
    return Node("nn.Sequential", [], children=layers)


def test_c3d_counts_by_hand():
    net = _c3d()
    record = []
    assert infer(net, (3, 16, 112, 112), record) == (487,)
    # frames x side: 16x112 -> pool1 16x56 -> 8x28 -> 4x14 -> 2x7 -> pool5 1x4 (padded 7 + 2 = 9 -> 4)
    assert [out for node, out in record if node.name.endswith("Pooling")][-1] == (512, 1, 4, 4)
    convs = [3 * 64, 64 * 128, 128 * 256, 256 * 256, 256 * 512, 512 * 512, 512 * 512, 512 * 512]
    biases = [64, 128, 256, 256, 512, 512, 512, 512]
    fc = 8192 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 487 + 487
    total = sum(27 * c for c in convs) + sum(biases) + fc
    assert sum(param_count(n) for n in net.walk()) == total == 79_991_015  # 27,653,184 + 2,752 + 52,335,079
    conv1a = record[1][1]
    assert conv1a == (64, 16, 112, 112) and macs(net.children[0], (3, 16, 112, 112), conv1a) == 1_040_449_536


def test_cudnn_volumetric_softmaxes_are_over_the_planes():
    x = rand(2, 3, 2, 2, 2)
    e = np.exp(x.numpy())
    np.testing.assert_allclose(run("cudnn.VolumetricSoftMax", [], x)[0].numpy(), e / e.sum(1, keepdims=True))
    np.testing.assert_allclose(run("cudnn.VolumetricLogSoftMax", [True], x)[0].numpy(),
                               np.log(e / e.sum(1, keepdims=True)))


def test_dilated_volumetric_convolution_spreads_its_taps():
    x = rand(1, 1, 5, 5, 5)
    # nIn 1, nOut 1, 2x2x2 kernel, stride 1, no pads, dilations T 2, W 1, H 3
    y, module, node = run("nn.VolumetricDilatedConvolution", [1, 1, 2, 2, 2, 1, 1, 1, 0, 0, 0, 2, 1, 3], x)
    w, b = module.weight.detach().numpy()[0, 0], module.bias.item()
    assert y.shape == (1, 1, 3, 2, 4)  # T 5 - 2, H 5 - 3, W 5 - 1
    for t, i, j in itertools.product(range(3), range(2), range(4)):
        taps = x.numpy()[0, 0, t:t + 3:2, i:i + 4:3, j:j + 2]
        assert y[0, 0, t, i, j].item() == pytest.approx(b + (w * taps).sum())
    assert resolve_args(Node("cudnn.VolumetricDilatedConvolution", [1, 1, 2, 2, 2, 1, 1, 1, 1]))["padW"] == 0
